using System.Text;
using System.Text.Json;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A generated client secret is shown once: on the standard output of the command that created it (client add,
/// client rotate, policy apply), never on standard error, never in a later output, never in the store file.
/// </summary>
public class ClientSecretLeakTests
{
    [Fact]
    public void AGeneratedClientSecret_AppearsOnlyInTheStdoutOfTheCommandThatCreatedIt()
    {
        using var store = CliStore.Create();
        store.Set("k", "v");
        var secrets = new List<string>();

        string Created(CliResult result, Func<string, string> extract)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            var secret = extract(result.Stdout);
            Assert.StartsWith("secretops_", secret, StringComparison.Ordinal);
            Assert.Equal(2, result.Stdout.Split(secret).Length);
            Assert.DoesNotContain(secret, result.Stderr);
            Assert.Equal(!result.Stdout.StartsWith('{') && !result.Stdout.StartsWith("clientId:", StringComparison.Ordinal), result.Stderr.Contains("shown once", StringComparison.Ordinal));
            secrets.Add(secret);
            return secret;
        }

        static string FromJson(string stdout) => JsonDocument.Parse(stdout).RootElement.GetProperty("clientSecret").GetString()!;
        static string FromTable(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("Client secret", StringComparison.Ordinal))["Client secret".Length..].Trim();

        var table = Created(store.Run("client", "add", "ci-table", "--generate-secret"), FromTable);
        Created(store.Run("client", "add", "ci-json", "--generate-secret", "-o", "json"), FromJson);
        Created(store.Run("client", "add", "ci-yaml", "--generate-secret", "-o", "yaml"), yaml => yaml.Split('\n').Single(l => l.StartsWith("clientSecret: ", StringComparison.Ordinal))["clientSecret: ".Length..]);
        store.Ok("grant", "ci-table", "-n", "default", "--permissions", "read");
        var rotated = Created(store.Run(["client", "rotate", "--generate-secret", "-o", "json"], stdin: null, CliStore.As("ci-table", secret: table)), FromJson);
        Created(store.Run("client", "rotate", "ci-json", "--generate-secret"), FromTable);
        var policy = Path.Combine(store.Directory, "policy.yaml");
        File.WriteAllText(policy, "clients:\n  - name: from-policy\n    kind: generated\n");
        Created(store.Run("policy", "apply", policy), stdout => stdout.Split('\n').Single(l => l.StartsWith("Client secret of the new client 'from-policy': ", StringComparison.Ordinal)).Split(": ")[1]);

        // Everything after: listings in every format, the audit log, the policy, failures with --verbose, and using the secret.
        var later = new List<CliResult>();
        foreach (var output in new[] { "table", "json", "yaml" })
        {
            later.Add(store.Run("client", "list", "-o", output));
            later.Add(store.Run("client", "show", "ci-table", "-o", output));
            later.Add(store.Run("permissions", "-o", output));
            later.Add(store.Run("audit", "list", "-o", output));
            later.Add(store.Run("store", "info", "-o", output));
            later.Add(store.Run("policy", "apply", policy, "--dry-run", "-o", output));
        }

        later.Add(store.Run("policy", "export"));
        later.Add(store.Run("client", "add", "ci-table", "--generate-secret", "--verbose"));
        later.Add(store.Run(["secret", "get", "k", "--verbose"], stdin: null, CliStore.As("ci-table", secret: rotated)));
        later.Add(store.Run(["secret", "get", "missing", "--verbose"], stdin: null, CliStore.As("ci-table", secret: rotated)));
        later.Add(store.Run(["secret", "get", "k", "--verbose"], stdin: null, CliStore.As("ci-json", secret: rotated)));
        later.Add(store.Run(["secret", "get", "k", "--verbose"], stdin: null, CliStore.As("ci-table", secret: table)));
        later.Add(store.Run(["client", "rotate", "--verbose"], stdin: null, CliStore.As("ci-table", secret: rotated)));
        Assert.Equal("v", later[^5].Stdout);
        foreach (var result in later)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, result.Stdout);
                Assert.DoesNotContain(secret, result.Stderr);
            }
        }

        // Nor is any of them in the store file (only what they unlock is).
        var backup = Path.Combine(store.Directory, "backup.db");
        store.Ok("store", "backup", backup);
        foreach (var path in new[] { store.StorePath, backup })
        {
            var bytes = Encoding.Latin1.GetString(File.ReadAllBytes(path));
            Assert.All(secrets, secret => Assert.DoesNotContain(secret, bytes));
        }
    }
}
