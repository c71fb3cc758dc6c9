using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;

namespace SecretOps.Bench;

/// <summary>
/// <c>cold-start</c>: the whole <c>out/cli/secretops secret get NAME</c> process as a user runs it (the native
/// launcher the build produces), from spawn to exit with its output read: with a generated-secret client (the
/// target), alternating with <c>keepassxc-cli show</c> on a KDBX 4 database holding the same secret, with a
/// passphrase client at the default KDF, and <c>secretops --version</c> (the bare .NET start of the CLI).
/// </summary>
internal sealed class ColdStartBenchmark : IBenchmark
{
    private const double TargetMilliseconds = 150;
    internal const string EntryName = "api-token";
    private const string SecretName = "service/" + EntryName;
    private const string Generated = "secretops get, generated secret";
    private const string Passphrase = "secretops get, passphrase";
    private const string Version = "secretops --version";
    private const string KeePassXc = "keepassxc-cli show";

    /// <summary>keepassxc-cli refuses a target decryption time below 100 ms ("must be between 100 and 5000").</summary>
    private const int KeePassXcLowestDecryptionMilliseconds = 100;

    public string Name => "cold-start";

    public string Description => "the whole `secretops secret get` process vs `keepassxc-cli show`; passphrase client; --version";

    public string Title => "Cold start";

    public int DefaultRuns => 11;

    public IReadOnlyList<(string Label, string Value)> MachineNotes() =>
    [
        ("secretops", CliLauncher()),
        ("keepassxc-cli", ChildProcess.FindOnPath("keepassxc-cli") is { } keepass
            ? $"{keepass}, version {ChildProcess.Run(ChildProcess.StartInfo([keepass, "--version"])).Stdout.Trim()}"
            : "not installed (Debian: apt-get install keepassxc)"),
    ];

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var cli = CliLauncher();
        if (!File.Exists(cli))
        {
            throw new BenchmarkFailedException($"{cli} does not exist; build the solution first (dotnet build -c Release).");
        }

        var directory = Directory.CreateTempSubdirectory("secretops-bench-cold-").FullName;
        try
        {
            var value = "tok_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
            var store = Path.Combine(directory, "store.db");
            var generatedSecret = CreateStore(store, passphrase, value, progress);
            var common = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["SECRETOPS_STORE"] = store,
                // No configuration file: what is measured is the command, not a profile.
                ["SECRETOPS_CONFIG"] = Path.Combine(directory, "no-config.yaml"),
            };
            var candidates = new List<Candidate>
            {
                ProcessCandidate(Generated, ChildProcess.StartInfo([cli, "secret", "get", SecretName],
                    new Dictionary<string, string?>(common) { ["SECRETOPS_CLIENT"] = "deploy", ["SECRETOPS_CLIENT_SECRET"] = generatedSecret }), null, value),
                ProcessCandidate(Passphrase, ChildProcess.StartInfo([cli, "secret", "get", SecretName],
                    new Dictionary<string, string?>(common) { ["SECRETOPS_PASSPHRASE"] = passphrase }), null, value),
                ProcessCandidate(Version, ChildProcess.StartInfo([cli, "--version"], common), null, null),
            };
            var keepass = ChildProcess.FindOnPath("keepassxc-cli");
            string keepassNote;
            if (keepass is null)
            {
                keepassNote = "keepassxc-cli is not installed (Debian: `apt-get install keepassxc`), so only SecretOps was measured.";
                progress.WriteLine("    " + keepassNote);
            }
            else
            {
                var database = Path.Combine(directory, "keepass.kdbx");
                var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
                keepassNote = CreateKeePassDatabase(keepass, directory, database, password, value);
                progress.WriteLine("    " + keepassNote);
                candidates.Add(ProcessCandidate(KeePassXc, ChildProcess.StartInfo([keepass, "show", "-q", "-s", "-a", "password", database, EntryName]), password + "\n", value + "\n"));
            }

