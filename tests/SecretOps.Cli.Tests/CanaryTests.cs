using System.Text;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Tests.Store;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A canary value must never appear on standard error, nor on standard output except from <c>secret get</c>;
/// nor may the passphrase or a generated client secret, even in the stack traces of --verbose.
/// </summary>
public class CanaryTests
{
    private const string Canary = "canary-7f3e9b1c";

    [Fact]
    public void TheCanaryOnlyEverAppearsInTheOutputOfSecretGet()
    {
        using var store = CliStore.Create();
        var results = new List<(string Command, CliResult Result)>();
        CliResult Run(string[] arguments, string? stdin = null, Dictionary<string, string?>? environment = null)
        {
            var result = store.Run(arguments, stdin, environment);
            results.Add((string.Join(' ', arguments), result));
            return result;
        }

        var file = Path.Combine(store.Directory, "canary.txt");
        File.WriteAllText(file, Canary);
        var big = Path.Combine(store.Directory, "big.txt");
        File.WriteAllText(big, string.Concat(Enumerable.Repeat(Canary, 1024 * 1024 / Canary.Length + 1)));

        // Storing it every way, successfully.
        Run(["secret", "set", "by-value", "--value", Canary, "--meta", "note=plain"]);
        Run(["secret", "set", "by-stdin", "--stdin"], Canary + "\n");
        Run(["secret", "set", "by-file", "--file", file]);
        Run(["secret", "set", "as-bytes", "--file", file, "--type", "bytes"]);
        Run(["secret", "set", "as-credential", "--type", "credential", "--username", "user", "--value", Canary]);
        Run(["secret", "set", "expiring", "--value", Canary, "--ttl", "1s", "-o", "json"]);
        Run(["secret", "set", "by-value", "--value", Canary + "-2", "-o", "yaml"]);
        Run(["secret", "restore", "by-value", "--version", "1"]);
        Assert.All(results, r => Assert.True(r.Result.ExitCode == 0, $"{r.Command}: {r.Result}"));

        // Failing with it in hand.
        Run(["secret", "set", "by-value", "--value", Canary, "--expected-version", "9"]);
        Run(["secret", "set", "by-value", "--value", Canary, "--ttl", "0s", "--verbose"]);
        Run(["secret", "set", "by-value", "--value", Canary, "-n", "missing-ns", "--verbose"]);
        Run(["secret", "set", "by-value", Canary]);
        Run(["secret", "set", "x", "--value", Canary, "--type", "credential"]);
        Run(["secret", "set", "x", "--value", Canary, "--stdin"], Canary);
        Run(["secret", "set", "x", "--stdin", "--passphrase-stdin"], Canary + "\n" + Canary);
        Run(["secret", "set", "x", "--file", big, "--verbose"]);
        Run(["secret", "set", "x", "--stdin", "--verbose"], File.ReadAllText(big));
        Run(["secret", "set", "x", "--value", Canary], environment: new() { ["SECRETOPS_PASSPHRASE"] = "wrong" });
        Run(["secret", "get", "by-value"], environment: new() { ["SECRETOPS_PASSPHRASE"] = "wrong" });
        Run(["secret", "get", "by-value", "--version", "99", "--verbose"]);
        Run(["secret", "rm", "by-value"]);

        // Reading around it.
        Thread.Sleep(1100);
        Run(["secret", "get", "expiring", "--verbose"]);
        foreach (var output in new[] { "table", "json", "yaml" })
        {
            Run(["secret", "list", "--include-expired", "-o", output]);
            Run(["secret", "history", "by-value", "-o", output]);
            Run(["audit", "list", "-o", output]);
            Run(["audit", "verify", "-o", output]);
            Run(["store", "info", "-o", output]);
            Run(["store", "check", "-o", output]);
            Run(["ns", "list", "-o", output]);
            Run(["client", "list", "-o", output]);
            Run(["permissions", "-o", output]);
        }

        Run(["policy", "export"]);
        Run(["ns", "rotate", "default"]);
        Run(["grant", "system", "--secret", "by-stdin", "--permissions", "read", "--verbose"]);
        Run(["revoke", "system", "--secret", "by-file", "--permissions", "write", "--yes", "--verbose"]);

        foreach (var (command, result) in results)
        {
            Assert.DoesNotContain(Canary, result.Stderr);
            Assert.DoesNotContain(Canary, result.Stdout);
        }

        // Only secret get prints it.
        var gets = new[] { "by-value", "by-stdin", "by-file", "as-bytes", "as-credential" }.Select(name => store.Ok("secret", "get", name)).ToList();
        Assert.All(gets, get => Assert.Contains(Canary, get.Stdout));
        Assert.All(gets, get => Assert.Equal("", get.Stderr));

        // Nor is it anywhere in the store file or a backup in clear.
        var backup = Path.Combine(store.Directory, "backup.db");
        store.Ok("store", "backup", backup);
        foreach (var path in new[] { store.StorePath, backup })
        {
            Assert.DoesNotContain(Canary, Encoding.Latin1.GetString(File.ReadAllBytes(path)));
        }
    }

