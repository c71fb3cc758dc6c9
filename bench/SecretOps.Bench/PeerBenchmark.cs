using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecretOps.Bench;

/// <summary>
/// <c>peer</c>: SecretOps against Microsoft's SecretStore, both driven through SecretManagement in pwsh, as a sysadmin
/// compares them (issue 15). Two pairings: SecretOps with a generated-secret client against SecretStore with
/// authentication None, and SecretOps with a passphrase client against SecretStore's Password mode. At each store size:
/// warm operations timed inside one long-lived pwsh per vault (Peer/PeerWorker.ps1, a Stopwatch around each cmdlet call),
/// interleaved A/B with the starting vault rotating; a cold runbook process; and (first pairing) 4 processes writing at
/// once. SecretStore and SecretManagement are built from ../shared/third_party/build.sh; when that or pwsh is missing the
/// benchmark says so and measures nothing. Every child pwsh gets a throwaway HOME (and XDG folders), so SecretManagement's
/// registry and SecretStore's store are its own, removed at the end.
/// </summary>
internal sealed class PeerBenchmark : IBenchmark
{
    private const string SecretOpsName = "SecretOps";
    private const string SecretStoreName = "SecretStore";
    private const string MinimalName = "minimal script vault";
    private const int CredentialCount = 20;
    private const string NameFilter = "s-0001*";
    private const int NameFilterMatches = 10;
    private const int WriterProcesses = 4;
    private const double TargetShare = 0.5;
    private const double ImportTargetSeconds = 0.1;

    private static readonly int[] DefaultSizes = [100, 1000, 5000];
    private static readonly int[] QuickSizes = [100, 1000];

    private static readonly Operation[] Operations =
    [
        new("set-new", "Set-Secret, new"),
        new("set-over", "Set-Secret, overwrite"),
        new("get", "Get-Secret, string"),
        new("get-credential", "Get-Secret, PSCredential"),
        new("info-all", "Get-SecretInfo, all"),
        new("info-filter", $"Get-SecretInfo -Name '{NameFilter}'"),
        new("remove", "Remove-Secret"),
    ];

    // The reads a script vault that does nothing is timed on too: what SecretManagement and PowerShell cost by themselves.
    private static readonly string[] FloorOperations = ["get", "info-all", "info-filter"];

    private static readonly Pairing[] Pairings =
    [
        new("generated-secret client vs authentication None", "SecretOpsGenerated", "SecretStoreNone", Password: false, Writers: true),
        new("passphrase client vs Password mode", "SecretOpsPassphrase", "SecretStorePassword", Password: true, Writers: false),
    ];

    public string Name => "peer";

    public string Description => "SecretOps vs Microsoft SecretStore through SecretManagement in pwsh (--sizes, --quick)";

    public string Title => "Against SecretStore";

    public int DefaultRuns => 5;

    /// <summary>Not part of <c>all</c>: about 25 minutes at the default sizes on a 2-core machine, and it needs pwsh.</summary>
    public bool InSuite => false;

    public IReadOnlyList<(string Label, string Value)> MachineNotes()
    {
        var pwsh = FindPwsh(out var why);
        return
        [
            ("pwsh", pwsh is null ? $"not found ({why})" : $"{pwsh}, version {PwshVersion(pwsh)}"),
            ("SecretManagement / SecretStore", "1.1.2 / 1.0.6, built from ../shared/third_party/build.sh into out/bench-modules"),
        ];
    }

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var settings = Settings.From(options);
        var root = Harness.RepoRoot();
        var module = Path.Combine(root, "out", "SecretOps", "SecretOps.psd1");
        if (!File.Exists(module))
        {
            throw new BenchmarkFailedException($"{module} does not exist; build the solution first (dotnet build SecretOps.sln -c Release).");
        }

        var pwsh = FindPwsh(out var pwshMissing);
        if (pwsh is null)
        {
            return Skipped($"pwsh was not found ({pwshMissing}).", progress);
        }

        if (BuildPeerModules(root, progress, out var modules) is { } buildFailure)
        {
            return Skipped(buildFailure, progress);
        }

