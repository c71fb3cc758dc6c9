using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Secrets;

namespace SecretOps.Bench;

/// <summary>
/// <c>control-log</c>: what store format 2's signed control log costs (issue 14, "Cost"). (a) Replaying a 10,000-entry
/// log from nothing in-process (<see cref="ControlView.Read"/> with no verified state), beside its parts (reading the
/// rows, decoding them, <see cref="ControlReplay.ReplayAll"/> of decoded entries) and 10,000 bare ECDSA P-256
/// verifications; (b) the whole <c>secretops secret get</c> process on a store whose log has 1,000 entries, with this
/// machine's local head for the store and without it, beside the same on a store with a short log and
/// <c>secretops --version</c>; (c) a namespace grant at 100 against 5,000 secrets in the namespace.
/// </summary>
internal sealed class ControlLogBenchmark : IBenchmark
{
    private const int ReplayEntries = 10_000;
    private const int ColdEntries = 1_000;
    private const int GrantSmall = 100;
    private const int GrantLarge = 5_000;
    private const double ReplayLimitMilliseconds = 1000;
    private const double ColdLimitMilliseconds = 150;
    private const double GrantRatioLimit = 1.5;
    private const string SecretName = "service/api-token";

    private const string ViewRead = "ControlView.Read from nothing";
    private const string ReadRows = "read the rows";
    private const string ReadDecode = "read + decode";
    private const string ReplayDecoded = "ControlReplay.ReplayAll (decoded)";
    private const string BareVerify = "10,000 bare ECDSA P-256 verifications";

    private const string ColdWith = "secretops get, 1,000-entry log, local head present";
    private const string ColdWithout = "secretops get, 1,000-entry log, no local state";
    private const string ColdShort = "secretops get, short log, local head present";
    private const string ColdJit = "out/cli/secretops get (JIT-compiled), 1,000-entry log, local head present";
    private const string Version = "secretops --version";
    private const string KeePassXc = "keepassxc-cli show";

    /// <summary>Hidden subcommand: <c>control-log-store PATH ENTRIES</c> builds the cold-start store (for profiling one process by hand).</summary>
    public const string StoreCommand = "control-log-store";

    public string Name => "control-log";

    public string Description => "format 2: replay 10,000 log entries; cold get at 1,000 entries with/without local state; grant at 100 vs 5,000";

    public string Title => "Control log (format 2)";

    public int DefaultRuns => 7;

    // The load average is part of the body (at the start and the end of the run), not of the machine: it changes.
    public IReadOnlyList<(string Label, string Value)> MachineNotes() => [];

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var cli = ColdStartBenchmark.CliLauncher();
        if (!File.Exists(cli))
        {
            throw new BenchmarkFailedException($"{cli} does not exist; build the solution first (dotnet build -c Release).");
        }

