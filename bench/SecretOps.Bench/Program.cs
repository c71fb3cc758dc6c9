using System.Globalization;

namespace SecretOps.Bench;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project bench/SecretOps.Bench -- &lt;benchmark|all&gt; [--runs N] [--warmup N] [--markdown PATH] [--sizes LIST] [--quick] [--requests N] [--postgres CONNECTION]</c>.
/// Each benchmark is one <see cref="IBenchmark"/> class in its own file; add new ones to <see cref="Benchmarks"/>.
/// </summary>
internal static class Program
{
    /// <summary>Every benchmark subcommand, in the order <c>all</c> runs them.</summary>
    private static readonly IBenchmark[] Benchmarks =
    [
        new Argon2Benchmark(),
        new SharingBenchmark(),
        new StoreOperationBenchmark(write: false),
        new StoreOperationBenchmark(write: true),
        new ScaleBenchmark(),
        new ColdStartBenchmark(),
        new ThroughputBenchmark(),
        new ControlLogBenchmark(),
        new PeerBenchmark(),
        new ServerBenchmark(),
        new HostedBenchmark(),
    ];

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage(Console.Out);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
        }

        if (args[0] == ThroughputBenchmark.WorkerCommand)
        {
            return ThroughputBenchmark.RunWorker(args.AsSpan(1));
        }

        if (args[0] == FloorEndpoint.Command)
        {
            return FloorEndpoint.Run(args.AsSpan(1));
        }

        if (args[0] == ControlLogBenchmark.StoreCommand)
        {
            return ControlLogBenchmark.BuildStore(args.AsSpan(1));
        }

        if (args[0] == Suite.Name)
        {
            if (!BenchOptions.TryParse(args.AsSpan(1), defaultRuns: 1, out var suiteOptions, out var suiteError))
            {
                Console.Error.WriteLine(suiteError);
                PrintUsage(Console.Error);
                return ExitCodes.Usage;
            }

            return Suite.Run(Array.FindAll(Benchmarks, b => b.InSuite), suiteOptions, runsGiven: args.AsSpan(1).Contains("--runs"), Harness.DescribeCommand(args));
        }

        var benchmark = Array.Find(Benchmarks, b => string.Equals(b.Name, args[0], StringComparison.Ordinal));
        if (benchmark is null)
        {
            Console.Error.WriteLine($"Unknown benchmark '{args[0]}'.");
            PrintUsage(Console.Error);
            return ExitCodes.Usage;
        }

        if (!BenchOptions.TryParse(args.AsSpan(1), benchmark.DefaultRuns, out var options, out var error))
        {
            Console.Error.WriteLine(error);
            PrintUsage(Console.Error);
            return ExitCodes.Usage;
        }

        var command = Harness.DescribeCommand(args);
        if (!Harness.IsReleaseBuild)
        {
            Console.Error.WriteLine("WARNING: this is not a Release build; the numbers are not representative. Use -c Release.");
        }

        BenchmarkResult result;
        try
        {
            result = benchmark.Run(options, Console.Error);
        }
        catch (BenchmarkFailedException failure)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine("BENCHMARK ABORTED: " + failure.Message);
            return ExitCodes.Failed;
        }

        var report = Harness.Report(benchmark.Title, command, benchmark.MachineNotes(), result.Body + Environment.NewLine + Harness.TargetTable(result.Targets));
        Console.Out.Write(report);
        if (options.MarkdownPath is { } path)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllText(path, report);
            Console.Error.WriteLine($"Markdown written to {path}.");
        }

        return ExitCodes.Success;
    }

    private static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("Usage: dotnet run -c Release --project bench/SecretOps.Bench -- <benchmark|all> [--runs N] [--warmup N] [--markdown PATH] [--sizes LIST] [--quick] [--requests N] [--postgres CONNECTION]");
        writer.WriteLine();
        writer.WriteLine("Benchmarks:");
        foreach (var benchmark in Benchmarks)
        {
            writer.WriteLine($"  {benchmark.Name,-12} {benchmark.Description} (default --runs {benchmark.DefaultRuns.ToString(CultureInfo.InvariantCulture)})");
        }

        writer.WriteLine($"  {Suite.Name,-12} {Suite.Description} (all but peer and server)");

        writer.WriteLine();
        writer.WriteLine("Options:");
        writer.WriteLine("  --runs N         measured runs of every implementation (alternating order); the median is reported");
        writer.WriteLine("                   (server: rounds in which the endpoints take turns; the percentiles are over all of them)");
        writer.WriteLine("  --warmup N       untimed runs of every implementation before measuring (default 1; server warms up by itself)");
        writer.WriteLine("  --markdown PATH  also write the report (machine, command, tables) to PATH; for all, between the");
        writer.WriteLine($"                   {Suite.BeginMarker} and {Suite.EndMarker} lines of PATH when it has them");
        writer.WriteLine("  --sizes LIST     peer only: store sizes, comma-separated (default 100,1000,5000; --quick: 100,1000)");
        writer.WriteLine("  --quick          peer, server and hosted only: fewer operations per measurement, fewer cold runbooks and writes");
        writer.WriteLine("  --requests N     server and hosted only: measured requests (hosted: operations) per endpoint, operation and client count (server 4000, --quick 1000; hosted 800, --quick 240)");
        writer.WriteLine("  --postgres CONN  server and hosted only: also run the server on this PostgreSQL database (an Npgsql connection string; hosted: one hosting no store yet)");
    }
}

