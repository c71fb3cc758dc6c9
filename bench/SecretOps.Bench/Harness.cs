using System.Diagnostics;
using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using SecretOps.Core.Crypto;

namespace SecretOps.Bench;

/// <summary>
/// One implementation under measurement. <see cref="Prepare"/> runs before each measurement and <see cref="Check"/>
/// after it, both untimed (e.g. starting worker processes, verifying an output).
/// </summary>
internal sealed record Candidate(string Name, Action Run, Action? Check = null, Action? Prepare = null);

/// <summary>One candidate's measurements, in run order: wall-clock ms and the process's minor page faults during each (null where unknown).</summary>
internal sealed class Samples
{
    public List<double> Milliseconds { get; } = [];

    public List<long?> MinorFaults { get; } = [];

    public double MedianMilliseconds => Harness.Median(Milliseconds);

    /// <summary>Median minor page faults per run, or null when the platform does not report them.</summary>
    public double? MedianMinorFaults => MinorFaults.All(f => f.HasValue) && MinorFaults.Count > 0
        ? Harness.Median(MinorFaults.Select(f => (double)f!.Value).ToList())
        : null;
}

/// <summary>
/// Shared measuring code: full GC between measurements, a warm-up per candidate, then N runs in which
/// every candidate runs once and the starting candidate rotates; medians; Markdown tables; the machine.
/// </summary>
internal static class Harness
{
    /// <summary>True when this assembly was compiled in the Release configuration.</summary>
    public static bool IsReleaseBuild =>
        string.Equals(typeof(Harness).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration, "Release", StringComparison.Ordinal);

    /// <summary>Collects everything so garbage from one measurement is not billed to the next.</summary>
    public static void FullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>
    /// Runs every candidate <paramref name="rounds"/> times, in three passes with a pause after each, so tiered
    /// compilation has replaced first-tier code before anything is measured: call counting starts only after
    /// 100 ms without new JIT work, instrumented code (dynamic PGO) comes before the optimised code, and that is
    /// compiled in the background. With two passes, results still varied by half from one process to the next. A warm benchmark then
    /// measures what a long-lived process (a PowerShell session, a runbook host) runs, not the JIT's first draft.
    /// </summary>
    public static void SettleJit(IReadOnlyList<Candidate> candidates, int rounds, TextWriter progress)
    {
        progress.WriteLine($"    letting the JIT settle ({rounds} untimed runs of each, three times)");
        foreach (var pause in new[] { 200, 500, 500 })
        {
            for (var round = 0; round < rounds; round++)
            {
                foreach (var candidate in candidates)
                {
                    candidate.Prepare?.Invoke();
                    candidate.Run();
                }
            }

            Thread.Sleep(pause);
        }
    }

    /// <summary>
    /// Warms up each candidate <paramref name="warmups"/> times, then for each of <paramref name="runs"/> runs
    /// measures every candidate once, starting run r with candidate r mod k, with a full GC before each
    /// measurement. Returns each candidate's samples, in run order.
    /// </summary>
    public static Dictionary<string, Samples> MeasureAlternating(IReadOnlyList<Candidate> candidates, int runs, int warmups, TextWriter progress)
    {
        var samples = candidates.ToDictionary(c => c.Name, _ => new Samples(), StringComparer.Ordinal);
        for (var warmup = 0; warmup < warmups; warmup++)
        {
            foreach (var candidate in candidates)
            {
                candidate.Prepare?.Invoke();
                FullGc();
                var ms = Time(candidate.Run);
                candidate.Check?.Invoke();
                progress.WriteLine($"    warm-up {candidate.Name,-10} {Format(ms)} ms");
            }
        }

        for (var run = 0; run < runs; run++)
        {
            var line = new StringBuilder($"    run {(run + 1).ToString(CultureInfo.InvariantCulture),2}/{runs.ToString(CultureInfo.InvariantCulture)}:");
            for (var i = 0; i < candidates.Count; i++)
            {
                var candidate = candidates[(run + i) % candidates.Count];
                candidate.Prepare?.Invoke();
                FullGc();
                var faultsBefore = MinorFaults();
                var ms = Time(candidate.Run);
                var faultsAfter = MinorFaults();
                candidate.Check?.Invoke();
                var faults = faultsAfter - faultsBefore;
                samples[candidate.Name].Milliseconds.Add(ms);
                samples[candidate.Name].MinorFaults.Add(faults);
                line.Append(CultureInfo.InvariantCulture, $"  {candidate.Name} {Format(ms)} ms");
                if (faults is { } f)
                {
                    line.Append(CultureInfo.InvariantCulture, $" ({f} faults)");
                }
            }

            progress.WriteLine(line.ToString());
        }

        return samples;
    }

