using SecretOps.Core.Tests.Store;

namespace SecretOps.Cli.Tests;

/// <summary>
/// Issue 12 through the real CLI: the attacks on revocation and retirement by someone who can write the shared
/// store file, each done with raw SQL on the file, and what each command then says and does.
/// </summary>
public class RevocationAttackTests
{
    private const string AfterValue = "value-written-after-the-rotation";

    [Fact]
    public void Retire_ByAnAdminWithoutTheNamespaceKey_IsRefused_AndNeverClaimsARotation()
    {
        using var store = CliStore.Create();
        var (admin, admin2) = Admins(store);
        var ci = CliStore.As("ci", secret: store.AddGenerated("ci", admin));
        store.Ok(["grant", "ci", "--secret", "db", "-n", "prod", "--permissions", "read"], stdin: null, admin);

        // admin2 holds nothing in prod: before, it retired ci, skipped db's rotation and printed "every key it could use was rotated".
        var refused = store.Fails(5, ["client", "retire", "ci", "--yes"], stdin: null, admin2);
        Assert.Contains("secret 'db' in namespace 'prod'", refused.Stderr);
        Assert.DoesNotContain("rotated", refused.Stdout + refused.Stderr);
        Assert.Equal("active", store.Json(admin2, "client", "show", "ci").GetProperty("status").GetString());

        // A holder of prod retires it, and the claim is then true: what is written after is out of ci's reach.
        Assert.Contains("every key it could use was rotated", store.Ok(["client", "retire", "ci", "--yes"], stdin: null, admin).Stdout);
        store.Ok(["secret", "set", "db", "--value", AfterValue, "-n", "prod"], stdin: null, admin);
        AssertCannotRead(store, "ci", ci, "db");
    }

    [Fact]
    public void CopiedStanza_ForANeverGrantedMember_MakesTheRoutineRevokeFailAsTampered_NamingIt()
    {
        using var store = CliStore.Create();
        var (admin, _) = Admins(store);
        store.AddGenerated("alice", admin);
        var eve = CliStore.As("eve", secret: store.AddGenerated("eve", admin));
        store.AddGenerated("ci", admin);
        store.Ok(["grant", "alice", "--namespace", "prod", "--permissions", "read"], stdin: null, admin);
        store.Ok(["grant", "ci", "--namespace", "prod", "--permissions", "read"], stdin: null, admin);
        RawDb.Execute(store.StorePath,
            "INSERT INTO stanzas SELECT (SELECT id FROM clients WHERE name = 'eve'), scope_kind, scope_id, generation, algorithm, header, nonce, wrapped_key " +
            "FROM stanzas WHERE client_id = (SELECT id FROM clients WHERE name = 'alice') AND scope_kind = 1");

        // store check finds the planted row before anything is rotated, naming who holds it.
        var check = store.Fails(7, ["store", "check"], stdin: null, admin);
        Assert.Contains("Client 'eve' has a key stanza for namespace 'prod' but no grant there", check.Stdout + check.Stderr);

        var refused = store.Fails(7, ["revoke", "ci", "--namespace", "prod", "--yes"], stdin: null, admin);
        Assert.Contains("Client 'eve' has a key stanza for namespace 'prod' but no grant there", refused.Stderr);
        Assert.Contains("secretops revoke eve --namespace prod", refused.Stderr);
        Assert.Equal("", refused.Stdout);

        // The way out the message names, then the routine revoke; what is written after is out of eve's and ci's reach.
        store.Ok(["revoke", "eve", "--namespace", "prod", "--yes"], stdin: null, admin);
        store.Ok(["store", "check"], stdin: null, admin);
        store.Ok(["revoke", "ci", "--namespace", "prod", "--yes"], stdin: null, admin);
        store.Ok(["secret", "set", "db", "--value", AfterValue, "-n", "prod"], stdin: null, admin);
        AssertCannotRead(store, "eve", eve, "db");
    }

    [Fact]
    public void NamespaceRevoke_TakesEverythingOnTheSecretsTheClientCreatedThere()
    {
        using var store = CliStore.Create();
        var (admin, _) = Admins(store);
        var bob = CliStore.As("bob", secret: store.AddGenerated("bob", admin));
        store.AddGenerated("eve", admin);
        store.Ok(["grant", "bob", "--namespace", "prod", "--permissions", "all"], stdin: null, admin);
        store.Ok(["secret", "set", "bob-made", "--value", "b1", "-n", "prod"], stdin: null, bob);

        store.Ok(["revoke", "bob", "--namespace", "prod", "--yes"], stdin: null, admin);
        store.Ok(["secret", "set", "bob-made", "--value", AfterValue, "-n", "prod"], stdin: null, admin);
        Assert.Empty(store.Json(admin, "permissions", "--client", "bob").EnumerateArray());

        Assert.Equal("", store.Fails(5, ["secret", "get", "bob-made", "-n", "prod"], stdin: null, bob).Stdout);
        store.Fails(5, ["secret", "set", "bob-made", "--value", "overwritten", "-n", "prod"], stdin: null, bob);
        store.Fails(5, ["secret", "rm", "bob-made", "-n", "prod", "--yes"], stdin: null, bob);
        store.Fails(5, ["grant", "eve", "--secret", "bob-made", "-n", "prod", "--permissions", "read"], stdin: null, bob);
        AssertCannotRead(store, "bob", bob, "bob-made");
    }

    /// <summary>admin creates prod and its secret db; admin2 is another admin holding nothing in prod.</summary>
    private static (Dictionary<string, string?> Admin, Dictionary<string, string?> Admin2) Admins(CliStore store)
    {
        var admin = CliStore.As("admin", secret: store.AddGenerated("admin", more: ["--role", "admin"]));
        var admin2 = CliStore.As("admin2", secret: store.AddGenerated("admin2", more: ["--role", "admin"]));
        store.Ok(["ns", "create", "prod"], stdin: null, admin);
        store.Ok(["secret", "set", "db", "--value", "v1", "-n", "prod"], stdin: null, admin);
        return (admin, admin2);
    }

    /// <summary>The attacker plants every row it wants (active again, all permissions on prod and the secret) and reads: no value.</summary>
    private static void AssertCannotRead(CliStore store, string client, Dictionary<string, string?> credential, string secret)
    {
        RawDb.Execute(store.StorePath,
            "UPDATE clients SET status = 1 WHERE name = $client; " +
            "INSERT OR REPLACE INTO permissions SELECT id, 1, (SELECT id FROM namespaces WHERE name = 'prod'), 15, id, 0 FROM clients WHERE name = $client; " +
            "INSERT OR REPLACE INTO permissions SELECT id, 2, (SELECT id FROM secrets WHERE name = $secret), 15, id, 0 FROM clients WHERE name = $client;",
            ("$client", client), ("$secret", secret));
        var result = store.Run(["secret", "get", secret, "-n", "prod"], stdin: null, credential);
        Assert.True(result.ExitCode is 5 or 7, $"{client} should get no value: {result}");
        Assert.Equal("", result.Stdout);
        Assert.DoesNotContain(AfterValue, result.Stderr);
    }
}
