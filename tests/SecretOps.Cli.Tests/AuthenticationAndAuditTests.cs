using System.Security.Cryptography;
using SecretOps.Tests.Files;

namespace SecretOps.Cli.Tests;

// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class AuthenticationAndAuditTests
{
    private static readonly Dictionary<string, string?> NoPassphrase = new() { ["SECRETOPS_PASSPHRASE"] = null };

    [Fact]
    public void WrongPassphrase_WrongSecret_WrongKeyFile_FailWith4_AndOnlyAuditTheFailedConnect()
    {
        using var store = CliStore.Create();
        store.Set("a", "v");

        var keyFile = Path.Combine(store.Directory, "someone-else.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            CredentialFile.Write(keyFile, key.ExportPkcs8PrivateKeyPem());
        }

        using var other = CliStore.Empty();
        var otherSecret = other.Json("store", "init", "--generate-secret").GetProperty("clientSecret").GetString();
        var secretFile = Path.Combine(store.Directory, "other.secret");
        CredentialFile.Write(secretFile, otherSecret!);

        var attempts = new (string[] Arguments, string? Stdin, Dictionary<string, string?> Environment)[]
        {
            (["secret", "set", "a", "--value", "changed"], null, new() { ["SECRETOPS_PASSPHRASE"] = "wrong passphrase" }),
            (["secret", "get", "a", "--passphrase-stdin"], "wrong passphrase\n", NoPassphrase),
            (["secret", "set", "b", "--value", "new"], null, new() { ["SECRETOPS_PASSPHRASE"] = null, ["SECRETOPS_CLIENT_SECRET"] = otherSecret }),
            (["secret", "rm", "a", "--yes", "--secret-file", secretFile], null, NoPassphrase),
            (["ns", "create", "intruder", "--key-file", keyFile], null, NoPassphrase),
            (["secret", "list"], null, new() { ["SECRETOPS_PASSPHRASE"] = null, ["SECRETOPS_KEY_FILE"] = keyFile }),
            (["secret", "get", "a", "--client", "nobody-here"], null, new()),
        };

        var secretsBefore = store.Ok("secret", "list", "-o", "json").Stdout;
        var namespacesBefore = store.Ok("ns", "list", "-o", "json").Stdout;
        foreach (var (arguments, stdin, environment) in attempts)
        {
            var entriesBefore = store.AuditEntries();
            var result = store.Fails(4, arguments, stdin, environment);
            Assert.Equal("", result.Stdout);
            Assert.DoesNotContain("wrong passphrase", result.Stderr);

            // Exactly one entry more: the failed connect.
            Assert.Equal(entriesBefore + 1, store.AuditEntries());
            var entry = store.LastAuditEntry();
            Assert.Equal("client.connect", entry.GetProperty("action").GetString());
            Assert.Equal("failed", entry.GetProperty("outcome").GetString());
            Assert.Equal("SecretOps.AuthenticationFailed", entry.GetProperty("errorId").GetString());
            Assert.Equal("cli", entry.GetProperty("surface").GetString());
        }

        // Nothing else changed.
        Assert.Equal(secretsBefore, store.Ok("secret", "list", "-o", "json").Stdout);
        Assert.Equal(namespacesBefore, store.Ok("ns", "list", "-o", "json").Stdout);
        Assert.Equal("v", store.Get("a"));
    }

    [Fact]
    public void MissingOrMalformedCredentials_AreUsageErrors()
    {
        using var store = CliStore.Create();
        var none = store.Fails(2, ["secret", "list"], stdin: null, NoPassphrase);
        Assert.Contains("No credential for client 'system'", none.Stderr);
        Assert.Contains("SECRETOPS_PASSPHRASE", none.Stderr);

        var malformed = store.Fails(2, ["secret", "list"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null, ["SECRETOPS_CLIENT_SECRET"] = "not-a-secret" });
        Assert.DoesNotContain("not-a-secret", malformed.Stderr);
        store.Fails(2, "secret", "list", "--key-file", Path.Combine(store.Directory, "missing.pem"));
        var notPem = Path.Combine(store.Directory, "not.pem");
        File.WriteAllText(notPem, "hello");
        store.Fails(2, "secret", "list", "--key-file", notPem);
        store.Fails(2, "secret", "list", "--profile", "nope");
    }

    [Fact]
    public void AuditList_Filters_BySinceClientActionAndLast()
    {
        using var store = CliStore.Create();
        store.Set("a", "1");
        store.Get("a");
        store.Get("a");

        var all = store.Json("audit", "list").EnumerateArray().ToList();
        Assert.Equal("store.create", all[0].GetProperty("action").GetString());
        Assert.Equal(all.Select(e => e.GetProperty("sequence").GetInt64()).Order(), all.Select(e => e.GetProperty("sequence").GetInt64()));

        var gets = store.Json("audit", "list", "--action", "secret.get").EnumerateArray().ToList();
        Assert.Equal(2, gets.Count);
        Assert.All(gets, e => Assert.Equal("a", e.GetProperty("target").GetString()));

        Assert.Single(store.Json("audit", "list", "--action", "secret.get", "--last", "1").EnumerateArray());
        Assert.NotEmpty(store.Json("audit", "list", "--client", "system").EnumerateArray());
        Assert.Empty(store.Json("audit", "list", "--client", "someone-else").EnumerateArray());
        Assert.NotEmpty(store.Json("audit", "list", "--since", "1h").EnumerateArray());
        Assert.Empty(store.Json("audit", "list", "--since", DateTimeOffset.UtcNow.AddHours(1).ToString("O")).EnumerateArray());
        Assert.NotEmpty(store.Json("audit", "list", "--since", "2020-01-01").EnumerateArray());

        Assert.Contains("--since", store.Fails(2, "audit", "list", "--since", "yesterday-ish").Stderr);
        store.Fails(2, "audit", "list", "--last", "0");
        Assert.Contains("secret.get", store.Ok("audit", "list").Stdout);
    }
}
