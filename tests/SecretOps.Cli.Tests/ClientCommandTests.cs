using System.Security.Cryptography;
using System.Text.Json;
using SecretOps.Tests.Files;

namespace SecretOps.Cli.Tests;

// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class ClientCommandTests
{
    [Fact]
    public void AddGenerateSecret_Json_PrintsExactlyIdNameAndSecret_WhichThenConnects()
    {
        using var store = CliStore.Create();
        var created = store.Json("client", "add", "ci", "--generate-secret");
        Assert.Equal(["clientId", "clientName", "clientSecret"], created.EnumerateObject().Select(p => p.Name));
        Assert.True(Guid.TryParse(created.GetProperty("clientId").GetString(), out var id));
        Assert.Equal("ci", created.GetProperty("clientName").GetString());
        var secret = created.GetProperty("clientSecret").GetString()!;
        Assert.StartsWith("secretops_", secret, StringComparison.Ordinal);

        // It connects (by name or id) from the environment or --secret-file, and holds nothing yet.
        store.Ok(["grant", "ci", "--namespace", "default", "--permissions", "read"]);
        store.Set("k", "v");
        Assert.Equal("v", store.Ok(["secret", "get", "k"], stdin: null, CliStore.As("ci", secret: secret)).Stdout);
        Assert.Equal("v", store.Ok(["secret", "get", "k"], stdin: null, CliStore.As(id.ToString(), secret: secret)).Stdout);
        var secretFile = Path.Combine(store.Directory, "ci.secret");
        CredentialFile.Write(secretFile, secret + "\n");
        Assert.Equal("v", store.Ok(["secret", "get", "k", "--client", "ci", "--secret-file", secretFile], stdin: null, CliStore.As("system")).Stdout);
        store.Fails(4, ["secret", "get", "k"], stdin: null, CliStore.As("ci", secret: store.AddGenerated("other")));

        // YAML carries the same three fields; a passphrase or key-file client's secret is null.
        var yaml = store.Ok("client", "add", "ci-yaml", "--generate-secret", "-o", "yaml").Stdout;
        Assert.Matches("^clientId: .+\nclientName: ci-yaml\nclientSecret: secretops_.+\n$", yaml);
        var person = JsonDocument.Parse(store.Ok(["client", "add", "alice", "--new-passphrase-stdin", "--weak-kdf", "-o", "json"], "alice pass\n").Stdout).RootElement;
        Assert.Equal(["clientId", "clientName", "clientSecret"], person.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, person.GetProperty("clientSecret").ValueKind);
    }

    [Fact]
    public void AddGenerateSecret_Table_ShowsTheClientAndTheSecretOnce_WithAReminderOnStderr()
    {
        using var store = CliStore.Create();
        var result = store.Run("client", "add", "runner", "--generate-secret", "--role", "admin", "--description", "build runner");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Created client 'runner'.", result.Stdout, StringComparison.Ordinal);
        var secret = result.Stdout.Split('\n').Single(l => l.StartsWith("Client secret", StringComparison.Ordinal))["Client secret".Length..].Trim();
        Assert.StartsWith("secretops_", secret, StringComparison.Ordinal);
        Assert.Equal(2, result.Stdout.Split(secret).Length);
        Assert.Matches("\nRole +admin\n", result.Stdout);
        Assert.Contains("shown once", result.Stderr);
        Assert.DoesNotContain(secret, result.Stderr);

        var shown = store.Json("client", "show", "runner");
        Assert.Equal("build runner", shown.GetProperty("description").GetString());
        Assert.Equal("generated", shown.GetProperty("kind").GetString());
        Assert.Equal("EC P-256", shown.GetProperty("keyAlgorithm").GetString());
        Assert.StartsWith("SHA256:", shown.GetProperty("fingerprint").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheNewCredential_ComesFromExactlyOneSource_NeverSharingStdinWithTheConnectingPassphrase()
    {
        using var store = CliStore.Create();
        var publicKey = Path.Combine(store.Directory, "key.pub");
        using (var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(publicKey, key.ExportSubjectPublicKeyInfoPem());
        }

        var noPassphrase = new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null };
        var both = store.Fails(2, ["client", "add", "bob", "--new-passphrase-stdin", "--passphrase-stdin"], CliStore.Passphrase + "\nbob's passphrase\n", noPassphrase);
        Assert.Contains("both read standard input", both.Stderr);
        Assert.Contains("--secret-file", both.Stderr);
        Assert.Contains("one way", store.Fails(2, "client", "add", "bob", "--generate-secret", "--public-key", publicKey).Stderr);
        Assert.Contains("one way", store.Fails(2, ["client", "add", "bob", "--generate-secret", "--new-passphrase-stdin"], "x\n").Stderr);
        var none = store.Fails(2, "client", "add", "bob");
        Assert.Contains("--generate-secret", none.Stderr);
        Assert.Contains("--new-passphrase-stdin", none.Stderr);
        Assert.Contains("--public-key", none.Stderr);
        Assert.Contains("No new passphrase", store.Fails(2, ["client", "add", "bob", "--new-passphrase-stdin"], "").Stderr);
        // A missing public key file is SecretOps.NotFound (exit 3), as for New-SecretClient -PublicKeyPath: Core reads it for both.
        Assert.Contains("There is no public key file", store.Fails(3, "client", "add", "bob", "--public-key", Path.Combine(store.Directory, "missing.pub")).Stderr);
        Assert.Contains("is a directory", store.Fails(2, "client", "add", "bob", "--public-key", store.Directory).Stderr);
        store.Fails(2, "client", "add", "bob", "--generate-secret", "--role", "system");
        store.Fails(2, "client", "add", "bad name!", "--generate-secret");
        Assert.Equal(["system"], ClientNames(store));

        // The connecting client's passphrase from stdin works with a new credential that does not need it.
        var keyClient = JsonDocument.Parse(store.Ok(["client", "add", "bob", "--public-key", publicKey, "--passphrase-stdin", "-o", "json"], CliStore.Passphrase + "\n", noPassphrase).Stdout).RootElement;
        Assert.Equal(JsonValueKind.Null, keyClient.GetProperty("clientSecret").ValueKind);
        Assert.Equal("keyfile", store.Json("client", "show", "bob").GetProperty("kind").GetString());
        store.Fails(6, "client", "add", "BOB", "--generate-secret");
        Assert.Equal(["bob", "system"], ClientNames(store));
    }

    [Fact]
    public void List_Show_Set_Disable_Enable()
    {
        using var store = CliStore.Create();
        store.AddGenerated("ci", more: ["--description", "runbook"]);
        var table = store.Ok("client", "list").Stdout;
        Assert.StartsWith("NAME", table, StringComparison.Ordinal);
        Assert.Contains("runbook", table);
        Assert.Contains("system", table);

        var id = store.Json("client", "show", "ci").GetProperty("id").GetString()!;
        Assert.Equal("ci", store.Json("client", "show", id).GetProperty("name").GetString());
        Assert.Equal("ci", store.Json("client", "show", "CI").GetProperty("name").GetString());
        store.Fails(3, "client", "show", "nobody");

        var renamed = store.Json("client", "set", "ci", "--name", "deploy", "--description", "deploys prod", "--role", "admin");
        Assert.Equal(id, renamed.GetProperty("id").GetString());
        Assert.Equal("deploy", renamed.GetProperty("name").GetString());
        Assert.Equal("deploys prod", renamed.GetProperty("description").GetString());
        Assert.Equal("admin", renamed.GetProperty("role").GetString());
        Assert.Contains("Nothing to change", store.Fails(2, "client", "set", "deploy").Stderr);
        store.Fails(2, "client", "set", "system", "--role", "member");
        store.Fails(2, "client", "set", "deploy", "--role", "owner");
        store.Fails(3, "client", "set", "ci", "--description", "gone");
        store.AddGenerated("other");
        store.Fails(6, "client", "set", "other", "--name", "Deploy");

        Assert.Contains("Disabled client 'deploy'", store.Ok("client", "disable", "deploy").Stdout);
        Assert.Equal("disabled", store.Json("client", "show", "deploy").GetProperty("status").GetString());
        Assert.Equal("active", store.Json("client", "enable", "deploy").GetProperty("status").GetString());
        store.Fails(6, "client", "disable", "system");
        store.Fails(3, "client", "disable", "nobody");
    }

    [Fact]
    public void Rotate_AGeneratedClientRekeysItself_TheOldSecretStopsWorking()
    {
        using var store = CliStore.Create();
        var old = store.AddGenerated("ci");
        store.Ok("grant", "ci", "--namespace", "default", "--permissions", "read");
        store.Set("k", "v");

        var rotated = store.Json(CliStore.As("ci", secret: old), "client", "rotate", "--generate-secret");
        Assert.Equal(["clientId", "clientName", "clientSecret"], rotated.EnumerateObject().Select(p => p.Name));
        var fresh = rotated.GetProperty("clientSecret").GetString()!;
        Assert.NotEqual(old, fresh);
        Assert.Equal("v", store.Ok(["secret", "get", "k"], stdin: null, CliStore.As("ci", secret: fresh)).Stdout);
        store.Fails(4, ["secret", "get", "k"], stdin: null, CliStore.As("ci", secret: old));

        // It may switch kind: to a passphrase, read from stdin while the connecting secret comes from the environment.
        var table = store.Ok(["client", "rotate", "--new-passphrase-stdin", "--weak-kdf"], "ci passphrase\n", CliStore.As("ci", secret: fresh));
        Assert.Contains("connect with the new credential", table.Stdout);
        Assert.Equal("passphrase", store.Json("client", "show", "ci").GetProperty("kind").GetString());
        Assert.Equal("v", store.Ok(["secret", "get", "k"], stdin: null, CliStore.As("ci", passphrase: "ci passphrase")).Stdout);

        // Without a credential source, off a terminal: refused before anything changes.
        store.Fails(2, ["client", "rotate"], stdin: null, CliStore.As("ci", passphrase: "ci passphrase"));
        store.Fails(3, "client", "rotate", "nobody", "--generate-secret");
    }

    private static List<string> ClientNames(CliStore store) =>
        store.Json("client", "list").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
}