            var samples = Harness.MeasureAlternating(candidates, options.Runs, options.Warmups, progress);
            var ours = samples[Generated].MedianMilliseconds;
            var body = new StringBuilder();
            body.AppendLine(CultureInfo.InvariantCulture,
                $"Wall time of a whole process, from spawn to exit with all its output read, median of {options.Runs} runs alternating in one run (after {options.Warmups} warm-up each, so files are in the page cache). `secretops` is `{Path.GetRelativePath(Harness.RepoRoot(), cli)}`, the native launcher the build produces, run as `secretops secret get {SecretName}` with SECRETOPS_STORE and no configuration file; each output is checked to be the secret. Generated-secret client: SECRETOPS_CLIENT + SECRETOPS_CLIENT_SECRET, a Member with Read on the namespace. Passphrase client: the System client, SECRETOPS_PASSPHRASE, the default KDF ({Describe(Argon2Parameters.Default)}), so it is dominated by Argon2 by design. {keepassNote}");
            body.AppendLine();
            body.Append(Harness.MarkdownTable(["process", "median (ms)", "fastest – slowest (ms)", "vs secretops get, generated"],
                candidates.Select(c => (IReadOnlyList<string>)
                [
                    c.Name,
                    Harness.Format(samples[c.Name].MedianMilliseconds),
                    $"{Harness.Format(samples[c.Name].Milliseconds.Min())} – {Harness.Format(samples[c.Name].Milliseconds.Max())}",
                    $"{Harness.FormatRatio(samples[c.Name].MedianMilliseconds / ours)}x",
                ])));
            var targets = new List<TargetOutcome>
            {
                new($"cold `secretops secret get`, generated-secret client < {TargetMilliseconds} ms", $"{Harness.Format(ours)} ms",
                    $"{Harness.FormatRatio(ours / TargetMilliseconds)}x of the limit", ours < TargetMilliseconds),
            };
            if (samples.TryGetValue(KeePassXc, out var keepassSamples))
            {
                var keepassMedian = keepassSamples.MedianMilliseconds;
                targets.Add(new("cold `secretops secret get` (generated) vs `keepassxc-cli show` (KDBX 4, lowest KDF cost)",
                    $"{Harness.Format(ours)} ms vs {Harness.Format(keepassMedian)} ms", $"{Harness.FormatRatio(ours / keepassMedian)}x keepassxc-cli's time", null));
            }

            var passphraseMedian = samples[Passphrase].MedianMilliseconds;
            targets.Add(new($"cold `secretops secret get`, passphrase client ({Describe(Argon2Parameters.Default)})", $"{Harness.Format(passphraseMedian)} ms",
                $"{Harness.FormatRatio(passphraseMedian / ours)}x the generated-secret client", null));