/// <summary>One benchmark subcommand.</summary>
internal interface IBenchmark
{
    /// <summary>The subcommand, e.g. <c>argon2</c>.</summary>
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Description { get; }

    /// <summary>
    /// Whether <c>all</c> runs it. <c>peer</c> does not: it needs pwsh and SecretStore and takes far longer than
    /// everything else together, so it is run on its own.
    /// </summary>
    bool InSuite => true;

    /// <summary>The report's heading.</summary>
    string Title { get; }

    /// <summary>Runs when <c>--runs</c> is not given.</summary>
    int DefaultRuns { get; }

    /// <summary>Extra machine-description lines (library versions, …) as (label, value).</summary>
    IReadOnlyList<(string Label, string Value)> MachineNotes();

    /// <summary>
    /// Runs the benchmark, writing progress to <paramref name="progress"/>, and returns the Markdown body
    /// (tables) and the targets. Throws <see cref="BenchmarkFailedException"/> when a check fails.
    /// </summary>
    BenchmarkResult Run(BenchOptions options, TextWriter progress);
}

/// <summary>What a benchmark produced: its Markdown body and each target of the performance issue it measures.</summary>
internal sealed record BenchmarkResult(string Body, IReadOnlyList<TargetOutcome> Targets);

/// <summary>
/// One target, the measured figure behind it, the ratio it is judged on, and whether it was met; Met is null for a
/// figure the issue asks to report without a limit (e.g. a comparison with another tool).
/// </summary>
internal sealed record TargetOutcome(string Target, string Measured, string Ratio, bool? Met)
{
    public string Result => Met switch { true => "met", false => "**missed**", null => "reported" };
}

/// <summary>
/// Options every benchmark understands; <see cref="Sizes"/> is read by <c>peer</c> alone, <see cref="Quick"/> by
/// <c>peer</c>, <c>server</c> and <c>hosted</c>, <see cref="Requests"/> and <see cref="PostgresConnection"/> by <c>server</c> and <c>hosted</c>.
/// </summary>
internal sealed record BenchOptions(int Runs, int Warmups, string? MarkdownPath)
{
    /// <summary><c>--sizes 100,1000</c>: the store sizes to measure at, or null for the benchmark's default.</summary>
    public IReadOnlyList<int>? Sizes { get; init; }

    /// <summary><c>--quick</c>: fewer operations per measurement and smaller default sizes, so a run takes a few minutes.</summary>
    public bool Quick { get; init; }

    /// <summary><c>--requests N</c>: measured requests per endpoint, operation and client count, or null for the benchmark's default.</summary>
    public int? Requests { get; init; }

    /// <summary><c>--postgres CONNECTION</c>: a PostgreSQL database to run the server on as well, or null.</summary>
    public string? PostgresConnection { get; init; }

    public static bool TryParse(ReadOnlySpan<string> args, int defaultRuns, out BenchOptions options, out string? error)
    {
        var runs = defaultRuns;
        var warmups = 1;
        string? markdown = null;
        List<int>? sizes = null;
        var quick = false;
        int? requests = null;
        string? postgres = null;
        options = new BenchOptions(runs, warmups, markdown);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out runs) || runs < 1)
                    {
                        error = $"--runs needs a positive integer; got '{args[i]}'.";
                        return false;
                    }

                    break;
                case "--warmup" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out warmups))
                    {
                        error = $"--warmup needs a non-negative integer; got '{args[i]}'.";
                        return false;
                    }

                    break;
                case "--markdown" when i + 1 < args.Length:
                    markdown = args[++i];
                    break;
                case "--sizes" when i + 1 < args.Length:
                    sizes = [];
                    foreach (var part in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!int.TryParse(part.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 1)
                        {
                            error = $"--sizes needs positive integers separated by commas; got '{args[i]}'.";
                            return false;
                        }

                        sizes.Add(size);
                    }

                    if (sizes.Count == 0)
                    {
                        error = "--sizes needs at least one size.";
                        return false;
                    }

                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--requests" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
                    {
                        error = $"--requests needs a positive integer; got '{args[i]}'.";
                        return false;
                    }

                    requests = count;
                    break;
                case "--postgres" when i + 1 < args.Length:
                    postgres = args[++i];
                    break;
                default:
                    error = args[i] is "--runs" or "--warmup" or "--markdown" or "--sizes" or "--requests" or "--postgres" ? $"{args[i]} needs a value." : $"Unknown option '{args[i]}'.";
                    return false;
            }
        }

        options = new BenchOptions(runs, warmups, markdown) { Sizes = sizes, Quick = quick, Requests = requests, PostgresConnection = postgres };
        error = null;
        return true;
    }
}

/// <summary>A check inside a benchmark failed (e.g. implementations disagree); the numbers would be meaningless.</summary>
internal sealed class BenchmarkFailedException : Exception
{
    public BenchmarkFailedException()
    {
    }

    public BenchmarkFailedException(string message)
        : base(message)
    {
    }

    public BenchmarkFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}
