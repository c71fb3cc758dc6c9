using System.Diagnostics;
using System.Globalization;
using System.Text;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;

namespace SecretOps.Bench;

/// <summary>
/// <c>throughput</c>: 4 processes writing distinct secrets to one store at once against 1 process doing the same
/// total number of sets, in WAL mode (the default) and in shared mode (journal_mode=DELETE, for network shares).
/// Each writer is this harness re-invoked as a hidden worker subcommand with its own Core session; the workers
/// start and connect untimed, then all are told to go at once, and the time until the last one finishes is measured.
/// </summary>
internal sealed class ThroughputBenchmark : IBenchmark
{
    /// <summary>The hidden subcommand a worker process runs: <c>throughput-worker STORE shared|wal PREFIX COUNT</c>.</summary>
    public const string WorkerCommand = "throughput-worker";

    private const int Processes = 4;
    private const int SetsPerRun = 800;
    private const string SecretVariable = "SECRETOPS_BENCH_CLIENT_SECRET";
    private const string Ready = "ready";
    private const string Go = "go";

    public string Name => "throughput";

    public string Description => $"aggregate sets per second: {Processes} processes writing to one store vs 1 process (WAL and shared mode)";

    public string Title => "Concurrency throughput";

    public int DefaultRuns => 5;

    public IReadOnlyList<(string Label, string Value)> MachineNotes() => [];

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var directory = Directory.CreateTempSubdirectory("secretops-bench-throughput-").FullName;
        try
        {
            var candidates = new List<Candidate>();
            foreach (var shared in new[] { false, true })
            {
                var path = Path.Combine(directory, shared ? "shared.db" : "wal.db");
                var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true, Shared = shared });
                foreach (var processes in new[] { 1, Processes })
                {
                    candidates.Add(WorkerCandidate(Label(shared, processes), path, shared, processes, created.ClientSecret!));
                }
            }

            var samples = Harness.MeasureAlternating(candidates, options.Runs, options.Warmups, progress);
            double PerSecond(bool shared, int processes) => SetsPerRun / (samples[Label(shared, processes)].MedianMilliseconds / 1000);
            var body = new StringBuilder();
            body.AppendLine(CultureInfo.InvariantCulture,
                $"{SetsPerRun} sets of distinct secrets per run into one store: by 1 process, or by {Processes} processes doing {SetsPerRun / Processes} each at the same time. Every process is a separate Core session (generated-secret System client); workers start and connect before the clock starts, then all are released at once; the time is until the last one has finished. Each run after the first writes new versions of the same secrets. Medians of {options.Runs} runs, alternating.");
            body.AppendLine();
            body.Append(Harness.MarkdownTable(
                ["journal mode", "1 process (sets/s)", $"{Processes} processes (sets/s, aggregate)", $"{Processes} processes / 1 process"],
                new[] { false, true }.Select(shared => (IReadOnlyList<string>)
                [
                    shared ? "shared (journal_mode=DELETE)" : "WAL (default)",
                    PerSecond(shared, 1).ToString("0", CultureInfo.InvariantCulture),
                    PerSecond(shared, Processes).ToString("0", CultureInfo.InvariantCulture),
                    $"{Harness.FormatRatio(PerSecond(shared, Processes) / PerSecond(shared, 1))}x",
                ])));
            body.AppendLine();
            body.AppendLine("The issue sets no limit here; SQLite admits one writer at a time, so the figure to watch is how much aggregate throughput is lost to lock waiting and retries when several processes write.");
            return new BenchmarkResult(body.ToString(), new[] { false, true }.Select(shared => new TargetOutcome(
                $"{Processes} processes writing to one store vs 1 ({(shared ? "shared mode" : "WAL")})",
                $"{PerSecond(shared, Processes):0} vs {PerSecond(shared, 1):0} sets/s",
                $"{Harness.FormatRatio(PerSecond(shared, Processes) / PerSecond(shared, 1))}x", null)).ToList());
        }
        finally
        {
            SecretStore.ReleaseConnections();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The worker: opens and connects, prints <see cref="Ready"/>, waits for <see cref="Go"/> on standard input,
    /// then sets COUNT secrets named PREFIX-i and exits 0. The client secret comes from the environment, never
    /// the command line, so it does not show in process listings.
    /// </summary>
    public static int RunWorker(ReadOnlySpan<string> args)
    {
        if (args.Length != 4 || args[1] is not ("shared" or "wal")
            || !int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || Environment.GetEnvironmentVariable(SecretVariable) is not { } secret)
        {
            Console.Error.WriteLine($"Usage: {WorkerCommand} STORE shared|wal PREFIX COUNT, with {SecretVariable} set.");
            return ExitCodes.Usage;
        }

        var prefix = args[2];
        using var credential = ClientCredential.FromGeneratedSecret(secret);
        using var session = SecretStore.Open(args[0], new StoreOpenOptions { Shared = args[1] == "shared" })
            .Connect(SecretStore.SystemClientName, credential, new SessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan });
        Console.Out.WriteLine(Ready);
        Console.Out.Flush();
        if (Console.In.ReadLine() != Go)
        {
            return ExitCodes.Failed;
        }

        for (var i = 0; i < count; i++)
        {
            using var value = SecretValue.FromString($"value-{prefix}-{i}");
            session.SetSecret(SecretStore.DefaultNamespace, $"{prefix}-{i:D5}", value);
        }

        return ExitCodes.Success;
    }

    private static string Label(bool shared, int processes) => $"{(shared ? "shared" : "WAL")}, {processes}p";

    /// <summary>Prepare starts the workers and waits until each has connected; Run releases them and waits for all.</summary>
    private static Candidate WorkerCandidate(string name, string path, bool shared, int processes, string clientSecret)
    {
        var workers = new List<Process>();
        return new Candidate(name,
            Prepare: () =>
            {
                for (var k = 0; k < processes; k++)
                {
                    var start = ChildProcess.StartInfo(
                        [.. ChildProcess.Self(), WorkerCommand, path, shared ? "shared" : "wal", $"p{processes}w{k}", (SetsPerRun / processes).ToString(CultureInfo.InvariantCulture)],
                        new Dictionary<string, string?> { [SecretVariable] = clientSecret });
                    workers.Add(Process.Start(start) ?? throw new BenchmarkFailedException("Could not start a worker."));
                }

                foreach (var worker in workers)
                {
                    if (worker.StandardOutput.ReadLine() != Ready)
                    {
                        throw new BenchmarkFailedException($"{name}: a worker did not connect: {worker.StandardError.ReadToEnd().Trim()}");
                    }
                }
            },
            Run: () =>
            {
                foreach (var worker in workers)
                {
                    worker.StandardInput.WriteLine(Go);
                    worker.StandardInput.Flush();
                }

                foreach (var worker in workers)
                {
                    worker.WaitForExit();
                }
            },
            Check: () =>
            {
                var failures = workers.Where(w => w.ExitCode != 0).Select(w => $"exit code {w.ExitCode}: {w.StandardError.ReadToEnd().Trim()}").ToList();
                workers.ForEach(w => w.Dispose());
                workers.Clear();
                if (failures.Count > 0)
                {
                    throw new BenchmarkFailedException($"{name}: {failures.Count} of {processes} workers failed; {failures[0]}");
                }
            });
    }
}