            return new BenchmarkResult(body.ToString(), targets);
        }
        finally
        {
            SecretStore.ReleaseConnections();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>out/cli/secretops (secretops.exe on Windows): the launcher the build copies there.</summary>
    /// <summary>
    /// The CLI the cold benchmarks run: the ahead-of-time build (tools/publish-native-cli.sh, out/cli-native/) when there is
    /// one, as a user should run it; otherwise the framework-dependent one that <c>dotnet build</c> makes.
    /// </summary>
    internal static string CliLauncher() => File.Exists(NativeCli()) ? NativeCli() : JitCli();

    /// <summary>The framework-dependent CLI (out/cli/), JIT-compiled at every start.</summary>
    internal static string JitCli() => Path.Combine(Harness.RepoRoot(), "out", "cli", OperatingSystem.IsWindows() ? "secretops.exe" : "secretops");

    private static string NativeCli() => Path.Combine(Harness.RepoRoot(), "out", "cli-native", OperatingSystem.IsWindows() ? "secretops.exe" : "secretops");

    /// <summary>A store at the default KDF with the secret, readable by a generated-secret Member; returns its secret.</summary>
    private static string CreateStore(string path, string passphrase, string value, TextWriter progress)
    {
        progress.WriteLine($"    creating the store (System client passphrase at {Describe(Argon2Parameters.Default)})");
        SecretStore.Create(path, new StoreCreateOptions { Passphrase = passphrase.AsMemory() });
        using var credential = ClientCredential.FromPassphrase(passphrase);
        using var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential);
        var deploy = session.AddClient("deploy", new ClientCredentialSpec { Kind = ClientKind.Generated });
        session.Grant("deploy", SecretStore.DefaultNamespace, null, Permissions.Read);
        using var secret = SecretValue.FromString(value);
        session.SetSecret(SecretStore.DefaultNamespace, SecretName, secret);
        return deploy.ClientSecret!;
    }

    /// <summary>
    /// A KDBX 4 database holding <paramref name="value"/> as <see cref="EntryName"/>'s password, at the lowest
    /// decryption time keepassxc-cli allows. <c>db-create</c> writes KDBX 3.1 while the KDF is AES-KDF and the
    /// database has no custom data, so the entry gets one custom-data item (through export and import, which
    /// also takes the decryption time) and is saved as KDBX 4. Returns a sentence describing the database.
    /// </summary>
    internal static string CreateKeePassDatabase(string keepass, string directory, string database, string password, string value)
    {
        var decryption = KeePassXcLowestDecryptionMilliseconds.ToString(CultureInfo.InvariantCulture);
        var created = Path.Combine(directory, "created.kdbx");
        Expect(ChildProcess.StartInfo([keepass, "db-create", "-q", "-p", "-t", decryption, created]), $"{password}\n{password}\n", "db-create");
        Expect(ChildProcess.StartInfo([keepass, "add", "-q", "-p", created, EntryName]), $"{password}\n{value}\n", "add");
        var xml = Path.Combine(directory, "export.xml");
        try
        {
            var export = Expect(ChildProcess.StartInfo([keepass, "export", "-q", created]), password + "\n", "export");
            var entry = export.IndexOf("<Entry>", StringComparison.Ordinal);
            if (entry < 0)
            {
                throw new BenchmarkFailedException("keepassxc-cli export printed no <Entry>.");
            }

            File.WriteAllText(xml, export.Insert(entry + "<Entry>".Length, "<CustomData><Item><Key>bench</Key><Value>kdbx4</Value></Item></CustomData>"));
            Expect(ChildProcess.StartInfo([keepass, "import", "-q", "-p", "-t", decryption, xml, database]), $"{password}\n{password}\n", "import");
        }
        finally
        {
            File.Delete(xml);
        }

        var header = File.ReadAllBytes(database).AsSpan(8, 4);
        var (major, minor) = (BinaryPrimitives.ReadUInt16LittleEndian(header[2..]), BinaryPrimitives.ReadUInt16LittleEndian(header));
        if (major != 4)
        {
            throw new BenchmarkFailedException($"keepassxc-cli wrote KDBX {major}.{minor}, not KDBX 4.");
        }

        var kdf = Expect(ChildProcess.StartInfo([keepass, "db-info", "-q", database]), password + "\n", "db-info")
            .Split('\n').FirstOrDefault(line => line.StartsWith("KDF:", StringComparison.Ordinal))?.Trim() ?? "KDF: unknown";
        return string.Create(CultureInfo.InvariantCulture,
            $"keepassxc-cli: `keepassxc-cli show -q -s -a password DB {EntryName}` with the password on standard input, on a KDBX {major}.{minor} database made with `db-create -t {decryption}` (the lowest decryption time it allows) and `add`, then exported and imported with `-t {decryption}` with one custom-data item so it is saved as KDBX 4 ({kdf}).");
    }

    private static string Expect(ProcessStartInfo start, string stdin, string step)
    {
        var output = ChildProcess.Run(start, stdin);
        if (output.ExitCode != 0)
        {
            throw new BenchmarkFailedException($"keepassxc-cli {step} failed with exit code {output.ExitCode}: {output.Stderr.Trim()}");
        }

        return output.Stdout;
    }

    /// <summary>A candidate that runs one whole process; its check wants exit code 0 and, when given, exactly that output.</summary>
    internal static Candidate ProcessCandidate(string name, ProcessStartInfo start, string? stdin, string? expectedOutput)
    {
        ProcessOutput? last = null;
        return new Candidate(name,
            () => last = ChildProcess.Run(start, stdin),
            () =>
            {
                if (last!.ExitCode != 0 || (expectedOutput is not null && last.Stdout != expectedOutput))
                {
                    // Never the output itself: it is the secret.
                    throw new BenchmarkFailedException($"{name}: exit code {last.ExitCode}, {(expectedOutput is not null && last.Stdout != expectedOutput ? "not the secret on stdout" : "output as expected")}; stderr: {last.Stderr.Trim()}");
                }
            });
    }

    private static string Describe(Argon2Parameters parameters) =>
        string.Create(CultureInfo.InvariantCulture, $"Argon2id m={parameters.MemoryKiB / 1024} MiB, t={parameters.Iterations}, p={parameters.Parallelism}");
}
