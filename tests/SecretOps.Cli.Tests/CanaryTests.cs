using System.Text;

namespace SecretOps.Cli.Tests;

/// <summary>A canary value must never appear on standard error, nor on standard output except from <c>secret get</c>.</summary>
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
}