        var directory = Directory.CreateTempSubdirectory("secretops-bench-control-").FullName;
        // This process's own local heads (Connect records one per store path) go to the temporary directory, not the user's.
        var stateBefore = Environment.GetEnvironmentVariable(LocalHeads.StateDirectoryVariable);
        Environment.SetEnvironmentVariable(LocalHeads.StateDirectoryVariable, Path.Combine(directory, "bench-state"));
        try
        {
            var body = new StringBuilder();
            var targets = new List<TargetOutcome>();
            var load = LoadAverage();
            body.AppendLine(CultureInfo.InvariantCulture, $"Load average when the benchmark started: {load} (2 cores; other work on the machine shows here).").AppendLine();
            Replay(directory, options, progress, body, targets);
            Cold(cli, directory, options, progress, body, targets);
            Grant(directory, options, progress, body, targets);
            body.AppendLine(CultureInfo.InvariantCulture, $"Load average when the benchmark ended: {LoadAverage()}.");
            return new BenchmarkResult(body.ToString(), targets);
        }
        finally
        {
            Environment.SetEnvironmentVariable(LocalHeads.StateDirectoryVariable, stateBefore);
            SecretStore.ReleaseConnections();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>(a) A realistic 10,000-entry log, replayed from nothing.</summary>
    private static void Replay(string directory, BenchOptions options, TextWriter progress, StringBuilder body, List<TargetOutcome> targets)
    {
        var path = Path.Combine(directory, "replay.db");
        var built = Stopwatch.StartNew();
        var composition = BuildReplayStore(path, progress);
        progress.WriteLine($"    replay store: {composition} in {built.Elapsed.TotalSeconds:0.0} s");
        var store = SecretStore.Open(path);
        var head = store.Backend.Read(reader => reader.ControlHead());
        if (head != ReplayEntries)
        {
            throw new BenchmarkFailedException($"the replay store's log has {head} entries, not {ReplayEntries}.");
        }

        var rows = store.Backend.Read(reader => reader.ControlEntries(0).ToList());
        var decoded = rows.Select(r => ControlView.Decode(r.Sequence, r.Entry)).ToList();
        var expected = ControlReplay.ReplayAll(decoded);
        var authors = decoded.Select(e => e.AuthorId).Distinct().Count();
        var meanSigned = decoded.Average(e => e.SignedBytes().Length);
        var meanStored = rows.Average(r => r.Entry.Length);

        // The reference: the same number of ECDSA P-256 SHA-256 verifications of messages of the log's mean signed size,
        // through ECDsa.VerifyData as ClientVerifyingKey does, with as many keys as the log has authors.
        var keys = Enumerable.Range(0, authors).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToArray();
        var messages = new byte[ReplayEntries][];
        var signatures = new byte[ReplayEntries][];
        for (var i = 0; i < ReplayEntries; i++)
        {
            messages[i] = RandomNumberGenerator.GetBytes((int)Math.Round(meanSigned));
            signatures[i] = keys[i % keys.Length].SignData(messages[i], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        AccessState? replayed = null;
        var readCount = 0;
        var verified = 0;
        var candidates = new List<Candidate>
        {
            new(ViewRead, () => replayed = store.Backend.Read(reader => new ControlView().Read(reader, store.Path)),
                () => Expect(replayed!.Sequence == ReplayEntries && replayed.HeadHash.AsSpan().SequenceEqual(expected.HeadHash), "ControlView.Read did not reach the log's head")),
            new(ReadRows, () => readCount = store.Backend.Read(reader => reader.ControlEntries(0).Count()),
                () => Expect(readCount == ReplayEntries, "reading the rows did not return every entry")),
            new(ReadDecode, () => readCount = store.Backend.Read(reader => reader.ControlEntries(0).Select(r => ControlView.Decode(r.Sequence, r.Entry)).Count()),
                () => Expect(readCount == ReplayEntries, "decoding did not return every entry")),
            new(ReplayDecoded, () => replayed = ControlReplay.ReplayAll(decoded),
                () => Expect(replayed!.HeadHash.AsSpan().SequenceEqual(expected.HeadHash), "ReplayAll did not reach the log's head")),
            new(BareVerify, () =>
            {
                verified = 0;
                for (var i = 0; i < ReplayEntries; i++)
                {
                    verified += keys[i % keys.Length].VerifyData(messages[i], signatures[i], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation) ? 1 : 0;
                }
            }, () => Expect(verified == ReplayEntries, "a bare verification failed")),
        };

        var samples = Harness.MeasureAlternating(candidates, options.Runs, options.Warmups, progress);
        foreach (var key in keys)
        {
            key.Dispose();
        }

        var view = samples[ViewRead].MedianMilliseconds;
        var bare = samples[BareVerify].MedianMilliseconds;
        body.AppendLine("#### (a) Replaying 10,000 entries from nothing").AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture,
            $"A store built through Session ({composition}); its log has exactly {ReplayEntries:N0} entries by {authors} authors, {meanStored:0} bytes stored and {meanSigned:0} bytes signed per entry on average. `{ViewRead}`: `new ControlView().Read(reader, path)` in one read transaction, as a process with no verified state does (SQLite rows, decoding, chain, signatures, authority, state). Its parts, in the same runs: reading the rows only; reading and decoding them; `ControlReplay.ReplayAll` of the entries already decoded in memory. Reference: {ReplayEntries:N0} `ECDsa.VerifyData` calls (P-256, SHA-256, IEEE P1363 signatures) on random messages of the mean signed size with {authors} keys. Medians of {options.Runs} runs, alternating, after {options.Warmups} warm-up each (building the store already ran the replay code, so it is jitted; the cold process of (b) shows the unjitted cost).");
        body.AppendLine();
        body.Append(Harness.MarkdownTable(["operation", "median (ms)", "fastest – slowest (ms)", "per entry (µs)", "vs bare verifications"],
            candidates.Select(c => (IReadOnlyList<string>)
            [
                c.Name,
                Harness.Format(samples[c.Name].MedianMilliseconds),
                Spread(samples[c.Name]),
                Harness.Format(samples[c.Name].MedianMilliseconds * 1000 / ReplayEntries),
                $"{Harness.FormatRatio(samples[c.Name].MedianMilliseconds / bare)}x",
            ])));
        body.AppendLine();
        targets.Add(new($"replay {ReplayEntries:N0} control log entries from nothing < {ReplayLimitMilliseconds:0} ms",
            $"{Harness.Format(view)} ms (bare verifications {Harness.Format(bare)} ms)",
            $"{Harness.FormatRatio(view / ReplayLimitMilliseconds)}x of the limit; {Harness.FormatRatio(view / bare)}x the bare verifications", view < ReplayLimitMilliseconds));
    }

    /// <summary>
    /// 20 clients (3 admins, 17 members), 10 namespaces, namespace and secret grants, one revocation with rotation, and
    /// secrets created by the System client and two member writers; filled with new secrets (2 entries each: CreateSecret
    /// and PutVersion) and then new versions (1 entry each) until the log has exactly <see cref="ReplayEntries"/> entries.
    /// </summary>
    private static string BuildReplayStore(string path, TextWriter progress)
    {
        var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true });
        using var credential = ClientCredential.FromGeneratedSecret(created.ClientSecret!);
        var store = SecretStore.Open(path);
        using var system = store.Connect(SecretStore.SystemClientName, credential);
        var namespaces = Enumerable.Range(0, 10).Select(i => $"team-{i:D2}").ToArray();
        foreach (var ns in namespaces)
        {
            system.CreateNamespace(ns);
        }

        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < 20; i++)
        {
            var role = i < 3 ? ClientRole.Admin : ClientRole.Member;
            secrets[$"client-{i:D2}"] = system.AddClient($"client-{i:D2}", new ClientCredentialSpec { Kind = ClientKind.Generated }, role).ClientSecret!;
        }

