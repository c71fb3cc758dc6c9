using System.Text.Json;

namespace SecretOps.Cli.Tests;

/// <summary>A team on one store, through the real CLI: an admin, two people and a CI runbook.</summary>
// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class SharingScenarioTests
{
    private const string AlicePassphrase = "alice's own passphrase";
    private const string BobPassphrase = "bob's first passphrase";

    [Fact]
    public void AnAdminTwoPeopleAndACiRunbook_GrantReadRevokeRotateDisableAndRetire()
    {
        using var store = CliStore.Create();
        store.Set("legacy", "in default");

        // The System client creates the admin; the admin creates everyone else and the namespace.
        var admin = CliStore.As("admin", secret: store.AddGenerated("admin", more: ["--role", "admin", "--description", "team lead"]));
        store.AddPassphrase("alice", AlicePassphrase, admin);
        store.AddPassphrase("bob", BobPassphrase, admin);
        var ci = CliStore.As("ci", secret: store.AddGenerated("ci", admin, "--description", "deploy runbook"));
        var alice = CliStore.As("alice", passphrase: AlicePassphrase);
        var bob = CliStore.As("bob", passphrase: BobPassphrase);
        store.Ok(["ns", "create", "prod"], stdin: null, admin);
        store.Ok(["secret", "set", "db-password", "--value", "db-v1", "-n", "prod"], stdin: null, admin);
        store.Ok(["secret", "set", "api-key", "--value", "api-v1", "-n", "prod"], stdin: null, admin);

        var clients = store.Json("client", "list").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(["admin", "alice", "bob", "ci", "system"], clients.Keys);
        Assert.Equal("admin", clients["admin"].GetProperty("role").GetString());
        Assert.Equal("passphrase", clients["alice"].GetProperty("kind").GetString());
        Assert.Equal("generated", clients["ci"].GetProperty("kind").GetString());
        Assert.All(clients.Values, c => Assert.Equal("active", c.GetProperty("status").GetString()));

        // Nobody but the admin reaches prod yet.
        store.Fails(5, ["secret", "get", "db-password", "-n", "prod"], stdin: null, ci);

        // CI gets the namespace: it reads every secret in it, and writes nothing.
        var granted = store.Json(admin, "grant", "ci", "--namespace", "prod", "--permissions", "read");
        Assert.Equal("namespace", granted.GetProperty("scope").GetString());
        Assert.Equal(["read"], granted.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("db-v1", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, ci).Stdout);
        Assert.Equal("api-v1", store.Ok(["secret", "get", "api-key", "-n", "prod"], stdin: null, ci).Stdout);
        store.Fails(5, ["secret", "set", "api-key", "--value", "x", "-n", "prod"], stdin: null, ci);
        store.Fails(5, ["secret", "get", "legacy"], stdin: null, ci);

        // Alice gets one secret: she reads it and nothing else, and lists only it.
        store.Ok(["grant", "alice", "--secret", "db-password", "-n", "prod", "--permissions", "read"], stdin: null, admin);
        Assert.Equal("db-v1", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, alice).Stdout);
        store.Fails(5, ["secret", "get", "api-key", "-n", "prod"], stdin: null, alice);
        store.Fails(5, ["secret", "get", "legacy"], stdin: null, alice);
        store.Fails(5, ["secret", "list"], stdin: null, alice);
        Assert.Equal(["db-password"], store.Json(alice, "secret", "list", "-n", "prod").EnumerateArray().Select(e => e.GetProperty("name").GetString()));

        // Who reaches db-password, and how: CI and the admin through the namespace, Alice directly.
        var reach = store.Json(admin, "permissions", "--secret", "db-password", "-n", "prod").EnumerateArray()
            .Select(p => $"{p.GetProperty("client").GetString()}:{p.GetProperty("scope").GetString()}").ToHashSet();
        Assert.Contains("ci:namespace", reach);
        Assert.Contains("admin:namespace", reach);
        Assert.Contains("alice:secret", reach);
        Assert.DoesNotContain(reach, r => r.StartsWith("bob:", StringComparison.Ordinal));
        var table = store.Ok(["permissions", "--secret", "db-password", "-n", "prod"], stdin: null, admin).Stdout;
        Assert.Contains("SCOPE", table);

        // What Alice can reach: that one secret. As a member she sees only her own grants.
        var hers = store.Json(admin, "permissions", "--client", "alice").EnumerateArray().ToList();
        Assert.Equal("prod/db-password/secret", string.Join(";", hers.Select(p => $"{p.GetProperty("namespace").GetString()}/{p.GetProperty("secret").GetString()}/{p.GetProperty("scope").GetString()}")));
        Assert.All(store.Json(alice, "permissions").EnumerateArray(), p => Assert.Equal("alice", p.GetProperty("client").GetString()));

        // Revoked, Alice can no longer read it; the secret got a new key, and CI still reads new versions.
        var revoked = store.Json(admin, "revoke", "alice", "--secret", "db-password", "-n", "prod", "--yes");
        Assert.Equal(2, revoked.GetProperty("rotation").GetProperty("newGeneration").GetInt32());
        store.Fails(5, ["secret", "get", "db-password", "-n", "prod"], stdin: null, alice);
        store.Fails(5, ["secret", "list", "-n", "prod"], stdin: null, alice);
        store.Ok(["secret", "set", "db-password", "--value", "db-v2", "-n", "prod"], stdin: null, admin);
        Assert.Equal("db-v2", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, ci).Stdout);

        // Bob re-keys himself: the new passphrase reads, the old one no longer connects.
        store.Ok(["grant", "bob", "--namespace", "prod", "--permissions", "read,write"], stdin: null, admin);
        Assert.Equal("db-v2", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, bob).Stdout);
        var fingerprint = store.Json(admin, "client", "show", "bob").GetProperty("fingerprint").GetString();
        store.Ok(["client", "rotate", "--new-passphrase-stdin", "--weak-kdf"], "bob's second passphrase\n", bob);
        var bob2 = CliStore.As("bob", passphrase: "bob's second passphrase");
        Assert.Equal("db-v2", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, bob2).Stdout);
        store.Fails(4, ["secret", "get", "db-password", "-n", "prod"], stdin: null, bob);
        Assert.NotEqual(fingerprint, store.Json(admin, "client", "show", "bob").GetProperty("fingerprint").GetString());

        // Bob forgets it; the admin (who holds every key Bob holds) gives him a new one.
        store.Ok(["client", "rotate", "bob", "--new-passphrase-stdin", "--weak-kdf"], "bob's third passphrase\n", admin);
        store.Fails(4, ["secret", "get", "db-password", "-n", "prod"], stdin: null, bob2);
        Assert.Equal("db-v2", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, CliStore.As("bob", passphrase: "bob's third passphrase")).Stdout);

        // A disabled client cannot connect; enabled again, it can.
        Assert.Equal("disabled", store.Json(admin, "client", "disable", "ci").GetProperty("status").GetString());
        store.Fails(4, ["secret", "get", "db-password", "-n", "prod"], stdin: null, ci);
        Assert.Contains("Enabled client 'ci'", store.Ok(["client", "enable", "ci"], stdin: null, admin).Stdout);
        Assert.Equal("db-v2", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, ci).Stdout);

        // Retired, CI can never connect again; prod got new keys for those left, who still read.
        var generation = NamespaceGeneration(store, "prod");
        Assert.Contains("--yes", store.Fails(2, ["client", "retire", "ci"], stdin: null, admin).Stderr);
        var retired = store.Ok(["client", "retire", "ci", "--yes"], stdin: null, admin);
        Assert.Contains("Retired client 'ci'", retired.Stdout);
        store.Fails(4, ["secret", "get", "db-password", "-n", "prod"], stdin: null, ci);
        store.Fails(6, ["client", "enable", "ci"], stdin: null, admin);
        store.Fails(6, ["grant", "ci", "--namespace", "prod", "--permissions", "read"], stdin: null, admin);
        Assert.Equal("retired", store.Json("client", "show", "ci").GetProperty("status").GetString());
        Assert.True(NamespaceGeneration(store, "prod") > generation);
        Assert.Empty(store.Json("permissions", "--client", "ci").EnumerateArray());
        Assert.Equal("db-v2", store.Ok(["secret", "get", "db-password", "-n", "prod"], stdin: null, CliStore.As("bob", passphrase: "bob's third passphrase")).Stdout);

        // Everything is on the record, and the record is intact.
        var actions = store.Json("audit", "list").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToHashSet();
        foreach (var action in new[] { "client.add", "permission.grant", "permission.revoke", "client.rotate", "client.disable", "client.enable", "client.retire" })
        {
            Assert.Contains(action, actions);
        }

        store.Ok("audit", "verify");
    }

    private static int NamespaceGeneration(CliStore store, string ns) =>
        store.Json("ns", "list").EnumerateArray().Single(n => n.GetProperty("name").GetString() == ns).GetProperty("keyGeneration").GetInt32();
}