    [Fact]
    public void VerboseFailures_AndThePolicyExport_ShowNoValuePassphraseOrClientSecret()
    {
        using var store = CliStore.Create();
        store.Set("canary", Canary);
        store.Set("other", Canary + "-other");
        var ciSecret = store.AddGenerated("ci");
        store.Ok("grant", "ci", "--secret", "canary", "--permissions", "read");
        var ci = CliStore.As("ci", secret: ciSecret);
        var viaStdin = new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null };

        // Held open so the -wal (where recent writes are) is still there to be scanned at the end.
        using var keepWal = new SqliteConnection($"Data Source={store.StorePath};Mode=ReadOnly;Pooling=False");
        keepWal.Open();
        RawDb.Scalar(keepWal, "SELECT count(*) FROM secrets");

        var failures = new List<(string Why, int Exit, CliResult Result)>
        {
            ("stale expected version", 6, store.Run(["secret", "set", "canary", "--stdin", "--expected-version", "9", "--verbose"], Canary)),
            ("access denied, writing", 5, store.Run(["secret", "set", "canary", "--value", Canary, "--verbose"], stdin: null, ci)),
            ("access denied, reading", 5, store.Run(["secret", "get", "other", "--verbose"], stdin: null, ci)),
            ("bad argument with the value on stdin", 2, store.Run(["secret", "set", "canary", "--stdin", "--ttl", "soon", "--verbose"], Canary)),
            ("passphrase on stdin, then a conflict", 6, store.Run(["secret", "set", "canary", "--value", Canary, "--expected-version", "0", "--passphrase-stdin", "--verbose"], CliStore.Passphrase + "\n", viaStdin)),
            ("wrong client secret", 4, store.Run(["secret", "get", "canary", "--verbose"], stdin: null, CliStore.As("ci", secret: ciSecret[..^4] + "AAAA"))),
        };

        // Tampered: one bit of the canary's ciphertext flipped behind the CLI's back.
        using (var connection = RawDb.Open(store.StorePath))
        {
            RawDb.FlipByte(connection, "versions", "ciphertext", "secret_id = (SELECT id FROM secrets WHERE name = 'canary') AND version = 1", 0);
        }

        failures.Add(("tampered, read by the owner", 7, store.Run(["secret", "get", "canary", "--passphrase-stdin", "--verbose"], CliStore.Passphrase + "\n", viaStdin)));
        failures.Add(("tampered, read by a reader", 7, store.Run(["secret", "get", "canary", "--verbose"], stdin: null, ci)));

        var exportFile = Path.Combine(store.Directory, "policy.yaml");
        var exports = new[] { store.Run("policy", "export", "--verbose"), store.Run("policy", "export", exportFile, "--verbose") };
        Assert.All(exports, e => Assert.True(e.ExitCode == 0, e.ToString()));
        Assert.Contains("name: ci", exports[0].Stdout);

        foreach (var (why, exit, result) in failures)
        {
            Assert.True(result.ExitCode == exit, $"{why}: expected exit {exit}; {result}");
            Assert.True(result.Stderr.Contains("   at ", StringComparison.Ordinal), $"{why}: --verbose should print the stack; {result}");
        }

        var surfaces = failures.SelectMany(f => new[] { ($"{f.Why}: stdout", f.Result.Stdout), ($"{f.Why}: stderr", f.Result.Stderr) })
            .Concat(exports.SelectMany(e => new[] { ("policy export: stdout", e.Stdout), ("policy export: stderr", e.Stderr) }))
            .Append(("the exported policy file", File.ReadAllText(exportFile)))
            .Concat(RawDb.Rows(store.StorePath, "audit").Select(row => ("audit row", row)))
            .Concat(new[] { store.StorePath, store.StorePath + "-wal" }.Select(f => (Path.GetFileName(f), Encoding.Latin1.GetString(ReadShared(f)))))
            .ToList();
        Assert.True(File.Exists(store.StorePath + "-wal"), "the -wal should be there to scan");
        foreach (var (where, text) in surfaces)
        {
            Assert.False(text.Contains(Canary, StringComparison.Ordinal), $"the canary value appears in {where}");
            Assert.False(text.Contains(CliStore.Passphrase, StringComparison.Ordinal), $"the passphrase appears in {where}");
            Assert.False(text.Contains(ciSecret, StringComparison.Ordinal), $"the client secret appears in {where}");
            Assert.False(text.Contains(ciSecret["secretops_".Length..], StringComparison.Ordinal), $"the client secret's body appears in {where}");
        }
    }

    /// <summary>A file SQLite holds open, read without disturbing it.</summary>
    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