        // Members 3..19 read three namespaces each; members 3 and 4 write to every namespace.
        for (var i = 3; i < 20; i++)
        {
            for (var k = 0; k < 3; k++)
            {
                system.Grant($"client-{i:D2}", namespaces[(i + k) % namespaces.Length], null, Permissions.Read);
            }
        }

        foreach (var ns in namespaces)
        {
            system.Grant("client-03", ns, null, Permissions.Read | Permissions.Write);
            system.Grant("client-04", ns, null, Permissions.Read | Permissions.Write);
        }

        using var writerCredential3 = ClientCredential.FromGeneratedSecret(secrets["client-03"]);
        using var writerCredential4 = ClientCredential.FromGeneratedSecret(secrets["client-04"]);
        using var writer3 = SecretStore.Open(path).Connect("client-03", writerCredential3);
        using var writer4 = SecretStore.Open(path).Connect("client-04", writerCredential4);
        Session[] writers = [system, writer3, writer4];
        long Head() => store.Backend.Read(reader => reader.ControlHead());

        var count = 0;
        var versions = 0;
        var revoked = false;
        var secretGrants = 0;
        // New secrets while two more entries fit, then new versions of existing ones until the log is full.
        while (Head() <= ReplayEntries - 2)
        {
            var writer = writers[count % writers.Length];
            using var value = SecretValue.FromString($"value-{count:D5}-0123456789abcdef");
            writer.SetSecret(namespaces[count % namespaces.Length], $"app-{count:D5}/password", value);
            count++;
            if (count % 500 == 0)
            {
                // A per-secret grant now and then, as for a single shared credential.
                system.Grant($"client-{5 + (count / 500 % 15):D2}", namespaces[(count - 1) % namespaces.Length], $"app-{count - 1:D5}/password", Permissions.Read);
                secretGrants++;
                progress.WriteLine($"    replay store: {count} secrets, {Head()} log entries");
            }

            if (count == 2000 && !revoked)
            {
                // One revocation with rotation: a new key generation for the namespace and every secret in it.
                system.Revoke("client-19", namespaces[9], null);
                revoked = true;
            }
        }