        var scripts = Path.Combine(AppContext.BaseDirectory, "Peer");
        var work = Directory.CreateTempSubdirectory("secretops-bench-peer-").FullName;
        var elapsed = Stopwatch.StartNew();
        try
        {
            var context = new Context(pwsh, modules, module, Path.Combine(scripts, "PeerWorker.ps1"), Path.Combine(scripts, "Runbook.ps1"), work, settings, progress);
            var results = new List<PairingResult>();
            var minimal = context.Setup("minimal", "MinimalPeer", "MinimalScript", password: null);
            foreach (var pairing in Pairings)
            {
                results.Add(RunPairing(context, pairing, minimal));
            }

            progress.WriteLine($"peer: {elapsed.Elapsed.TotalSeconds:0} s");
            return new BenchmarkResult(Body(results, settings, elapsed.Elapsed), Targets(results));
        }
        finally
        {
            TryDelete(work);
        }
    }

    private static PairingResult RunPairing(Context context, Pairing pairing, VaultSetup minimal)
    {
        context.Progress.WriteLine($"{pairing.Title}:");
        var password = pairing.Password ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)) : null;
        var slug = pairing.Password ? "pw" : "gen";
        var vaults = new[]
        {
            context.Setup($"{slug}-secretops", "SecretOpsPeer", pairing.SecretOpsKind, password),
            context.Setup($"{slug}-secretstore", "SecretStorePeer", pairing.SecretStoreKind, password),
        };
        var result = new PairingResult(pairing);
        var stringCount = 0;
        foreach (var size in context.Settings.Sizes)
        {
            context.Progress.WriteLine($"  {size.ToString(CultureInfo.InvariantCulture)} secrets:");
            var sizeResult = new SizeResult(size);
            result.Sizes.Add(sizeResult);
            stringCount = MeasureWarm(context, vaults, pairing.Password ? null : minimal, size, stringCount, sizeResult);
            MeasureCold(context, vaults, pairing.Password ? null : minimal, sizeResult);
            if (pairing.Writers)
            {
                foreach (var vault in size / 100 % 2 == 0 ? vaults : vaults.Reverse())
                {
                    sizeResult.Writers[vault.Label] = MeasureWriters(context, vault);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Fills both stores to <paramref name="size"/> secrets (20 PSCredentials, the rest strings named s-NNNNN), then
    /// measures every operation in rounds: in each round every operation runs a batch on one vault, then the other,
    /// the first vault alternating from round to round. The <paramref name="floor"/> vault, when given, runs the
    /// <see cref="FloorOperations"/> after both. Returns the number of string secrets now in the stores.
    /// </summary>
    private static int MeasureWarm(Context context, VaultSetup[] vaults, VaultSetup? floor, int size, int stringCount, SizeResult result)
    {
        var workers = vaults.Select(v => context.StartWorker(v, $"{v.Label} worker")).ToArray();
        var floorWorker = floor is null ? null : context.StartWorker(floor, $"{floor.Label} worker");
        try
        {
            Parallel.ForEach(workers.Concat(floorWorker is null ? [] : [floorWorker]), worker => worker.Receive());
            var targetStrings = Math.Max(NameFilterMatches * 2, size - CredentialCount);
            var fill = Stopwatch.StartNew();
            var fillTimes = new double[vaults.Length];
            Parallel.For(0, vaults.Length, i =>
            {
                var watch = Stopwatch.StartNew();
                if (stringCount == 0)
                {
                    workers[i].Send(new { op = "set-credential", names = Enumerable.Range(0, CredentialCount).Select(CredentialName).ToArray() });
                }

                for (var next = stringCount; next < targetStrings; next += 250)
                {
                    workers[i].Send(new { op = "set", names = Enumerable.Range(next, Math.Min(250, targetStrings - next)).Select(StringName).ToArray() });
                }

                fillTimes[i] = watch.Elapsed.TotalSeconds;
            });
            context.Progress.WriteLine($"    filled to {(targetStrings + CredentialCount).ToString(CultureInfo.InvariantCulture)} in {fill.Elapsed.TotalSeconds:0.0} s ({string.Join(", ", vaults.Select((v, i) => $"{v.Label} {fillTimes[i]:0.0} s"))}, side by side)");
            result.FillSeconds = vaults.Select((v, i) => (v.Label, fillTimes[i])).ToDictionary(p => p.Label, p => p.Item2, StringComparer.Ordinal);
            result.Secrets = targetStrings + CredentialCount;

            var random = new Random(size);
            var batch = context.Settings.Batch;
            var samples = Operations.ToDictionary(
                o => o.Key,
                o => vaults.Concat(floor is not null && FloorOperations.Contains(o.Key) ? [floor] : []).ToDictionary(v => v.Label, _ => new List<double>(), StringComparer.Ordinal),
                StringComparer.Ordinal);
            for (var round = -1; round < context.Settings.Rounds; round++)
            {
                // Round -1 is the warm-up: every operation's batch once per vault, untimed, so the JIT has seen every path.
                var count = batch;
                var newNames = Enumerable.Range(0, count).Select(j => $"n-{(round + 1).ToString(CultureInfo.InvariantCulture)}-{j.ToString(CultureInfo.InvariantCulture)}").ToArray();
                var existing = Enumerable.Range(0, count).Select(_ => StringName(random.Next(targetStrings))).ToArray();
                var overwrite = Enumerable.Range(0, count).Select(_ => StringName(random.Next(targetStrings))).ToArray();
                var credentials = Enumerable.Range(0, count).Select(_ => CredentialName(random.Next(CredentialCount))).ToArray();
                var infoRepeat = round < 0 ? 1 : context.Settings.InfoRepeat;
                var commands = new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    ["set-new"] = new { op = "set", names = newNames },
                    ["set-over"] = new { op = "set", names = overwrite },
                    ["get"] = new { op = "get", names = existing },
                    ["get-credential"] = new { op = "get-credential", names = credentials },
                    // The count is for the floor vault, which lists that many (the real vaults list what they hold).
                    ["info-all"] = new { op = "info", filter = "*", repeat = infoRepeat, count = result.Secrets + count },
                    ["info-filter"] = new { op = "info", filter = NameFilter, repeat = Math.Max(infoRepeat, count / 2), count = NameFilterMatches },
                    ["remove"] = new { op = "remove", names = newNames },
                };
                var line = new StringBuilder(round < 0 ? "    warm-up:" : $"    round {(round + 1).ToString(CultureInfo.InvariantCulture)}/{context.Settings.Rounds.ToString(CultureInfo.InvariantCulture)}:");
                foreach (var operation in Operations)
                {
                    for (var k = 0; k < workers.Length; k++)
                    {
                        var index = (Math.Max(round, 0) + k) % workers.Length;
                        var answer = workers[index].Send(commands[operation.Key]);
                        var times = answer.GetProperty("ms").EnumerateArray().Select(e => e.GetDouble()).ToList();
                        CheckAnswer(vaults[index], operation, answer, times, count, result.Secrets + (operation.Key == "info-all" ? count : 0), result.PeerMiscounts);
                        if (round >= 0)
                        {
                            samples[operation.Key][vaults[index].Label].AddRange(times);
                        }
                    }

                    if (floorWorker is not null && FloorOperations.Contains(operation.Key))
                    {
                        var times = floorWorker.Send(commands[operation.Key]).GetProperty("ms").EnumerateArray().Select(e => e.GetDouble()).ToList();
                        if (round >= 0)
                        {
                            samples[operation.Key][floor!.Label].AddRange(times);
                        }
                    }
                }

                if (round >= 0)
                {
                    foreach (var operation in Operations)
                    {
                        line.Append(CultureInfo.InvariantCulture, $" {operation.Key} {string.Join('/', vaults.Select(v => Harness.Format(Harness.Median(samples[operation.Key][v.Label]))))}");
                    }
                }

                context.Progress.WriteLine(line.ToString());
                if (round < 0)
                {
                    // Tiered compilation replaces first-tier code in the background after a quiet spell.
                    Thread.Sleep(500);
                }
            }

            result.Warm = samples;
            return targetStrings;
        }
        finally
        {
            foreach (var worker in workers.Concat(floorWorker is null ? [] : [floorWorker]))
            {
                worker.Quit();
                worker.Dispose();
            }
        }
    }

    /// <summary>
    /// An answer must hold one time per operation, no write errors, and the count Get-SecretInfo should see. A wrong count
    /// stops the run when it is ours; SecretStore's is reported in <paramref name="peerMiscounts"/> (it has lost and kept
    /// secrets under load before), and the run goes on.
    /// </summary>
    private static void CheckAnswer(VaultSetup vault, Operation operation, JsonElement answer, List<double> times, int count, int secrets, SortedSet<string> peerMiscounts)
    {
        var errors = answer.GetProperty("errors").GetInt32();
        if (errors > 0)
        {
            throw new BenchmarkFailedException($"{vault.Label}: {operation.Title} failed {errors} times: {string.Join("; ", answer.GetProperty("messages").EnumerateArray().Select(m => m.GetString()))}");
        }

        var found = answer.GetProperty("found").GetInt32();
        var expected = operation.Key switch
        {
            "info-all" => secrets,
            "info-filter" => NameFilterMatches,
            _ => -1,
        };
        if (found != expected)
        {
            var miscount = $"{vault.Label}: {operation.Title} saw {found} secrets, expected {expected}.";
            if (vault.Label == SecretOpsName)
            {
                throw new BenchmarkFailedException(miscount);
            }

            peerMiscounts.Add(miscount);
        }

        if (times.Count == 0 || (operation.Key is not ("info-all" or "info-filter") && times.Count != count))
        {
            throw new BenchmarkFailedException($"{vault.Label}: {operation.Title} returned {times.Count} timings for {count} operations.");
        }
    }

    /// <summary>The cold runbook: a whole <c>pwsh -NonInteractive -NoProfile -File</c> that imports SecretManagement and reads one secret.</summary>
    private static void MeasureCold(Context context, VaultSetup[] vaults, VaultSetup? minimal, SizeResult result)
    {
        context.Progress.WriteLine("    cold runbook:");
        var candidates = new List<Candidate>();
        foreach (var vault in minimal is null ? vaults : vaults.Append(minimal))
        {
            var start = context.StartInfo(vault, ["-NoProfile", "-NonInteractive", "-File", context.Runbook, "-Vault", vault.Vault, "-Name", StringName(NameFilterMatches)]);
            ProcessOutput? last = null;
            candidates.Add(new Candidate(vault.Label,
                () => last = ChildProcess.Run(start),
                () =>
                {
                    if (last!.ExitCode != 0)
                    {
                        throw new BenchmarkFailedException($"{vault.Label} cold runbook: exit code {last.ExitCode}; {last.Stderr.Trim()}");
                    }
                }));
        }

        var samples = Harness.MeasureAlternating(candidates, context.Settings.ColdRuns, 1, context.Progress);
        result.Cold = samples.ToDictionary(p => p.Key, p => p.Value.Milliseconds, StringComparer.Ordinal);
    }

    /// <summary>
    /// 4 processes writing at once: each is started and ready (SecretManagement imported, the vault used once), then all
    /// four are told to write their own new secrets. A fresh process lists what the store then holds; an acknowledged write
    /// (Set-Secret returned without an error) that is missing was lost. The secrets are removed again afterwards.
    /// </summary>
    private static WriterResult MeasureWriters(Context context, VaultSetup vault)
    {
        var writes = context.Settings.WritesPerProcess;
        var workers = Enumerable.Range(0, WriterProcesses).Select(k => context.StartWorker(vault, $"{vault.Label} writer {k}")).ToArray();
        var acknowledged = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var errors = 0;
        var messages = new List<string>();
        double seconds;
        try
        {
            foreach (var worker in workers)
            {
                worker.Receive();
            }

            var names = Enumerable.Range(0, WriterProcesses)
                .Select(k => Enumerable.Range(0, writes).Select(j => $"w{k.ToString(CultureInfo.InvariantCulture)}-{j.ToString(CultureInfo.InvariantCulture)}").ToArray())
                .ToArray();
            var watch = Stopwatch.StartNew();
            for (var k = 0; k < WriterProcesses; k++)
            {
                workers[k].Post(new { op = "set", names = names[k] });
            }

            for (var k = 0; k < WriterProcesses; k++)
            {
                var answer = workers[k].Receive();
                var failed = answer.GetProperty("failedNames").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);
                acknowledged.UnionWith(names[k].Where(n => !failed.Contains(n)));
                errors += answer.GetProperty("errors").GetInt32();
                messages.AddRange(answer.GetProperty("messages").EnumerateArray().Select(m => m.GetString() ?? string.Empty));
            }

            seconds = watch.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Quit();
                worker.Dispose();
            }
        }

        using var checker = context.StartWorker(vault, $"{vault.Label} writer check");
        checker.Receive();
        var present = checker.Send(new { op = "names", filter = "w*" }).GetProperty("names").EnumerateArray()
            .Select(e => e.GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        checker.Send(new { op = "remove-matching", filter = "w*" });
        checker.Quit();
        var lost = acknowledged.Count(n => !present.Contains(n));
        context.Progress.WriteLine($"    {WriterProcesses} writers, {vault.Label}: {acknowledged.Count}/{WriterProcesses * writes} acknowledged, {lost} of them missing afterwards, {errors} errors, {seconds:0.0} s");
        foreach (var message in messages.Distinct(StringComparer.Ordinal).Take(3))
        {
            context.Progress.WriteLine($"      error: {message}");
        }

        return new WriterResult(WriterProcesses * writes, acknowledged.Count, lost, errors, seconds, messages.FirstOrDefault());
    }

    private static string StringName(int index) => "s-" + index.ToString("00000", CultureInfo.InvariantCulture);

    private static string CredentialName(int index) => "cred-" + index.ToString("00", CultureInfo.InvariantCulture);

    private static BenchmarkResult Skipped(string reason, TextWriter progress)
    {
        progress.WriteLine("    peer benchmark skipped: " + reason);
        return new BenchmarkResult($"**Skipped:** {reason} Nothing was measured.{Environment.NewLine}",
            [new("SecretOps vs SecretStore through SecretManagement (issue 15)", "not measured: " + reason, string.Empty, null)]);
    }

    /// <summary>Builds SecretManagement and SecretStore into out/bench-modules; null when they are there, else why not.</summary>
    private static string? BuildPeerModules(string root, TextWriter progress, out string modules)
    {
        modules = Path.Combine(root, "out", "bench-modules");
        var script = Path.GetFullPath(Path.Combine(root, "..", "shared", "third_party", "build.sh"));
        if (!File.Exists(script))
        {
            return $"SecretStore cannot be built: {script} does not exist.";
        }

        if (OperatingSystem.IsWindows() || ChildProcess.FindOnPath("bash") is not { } bash)
        {
            return "SecretStore cannot be built: build.sh needs bash.";
        }

        progress.WriteLine($"building SecretManagement and SecretStore with {script}");
        var output = ChildProcess.Run(ChildProcess.StartInfo([bash, script, modules]));
        if (output.ExitCode != 0)
        {
            return $"SecretStore could not be built: {script} exited with {output.ExitCode}: {output.Stderr.Trim()}";
        }

        return File.Exists(Path.Combine(modules, "Microsoft.PowerShell.SecretStore", "1.0.6", "Microsoft.PowerShell.SecretStore.psd1"))
            ? null
            : $"SecretStore could not be built: {script} left no Microsoft.PowerShell.SecretStore 1.0.6 in {modules}.";
    }

    /// <summary>pwsh on PATH, else the one the repository pins (<c>dotnet pwsh</c>, the local tool), as its executable in $PSHOME.</summary>
    private static string? FindPwsh(out string? why)
    {
        why = null;
        if (ChildProcess.FindOnPath(OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh") is { } onPath)
        {
            return onPath;
        }

        try
        {
            var start = ChildProcess.StartInfo(["dotnet", "pwsh", "-NoProfile", "-NonInteractive", "-Command", "[Console]::Out.Write($PSHOME)"]);
            start.WorkingDirectory = Harness.RepoRoot();
            var output = ChildProcess.Run(start);
            var candidate = Path.Combine(output.Stdout.Trim(), OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh");
            if (output.ExitCode == 0 && File.Exists(candidate))
            {
                return candidate;
            }

            why = $"not on PATH, and `dotnet pwsh` (the repository's local tool; `dotnet tool restore` installs it) exited with {output.ExitCode}: {output.Stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            why = "not on PATH, and dotnet could not be started: " + e.Message;
        }

        return null;
    }

    private static string PwshVersion(string pwsh) =>
        ChildProcess.Run(ChildProcess.StartInfo([pwsh, "-NoProfile", "-NonInteractive", "-Command", "$PSVersionTable.PSVersion.ToString()"])).Stdout.Trim();

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Spread(IReadOnlyList<double> values) =>
        $"{Harness.Format(Harness.Percentile(values, 0.25))}–{Harness.Format(Harness.Percentile(values, 0.75))}";

    private static string Body(List<PairingResult> results, Settings settings, TimeSpan elapsed)
    {
        var body = new StringBuilder();
        body.AppendLine(CultureInfo.InvariantCulture,
            $"Both vaults driven through SecretManagement 1.1.2 in pwsh, SecretOps (the built out/SecretOps module, registered with Register-SecretOpsVault) against Microsoft.PowerShell.SecretStore 1.0.6. Warm operations are timed one by one with a Stopwatch inside one long-lived pwsh per vault (process start and the pipe to the harness are not in them): {settings.Rounds} round(s) after one untimed warm-up round; in each round every operation runs a batch of {settings.Batch} calls (Get-SecretInfo for all: {settings.InfoRepeat}) on one vault and then the other, the first vault alternating from round to round. Stores hold {CredentialCount} PSCredentials and the rest strings; Set-Secret (new) adds names that Remove-Secret removes again in the same round, so the size stays put; the filter `{NameFilter}` matches {NameFilterMatches}. Figures are medians in ms with the interquartile range (p25–p75); the ratio is SecretOps' median / SecretStore's (below 1: SecretOps is faster). Every value read is checked, and every Get-SecretInfo count: a wrong count of ours stops the run, SecretStore's is reported below its table.");
        body.AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture,
            $"Cold runbook: a whole `pwsh -NoProfile -NonInteractive -File` process that imports SecretManagement, unlocks the vault where it has a password, and reads one secret (checked), from spawn to exit; {settings.ColdRuns} runs alternating after one warm-up each, min–max spread. The minimal script vault (first pairing) is a five-function SecretManagement extension that returns a constant: the cost of SecretManagement and a process without any real vault. {WriterProcesses} writers (first pairing): {WriterProcesses} pwsh processes, each ready, then told at once to write {settings.WritesPerProcess} new secrets of its own; a fresh process then lists the store, and an acknowledged write (Set-Secret returned no error) that is missing was lost.");
        body.AppendLine();
        foreach (var pairing in results)
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"#### {pairing.Pairing.Title}").AppendLine();
            body.Append(Harness.MarkdownTable(["secrets", "operation", "SecretOps (ms)", "SecretStore (ms)", "SecretOps / SecretStore"],
                pairing.Sizes.SelectMany(size => Operations.Select(operation =>
                {
                    var ours = size.Warm[operation.Key][SecretOpsName];
                    var theirs = size.Warm[operation.Key][SecretStoreName];
                    return (IReadOnlyList<string>)
                    [
                        size.Secrets.ToString("N0", CultureInfo.InvariantCulture),
                        operation.Title,
                        $"{Harness.Format(Harness.Median(ours))} ({Spread(ours)})",
                        $"{Harness.Format(Harness.Median(theirs))} ({Spread(theirs)})",
                        $"{Harness.FormatRatio(Harness.Median(ours) / Harness.Median(theirs))}x",
                    ];
                }).Append(
                [
                    size.Secrets.ToString("N0", CultureInfo.InvariantCulture),
                    "cold runbook (whole process)",
                    $"{Harness.Format(Harness.Median(size.Cold[SecretOpsName]))} ({Harness.Format(size.Cold[SecretOpsName].Min())}–{Harness.Format(size.Cold[SecretOpsName].Max())})",
                    $"{Harness.Format(Harness.Median(size.Cold[SecretStoreName]))} ({Harness.Format(size.Cold[SecretStoreName].Min())}–{Harness.Format(size.Cold[SecretStoreName].Max())})",
                    $"{Harness.FormatRatio(Harness.Median(size.Cold[SecretOpsName]) / Harness.Median(size.Cold[SecretStoreName]))}x",
                ]))));
            body.AppendLine();
            foreach (var size in pairing.Sizes.Where(s => s.PeerMiscounts.Count > 0))
            {
                body.AppendLine(CultureInfo.InvariantCulture, $"At {size.Secrets.ToString("N0", CultureInfo.InvariantCulture)} secrets, SecretStore listed a different number of secrets than the writes it had acknowledged left: {string.Join(" ", size.PeerMiscounts)}").AppendLine();
            }

            if (pairing.Sizes.Any(s => s.Warm.Values.Any(v => v.ContainsKey(MinimalName))))
            {
                body.AppendLine("Warm reads against the minimal script vault, whose Get-Secret returns a constant and whose Get-SecretInfo writes SecretInformation objects it made once, as one array: SecretManagement's and PowerShell's own cost per call (median, p25–p75, ms). Where the floor is above half of SecretStore's time, no vault can meet the 0.5x target through SecretManagement:").AppendLine();
                body.Append(Harness.MarkdownTable(["secrets", "operation", MinimalName, "SecretOps − minimal", "SecretStore − minimal", "floor / SecretStore"],
                    pairing.Sizes.SelectMany(size => Operations.Where(o => size.Warm[o.Key].ContainsKey(MinimalName)).Select(operation =>
                    {
                        var floor = size.Warm[operation.Key][MinimalName];
                        var minimal = Harness.Median(floor);
                        return (IReadOnlyList<string>)
                        [
                            size.Secrets.ToString("N0", CultureInfo.InvariantCulture),
                            operation.Title,
                            $"{Harness.Format(minimal)} ({Spread(floor)})",
                            Harness.Format(Harness.Median(size.Warm[operation.Key][SecretOpsName]) - minimal),
                            Harness.Format(Harness.Median(size.Warm[operation.Key][SecretStoreName]) - minimal),
                            $"{Harness.FormatRatio(minimal / Harness.Median(size.Warm[operation.Key][SecretStoreName]))}x",
                        ];
                    }))));
                body.AppendLine();
            }

            if (pairing.Sizes.Any(s => s.Cold.ContainsKey(MinimalName)))
            {
                body.AppendLine("Cold runbook against the minimal script vault (median, min–max, ms):").AppendLine();
                body.Append(Harness.MarkdownTable(["secrets", MinimalName, "SecretOps", "SecretOps − minimal", "SecretStore − minimal"],
                    pairing.Sizes.Where(s => s.Cold.ContainsKey(MinimalName)).Select(size =>
                    {
                        var minimal = Harness.Median(size.Cold[MinimalName]);
                        return (IReadOnlyList<string>)
                        [
                            size.Secrets.ToString("N0", CultureInfo.InvariantCulture),
                            $"{Harness.Format(minimal)} ({Harness.Format(size.Cold[MinimalName].Min())}–{Harness.Format(size.Cold[MinimalName].Max())})",
                            Harness.Format(Harness.Median(size.Cold[SecretOpsName])),
                            Harness.Format(Harness.Median(size.Cold[SecretOpsName]) - minimal),
                            Harness.Format(Harness.Median(size.Cold[SecretStoreName]) - minimal),
                        ];
                    })));
                body.AppendLine();
            }

            if (pairing.Sizes.Any(s => s.Writers.Count > 0))
            {
                body.AppendLine(CultureInfo.InvariantCulture, $"{WriterProcesses} processes writing at once:").AppendLine();
                body.Append(Harness.MarkdownTable(["secrets", "vault", "writes", "acknowledged", "acknowledged but missing afterwards", "errors surfaced", "wall time (s)", "acknowledged writes/s", "first error"],
                    pairing.Sizes.SelectMany(size => size.Writers.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => (IReadOnlyList<string>)
                    [
                        size.Secrets.ToString("N0", CultureInfo.InvariantCulture),
                        w.Key,
                        w.Value.Attempted.ToString(CultureInfo.InvariantCulture),
                        w.Value.Acknowledged.ToString(CultureInfo.InvariantCulture),
                        w.Value.Lost.ToString(CultureInfo.InvariantCulture),
                        w.Value.Errors.ToString(CultureInfo.InvariantCulture),
                        w.Value.Seconds.ToString("0.0", CultureInfo.InvariantCulture),
                        (w.Value.Acknowledged / w.Value.Seconds).ToString("0", CultureInfo.InvariantCulture),
                        w.Value.FirstError is { } e ? "`" + (e.Length > 120 ? e[..120] + "…" : e).Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal) + "`" : "",
                    ]))));
                body.AppendLine();
            }

            body.AppendLine("Filling the stores (untimed for the table above; both side by side, through Set-Secret): " +
                string.Join("; ", pairing.Sizes.Select(s => $"to {s.Secrets.ToString("N0", CultureInfo.InvariantCulture)}: " +
                    string.Join(", ", s.FillSeconds.Select(f => $"{f.Key} {f.Value.ToString("0.0", CultureInfo.InvariantCulture)} s")))) + ".");
            body.AppendLine();
        }

        body.AppendLine(CultureInfo.InvariantCulture, $"`peer`: {elapsed.TotalSeconds:0} s in all, including building the stores.");
        return body.ToString();
    }

    private static List<TargetOutcome> Targets(List<PairingResult> results)
    {
        var targets = new List<TargetOutcome>();
        foreach (var pairing in results)
        {
            foreach (var operation in Operations.Append(new Operation("cold", "cold runbook")))
            {
                var ratios = pairing.Sizes.Select(size =>
                {
                    var (ours, theirs) = operation.Key == "cold"
                        ? (size.Cold[SecretOpsName], size.Cold[SecretStoreName])
                        : (size.Warm[operation.Key][SecretOpsName], size.Warm[operation.Key][SecretStoreName]);
                    return (size.Secrets, Ratio: Harness.Median(ours) / Harness.Median(theirs));
                }).ToList();
                var worst = ratios.MaxBy(r => r.Ratio);
                targets.Add(new($"{operation.Title} ≤ {TargetShare}x SecretStore's time at every size ({pairing.Pairing.Title})",
                    string.Join(", ", ratios.Select(r => $"{Harness.FormatRatio(r.Ratio)}x at {r.Secrets.ToString("N0", CultureInfo.InvariantCulture)}")),
                    $"worst {Harness.FormatRatio(worst.Ratio)}x", worst.Ratio <= TargetShare));
            }

            var withMinimal = pairing.Sizes.Where(s => s.Cold.ContainsKey(MinimalName)).ToList();
            if (withMinimal.Count > 0)
            {
                var extra = withMinimal.Select(s => (s.Secrets, Seconds: (Harness.Median(s.Cold[SecretOpsName]) - Harness.Median(s.Cold[MinimalName])) / 1000)).ToList();
                var worst = extra.Max(e => e.Seconds);
                targets.Add(new($"importing SecretOps and the first Get-Secret add ≤ {ImportTargetSeconds} s over a minimal script vault",
                    string.Join(", ", extra.Select(e => $"+{e.Seconds.ToString("0.000", CultureInfo.InvariantCulture)} s at {e.Secrets.ToString("N0", CultureInfo.InvariantCulture)}")),
                    $"worst +{worst.ToString("0.000", CultureInfo.InvariantCulture)} s", worst <= ImportTargetSeconds));
            }

            var writers = pairing.Sizes.Where(s => s.Writers.Count > 0).ToList();
            if (writers.Count > 0)
            {
                foreach (var label in new[] { SecretOpsName, SecretStoreName })
                {
                    var lost = writers.Sum(s => s.Writers[label].Lost);
                    var errors = writers.Sum(s => s.Writers[label].Errors);
                    var acknowledged = writers.Sum(s => s.Writers[label].Acknowledged);
                    targets.Add(new($"{WriterProcesses} processes writing at once: {label} loses no acknowledged write and surfaces no error",
                        $"{lost} of {acknowledged} acknowledged writes missing, {errors} errors", string.Empty, label == SecretOpsName ? lost == 0 && errors == 0 : null));
                }
            }
        }

        return targets;
    }

    /// <summary>How much to do: from --sizes, --quick and --runs.</summary>
    private sealed record Settings(IReadOnlyList<int> Sizes, int Rounds, int Batch, int InfoRepeat, int ColdRuns, int WritesPerProcess)
    {
        public static Settings From(BenchOptions options)
        {
            var sizes = (options.Sizes ?? (options.Quick ? QuickSizes : DefaultSizes)).Distinct().Order().ToList();
            return options.Quick
                ? new Settings(sizes, options.Runs, Batch: 10, InfoRepeat: 2, ColdRuns: 5, WritesPerProcess: 25)
                : new Settings(sizes, options.Runs, Batch: 20, InfoRepeat: 3, ColdRuns: 9, WritesPerProcess: 100);
        }
    }

    private sealed record Operation(string Key, string Title);

    private sealed record Pairing(string Title, string SecretOpsKind, string SecretStoreKind, bool Password, bool Writers);

    /// <summary>A registered vault: its label in the tables, its SecretManagement name, the HOME it is registered in, its password.</summary>
    private sealed record VaultSetup(string Label, string Vault, string Home, string? Password);

    private sealed record WriterResult(int Attempted, int Acknowledged, int Lost, int Errors, double Seconds, string? FirstError);

    private sealed class SizeResult(int size)
    {
        public int Secrets { get; set; } = size;

        public Dictionary<string, double> FillSeconds { get; set; } = [];

        public Dictionary<string, Dictionary<string, List<double>>> Warm { get; set; } = [];

        public Dictionary<string, List<double>> Cold { get; set; } = [];

        public Dictionary<string, WriterResult> Writers { get; } = new(StringComparer.Ordinal);

        /// <summary>Get-SecretInfo counts of the peer that differed from what it acknowledged.</summary>
        public SortedSet<string> PeerMiscounts { get; } = new(StringComparer.Ordinal);
    }

    private sealed class PairingResult(Pairing pairing)
    {
        public Pairing Pairing { get; } = pairing;

        public List<SizeResult> Sizes { get; } = [];
    }

    /// <summary>What every child process needs: pwsh, the module folders, the scripts, the work folder.</summary>
    private sealed class Context(string pwsh, string modules, string secretOpsModule, string worker, string runbook, string work, Settings settings, TextWriter progress)
    {
        public Settings Settings { get; } = settings;

        public TextWriter Progress { get; } = progress;

        public string Runbook { get; } = runbook;

        /// <summary>Creates and registers one vault in a HOME of its own (a one-shot pwsh running the worker's Setup mode).</summary>
        public VaultSetup Setup(string folder, string vaultName, string kind, string? password)
        {
            var directory = Path.Combine(work, folder);
            var home = Path.Combine(directory, "home");
            Directory.CreateDirectory(home);
            var label = kind switch
            {
                "MinimalScript" => MinimalName,
                _ when kind.StartsWith("SecretOps", StringComparison.Ordinal) => SecretOpsName,
                _ => SecretStoreName,
            };
            var vault = new VaultSetup(label, vaultName, home, password);
            var output = ChildProcess.Run(StartInfo(vault,
                ["-NoProfile", "-NonInteractive", "-File", worker, "-Mode", "Setup", "-Vault", vaultName, "-Kind", kind,
                 "-ModuleManifest", secretOpsModule, "-StorePath", Path.Combine(directory, "store.db"), "-WorkFolder", directory]));
            if (output.ExitCode != 0 || !output.Stdout.Contains(PwshWorker.ResultPrefix, StringComparison.Ordinal))
            {
                throw new BenchmarkFailedException($"Setting up the {kind} vault failed (exit code {output.ExitCode}): {output.Stderr.Trim()}");
            }

            Progress.WriteLine($"    set up {label} ({kind})");
            return vault;
        }

        /// <summary>A long-lived worker for the vault; its first answer (to <see cref="PwshWorker.Receive"/>) says it is ready.</summary>
        public PwshWorker StartWorker(VaultSetup vault, string description) =>
            PwshWorker.Start(StartInfo(vault, ["-NoProfile", "-NonInteractive", "-File", worker, "-Mode", "Serve", "-Vault", vault.Vault]), description);

        /// <summary>pwsh with the vault's HOME, XDG folders and password, and only the built peer modules added to PSModulePath.</summary>
        public ProcessStartInfo StartInfo(VaultSetup vault, IReadOnlyList<string> arguments)
        {
            var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["HOME"] = vault.Home,
                ["USERPROFILE"] = vault.Home,
                ["XDG_CONFIG_HOME"] = Path.Combine(vault.Home, ".config"),
                ["XDG_DATA_HOME"] = Path.Combine(vault.Home, ".local", "share"),
                ["XDG_CACHE_HOME"] = Path.Combine(vault.Home, ".cache"),
                ["PSModulePath"] = modules,
                ["POWERSHELL_TELEMETRY_OPTOUT"] = "1",
                ["POWERSHELL_UPDATECHECK"] = "Off",
                // No SecretOps configuration file applies.
                ["SECRETOPS_CONFIG"] = Path.Combine(vault.Home, "no-config.yaml"),
            };
            if (vault.Password is not null)
            {
                environment["PEER_PASSWORD"] = vault.Password;
            }

            return ChildProcess.StartInfo([pwsh, .. arguments], environment);
        }
    }
}