    /// <summary>
    /// The process's minor page faults so far (Linux: field 10 of /proc/self/stat), or null elsewhere.
    /// First touches of fresh memory cost the kernel a fault per 4 KiB page; reporting them shows which
    /// implementation reused already-mapped memory.
    /// </summary>
    public static long? MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Wall-clock milliseconds of one call.</summary>
    public static double Time(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>The median (mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The <paramref name="fraction"/> quantile (0.25: the first quartile), interpolating linearly between the two nearest values.</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double fraction)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }

        var sorted = values.Order().ToArray();
        var position = fraction * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    /// <summary>Milliseconds with one decimal, invariant culture.</summary>
    public static string Format(double milliseconds) => milliseconds.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>A ratio with two decimals, invariant culture.</summary>
    public static string FormatRatio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A GitHub-flavoured Markdown table.</summary>
    public static string MarkdownTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var builder = new StringBuilder();
        builder.Append("| ").AppendJoin(" | ", headers).AppendLine(" |");
        builder.Append('|').AppendJoin('|', headers.Select(_ => "---")).AppendLine("|");
        foreach (var row in rows)
        {
            builder.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }

        return builder.ToString();
    }

    /// <summary>The targets as a table: target, measured, ratio, and met, missed (bold, so misses stand out) or reported.</summary>
    public static string TargetTable(IEnumerable<TargetOutcome> targets) =>
        MarkdownTable(["target", "measured", "ratio", "result"],
            targets.Select(t => (IReadOnlyList<string>)[t.Target, t.Measured, t.Ratio, t.Result]));

    /// <summary>
    /// The equivalent <c>dotnet run</c> command line for these arguments, prefixed by any environment variables
    /// that change how the runtime or the C allocator behave (DOTNET_/COMPlus_ runtime knobs, MALLOC_*, GLIBC_TUNABLES).
    /// The password in a <c>--postgres</c> connection string is shown as ***.
    /// </summary>
    public static string DescribeCommand(IEnumerable<string> args)
    {
        var list = args.ToList();
        args = list.Select((arg, i) => i > 0 && list[i - 1] == "--postgres" ? MaskPassword(arg) : arg);
        var configuration = IsReleaseBuild ? "Release" : "Debug";
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(AffectsMeasurement)
            .Order(StringComparer.Ordinal)
            .Select(name => $"{name}={Quote(Environment.GetEnvironmentVariable(name) ?? string.Empty)} ");
        return string.Concat(environment) + $"dotnet run -c {configuration} --project bench/SecretOps.Bench -- " + string.Join(' ', args.Select(Quote));

        static string Quote(string arg) =>
            arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";

        // The SDK's own settings (DOTNET_CLI_*, DOTNET_ROOT*, …) are excluded: dotnet run sets some of them itself.
        static bool AffectsMeasurement(string name) =>
            name.StartsWith("MALLOC_", StringComparison.Ordinal)
            || name == "GLIBC_TUNABLES"
            || name.StartsWith("COMPlus_", StringComparison.OrdinalIgnoreCase)
            || (name.StartsWith("DOTNET_", StringComparison.Ordinal)
                && !name.StartsWith("DOTNET_CLI_", StringComparison.Ordinal)
                && !name.StartsWith("DOTNET_ROOT", StringComparison.Ordinal)
                && name is not ("DOTNET_NOLOGO" or "DOTNET_GENERATE_ASPNET_CERTIFICATE" or "DOTNET_SKIP_FIRST_TIME_EXPERIENCE"
                    or "DOTNET_HOST_PATH" or "DOTNET_ADD_GLOBAL_TOOLS_TO_PATH" or "DOTNET_MULTILEVEL_LOOKUP" or "DOTNET_BUNDLE_EXTRACT_BASE_DIR"));
    }

    /// <summary>A connection string with its password (under any of Npgsql's names for it) replaced by ***.</summary>
    private static string MaskPassword(string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return "(connection string not shown: it does not parse)";
        }

        foreach (var key in builder.Keys.Cast<string>().Where(k => k.ToUpperInvariant() is "PASSWORD" or "PSW" or "PWD").ToList())
        {
            builder[key] = "***";
        }

        return builder.ConnectionString;
    }

    /// <summary>CPU, cores, OS, runtime and SIMD support, as (label, value).</summary>
    public static List<(string Label, string Value)> DescribeMachine() =>
    [
        ("CPU", CpuModel()),
        ("Logical cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
        ("Memory available to .NET", MemoryTotal()),
        ("OS", OperatingSystemName()),
        ("Architecture", RuntimeInformation.ProcessArchitecture.ToString()),
        (".NET runtime", RuntimeInformation.FrameworkDescription),
        ("GC", (GCSettings.IsServerGC ? "server" : "workstation") + (GCSettings.LatencyMode == GCLatencyMode.Interactive ? ", concurrent" : string.Empty)),
        ("Avx2.IsSupported", Avx2.IsSupported.ToString()),
        ("Argon2.IsAccelerated", Argon2.IsAccelerated.ToString()),
        ("Build", IsReleaseBuild ? "Release" : "NOT Release (numbers not representative)"),
    ];

    /// <summary>The whole report: heading, machine description, command, then the benchmark's body.</summary>
    public static string Report(string title, string command, IEnumerable<(string Label, string Value)> extraMachineLines, string body)
    {
        var builder = new StringBuilder();
        builder.AppendLine(CultureInfo.InvariantCulture, $"### {title}").AppendLine();
        builder.Append(MachineAndCommand(command, extraMachineLines));
        builder.Append(body);
        return builder.ToString();
    }

    /// <summary>The "Machine:" list and the "Command:" block every report starts with.</summary>
    public static string MachineAndCommand(string command, IEnumerable<(string Label, string Value)> extraMachineLines)
    {
        var builder = new StringBuilder();
        builder.AppendLine("Machine:").AppendLine();
        foreach (var (label, value) in DescribeMachine().Concat(extraMachineLines))
        {
            builder.AppendLine(CultureInfo.InvariantCulture, $"- {label}: {value}");
        }

        builder.AppendLine().AppendLine("Command:").AppendLine();
        builder.AppendLine("```").AppendLine(command).AppendLine("```").AppendLine();
        return builder.ToString();
    }

    /// <summary>The repository root (the directory holding SecretOps.sln), found upwards from this assembly.</summary>
    public static string RepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SecretOps.sln")))
            {
                return directory.FullName;
            }
        }

        throw new BenchmarkFailedException($"No SecretOps.sln above {AppContext.BaseDirectory}; run the harness from its build output in the repository.");
    }

    /// <summary>A file's size in KiB/MiB, invariant culture.</summary>
    public static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
        : (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB";

    private static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null && line.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return "unknown (no model name in /proc/cpuinfo)";
    }

    private static string MemoryTotal()
    {
        var bytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return (bytes / (1024.0 * 1024 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";
    }

    private static string OperatingSystemName()
    {
        var description = RuntimeInformation.OSDescription;
        try
        {
            if (File.Exists("/etc/os-release"))
            {
                var pretty = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
                if (pretty is not null)
                {
                    var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : null;
                    var name = pretty["PRETTY_NAME=".Length..].Trim('"');
                    return kernel is null ? name : $"{name}, Linux kernel {kernel}";
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return description;
    }
}