        var update = 0;
        while (Head() < ReplayEntries)
        {
            using var value = SecretValue.FromString($"value-{update:D5}-second");
            system.SetSecret(namespaces[update % namespaces.Length], $"app-{update:D5}/password", value);
            update++;
            versions++;
        }

        system.FlushAudit();
        return string.Create(CultureInfo.InvariantCulture,
            $"20 clients (3 admins), 10 namespaces, {17 * 3 + 20} namespace grants, {secretGrants} secret grants, one revocation with rotation of a {namespaces[9]} namespace holding {2000 / namespaces.Length} secrets, {count:N0} secrets created by the System client and two member writers in turn, {versions:N0} second versions");
    }

    /// <summary>(b) The whole <c>secretops secret get</c> process on a store whose log has 1,000 entries.</summary>
    private static void Cold(string cli, string directory, BenchOptions options, TextWriter progress, StringBuilder body, List<TargetOutcome> targets)
    {
        var value = "tok_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var longStore = Path.Combine(directory, "cold-1000.db");
        var shortStore = Path.Combine(directory, "cold-short.db");
        var longSecret = BuildColdStore(longStore, value, ColdEntries);
        var shortSecret = BuildColdStore(shortStore, value, 0);
        var shortEntries = SecretStore.Open(shortStore).Backend.Read(reader => reader.ControlHead());
        progress.WriteLine($"    cold stores: {ColdEntries} and {shortEntries} log entries");

        // The CLI keeps its local heads where SECRETOPS_STATE_DIR says. "Present": one directory for every run, so the
        // warm-up run records the head and later runs find it. "No local state": a new empty directory before each run.
        var keptState = Path.Combine(directory, "cli-state");
        Directory.CreateDirectory(keptState);
        var freshStates = 0;
        Dictionary<string, string?> CliEnvironment(string store, string secret, string state) => new(StringComparer.Ordinal)
        {
            ["SECRETOPS_STORE"] = store,
            ["SECRETOPS_CONFIG"] = Path.Combine(directory, "no-config.yaml"),
            ["SECRETOPS_CLIENT"] = "deploy",
            ["SECRETOPS_CLIENT_SECRET"] = secret,
            [LocalHeads.StateDirectoryVariable] = state,
        };
        var withoutStart = ChildProcess.StartInfo([cli, "secret", "get", SecretName], CliEnvironment(longStore, longSecret, keptState));
        var candidates = new List<Candidate>
        {
            ColdStartBenchmark.ProcessCandidate(ColdWith, ChildProcess.StartInfo([cli, "secret", "get", SecretName], CliEnvironment(longStore, longSecret, keptState)), null, value),
            ColdStartBenchmark.ProcessCandidate(ColdWithout, withoutStart, null, value) with
            {
                Prepare = () =>
                {
                    var fresh = Path.Combine(directory, $"cli-state-empty-{freshStates++}");
                    Directory.CreateDirectory(fresh);
                    withoutStart.Environment[LocalHeads.StateDirectoryVariable] = fresh;
                },
            },
            ColdStartBenchmark.ProcessCandidate(ColdShort, ChildProcess.StartInfo([cli, "secret", "get", SecretName], CliEnvironment(shortStore, shortSecret, keptState)), null, value),
            ColdStartBenchmark.ProcessCandidate(Version, ChildProcess.StartInfo([cli, "--version"], new Dictionary<string, string?> { ["SECRETOPS_CONFIG"] = Path.Combine(directory, "no-config.yaml") }), null, null),
        };
        if (cli != ColdStartBenchmark.JitCli() && File.Exists(ColdStartBenchmark.JitCli()))
        {
            // The framework-dependent CLI beside the native one: what start-up costs when it is JIT-compiled.
            candidates.Add(ColdStartBenchmark.ProcessCandidate(ColdJit,
                ChildProcess.StartInfo([ColdStartBenchmark.JitCli(), "secret", "get", SecretName], CliEnvironment(longStore, longSecret, keptState)), null, value));
        }

        var keepass = ChildProcess.FindOnPath("keepassxc-cli");
        string keepassNote;
        if (keepass is null)
        {
            keepassNote = "keepassxc-cli is not installed (Debian: `apt-get install keepassxc`), so it was not measured.";
        }
        else
        {
            var database = Path.Combine(directory, "keepass.kdbx");
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
            keepassNote = ColdStartBenchmark.CreateKeePassDatabase(keepass, directory, database, password, value);
            candidates.Add(ColdStartBenchmark.ProcessCandidate(KeePassXc,
                ChildProcess.StartInfo([keepass, "show", "-q", "-s", "-a", "password", database, ColdStartBenchmark.EntryName]), password + "\n", value + "\n"));
        }

        progress.WriteLine("    " + keepassNote);
        var runs = Math.Max(options.Runs, 11);
        var samples = Harness.MeasureAlternating(candidates, runs, options.Warmups, progress);
        var with = samples[ColdWith].MedianMilliseconds;
        var without = samples[ColdWithout].MedianMilliseconds;
        body.AppendLine("#### (b) Cold `secretops secret get` on a store whose log has 1,000 entries").AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture,
            $"Wall time of the whole `{Path.GetRelativePath(Harness.RepoRoot(), cli)} secret get {SecretName}` process, spawn to exit with its output read and checked, as `cold-start` measures it: a generated-secret Member (`deploy`, Read on the namespace), SECRETOPS_STORE, no configuration file. The 1,000-entry store: the System client, `deploy`, its grant, the secret, then other secrets and versions until the log has exactly {ColdEntries:N0} entries; the short-log store has only the first {shortEntries} entries. Local head present: SECRETOPS_STATE_DIR is one directory for every run (the warm-up run recorded the head, so later runs compare and keep it). No local state: SECRETOPS_STATE_DIR is a new empty directory before each run (so the process also makes the machine key and writes the record). A process replays the whole log either way; with the local head present it does not verify again the signatures of the entries up to the head this account verified before (the local state holds that head, not the replayed state). Medians of {runs} runs, alternating, after {options.Warmups} warm-up each (files in the page cache). {keepassNote}");
        body.AppendLine();
        body.Append(Harness.MarkdownTable(["process", "median (ms)", "fastest – slowest (ms)", "vs short log"],
            candidates.Select(c => (IReadOnlyList<string>)
            [
                c.Name,
                Harness.Format(samples[c.Name].MedianMilliseconds),
                Spread(samples[c.Name]),
                $"{Harness.FormatRatio(samples[c.Name].MedianMilliseconds / samples[ColdShort].MedianMilliseconds)}x",
            ])));
        body.AppendLine();
        targets.Add(new($"cold `secretops secret get`, {ColdEntries:N0}-entry log, local head present < {ColdLimitMilliseconds:0} ms",
            $"{Harness.Format(with)} ms (short log {Harness.Format(samples[ColdShort].MedianMilliseconds)} ms, --version {Harness.Format(samples[Version].MedianMilliseconds)} ms)",
            $"{Harness.FormatRatio(with / ColdLimitMilliseconds)}x of the limit", with < ColdLimitMilliseconds));
        targets.Add(new($"cold `secretops secret get`, {ColdEntries:N0}-entry log, no local state < {ColdLimitMilliseconds:0} ms",
            $"{Harness.Format(without)} ms", $"{Harness.FormatRatio(without / ColdLimitMilliseconds)}x of the limit", without < ColdLimitMilliseconds));
        if (samples.TryGetValue(KeePassXc, out var keepassSamples))
        {
            targets.Add(new("cold `secretops secret get` (1,000-entry log, local head) vs `keepassxc-cli show`",
                $"{Harness.Format(with)} ms vs {Harness.Format(keepassSamples.MedianMilliseconds)} ms", $"{Harness.FormatRatio(with / keepassSamples.MedianMilliseconds)}x keepassxc-cli's time", null));
        }
    }

    /// <summary>
    /// <c>control-log-store PATH ENTRIES</c>: builds the store (b) measures at PATH, its log filled to ENTRIES (0: as it is),
    /// and writes the generated secret of its Member <c>deploy</c> to PATH.secret (owner-only), for runs by hand such as
    /// <c>SECRETOPS_STORE=PATH SECRETOPS_CLIENT=deploy SECRETOPS_CLIENT_SECRET=$(cat PATH.secret) perf record … secretops secret get service/api-token</c>.
    /// </summary>
    public static int BuildStore(ReadOnlySpan<string> args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var entries))
        {
            Console.Error.WriteLine($"Usage: {StoreCommand} PATH ENTRIES");
            return ExitCodes.Usage;
        }

        var path = Path.GetFullPath(args[0]);
        // Building connects sessions, which record local heads: in a directory of this run's own, not the user's.
        var state = Directory.CreateTempSubdirectory("secretops-bench-state-").FullName;
        Environment.SetEnvironmentVariable(LocalHeads.StateDirectoryVariable, state);
        string secret;
        try
        {
            secret = BuildColdStore(path, "tok_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), entries);
        }
        finally
        {
            SecretStore.ReleaseConnections();
            Directory.Delete(state, recursive: true);
        }

        var secretPath = path + ".secret";
        File.WriteAllText(secretPath, string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(secretPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(secretPath, secret);
        Console.Error.WriteLine($"{path}: {SecretStore.Open(path).Backend.Read(reader => reader.ControlHead())} log entries; deploy's secret in {secretPath}.");
        SecretStore.ReleaseConnections();
        return ExitCodes.Success;
    }

    /// <summary>A store with the secret readable by the generated-secret Member <c>deploy</c>, its log filled to <paramref name="entries"/> (0: as it is); returns deploy's secret.</summary>
    private static string BuildColdStore(string path, string value, int entries)
    {
        var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true });
        using var credential = ClientCredential.FromGeneratedSecret(created.ClientSecret!);
        var store = SecretStore.Open(path);
        using var session = store.Connect(SecretStore.SystemClientName, credential);
        var deploy = session.AddClient("deploy", new ClientCredentialSpec { Kind = ClientKind.Generated });
        session.Grant("deploy", SecretStore.DefaultNamespace, null, Permissions.Read);
        using (var secret = SecretValue.FromString(value))
        {
            session.SetSecret(SecretStore.DefaultNamespace, SecretName, secret);
        }

        long Head() => store.Backend.Read(reader => reader.ControlHead());
        var i = 0;
        while (entries > 0 && Head() <= entries - 2)
        {
            using var filler = SecretValue.FromString($"filler-{i}");
            session.SetSecret(SecretStore.DefaultNamespace, $"app-{i++:D4}/password", filler);
        }

        i = 0;
        while (entries > 0 && Head() < entries)
        {
            using var filler = SecretValue.FromString($"filler-{i}-second");
            session.SetSecret(SecretStore.DefaultNamespace, $"app-{i++:D4}/password", filler);
        }

        if (entries > 0 && Head() != entries)
        {
            throw new BenchmarkFailedException($"the cold-start store's log has {Head()} entries, not {entries}.");
        }

        session.FlushAudit();
        return deploy.ClientSecret!;
    }

    /// <summary>(c) Granting Read on a namespace of 100 secrets against one of 5,000: a grant wraps one key per namespace generation.</summary>
    private static void Grant(string directory, BenchOptions options, TextWriter progress, StringBuilder body, List<TargetOutcome> targets)
    {
        var path = Path.Combine(directory, "grant.db");
        var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true });
        using var credential = ClientCredential.FromGeneratedSecret(created.ClientSecret!);
        var store = SecretStore.Open(path);
        using var session = store.Connect(SecretStore.SystemClientName, credential);
        var small = $"ns-{GrantSmall}";
        var large = $"ns-{GrantLarge}";
        session.CreateNamespace(small);
        session.CreateNamespace(large);
        foreach (var (ns, count) in new[] { (small, GrantSmall), (large, GrantLarge) })
        {
            for (var i = 0; i < count; i++)
            {
                using var value = SecretValue.FromString($"value-{i}");
                session.SetSecret(ns, $"secret-{i:D5}", value);
            }
        }

        session.AddClient("grantee", new ClientCredentialSpec { Kind = ClientKind.Generated });
        var head = store.Backend.Read(reader => reader.ControlHead());
        progress.WriteLine($"    grant store: {GrantSmall} and {GrantLarge} secrets, {head} log entries");
        var smallName = $"grant read, {GrantSmall:N0} secrets";
        var largeName = $"grant read, {GrantLarge:N0} secrets";
        var candidates = new List<Candidate>
        {
            new(smallName, () => session.Grant("grantee", small, null, Permissions.Read), () => session.Revoke("grantee", small, null, rotate: false)),
            new(largeName, () => session.Grant("grantee", large, null, Permissions.Read), () => session.Revoke("grantee", large, null, rotate: false)),
        };
        // A grant takes a few milliseconds and one write's fsync can take a hundred on a shared disk: more runs than the rest.
        var runs = Math.Max(options.Runs, 21);
        var samples = Harness.MeasureAlternating(candidates, runs, options.Warmups, progress);
        var smallMedian = samples[smallName].MedianMilliseconds;
        var largeMedian = samples[largeName].MedianMilliseconds;
        body.AppendLine("#### (c) Grant cost against the number of secrets").AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture,
            $"One store (generated-secret System client, WAL, synchronous=FULL) with namespaces of {GrantSmall:N0} and {GrantLarge:N0} secrets (one key generation each; the log then has {head:N0} entries). `Session.Grant` of Read on the whole namespace to a Member, in a connected session: the stanza, the grant row, the signed Grant entry (signing it and replaying it onto the session's verified state), the audit entry, one transaction. Each grant is undone untimed (revoke without rotation) after it is measured. Medians of {runs} runs, alternating.");
        body.AppendLine();
        body.Append(Harness.MarkdownTable(["operation", "median (ms)", "fastest – slowest (ms)", "target", "ratio"],
            [
                [smallName, Harness.Format(smallMedian), Spread(samples[smallName]), string.Empty, string.Empty],
                [largeName, Harness.Format(largeMedian), Spread(samples[largeName]), $"≤ {GrantRatioLimit}x the {GrantSmall}-secret grant", $"{Harness.FormatRatio(largeMedian / smallMedian)}x"],
            ]));
        body.AppendLine();
        targets.Add(new($"namespace grant at {GrantLarge:N0} secrets ≤ {GrantRatioLimit}x the grant at {GrantSmall} (O(1) in the number of secrets)",
            $"{Harness.Format(largeMedian)} ms vs {Harness.Format(smallMedian)} ms", $"{Harness.FormatRatio(largeMedian / smallMedian)}x", largeMedian / smallMedian <= GrantRatioLimit));
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new BenchmarkFailedException(what + ".");
        }
    }

    private static string Spread(Samples samples) => $"{Harness.Format(samples.Milliseconds.Min())} – {Harness.Format(samples.Milliseconds.Max())}";

    /// <summary>The 1, 5 and 15 minute load averages (/proc/loadavg), or "unknown".</summary>
    internal static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{fields[0]}, {fields[1]}, {fields[2]} (1, 5, 15 min)";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return "unknown";
        }
    }
}
