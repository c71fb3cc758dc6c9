namespace SecretOps.Cli.Tests;

/// <summary>The edges of who may grant, create and retire, and what grant and revoke refuse.</summary>
// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class PermissionCommandTests
{
    [Fact]
    public void PermitWithoutRead_CannotGrantRead_OnlyTheFlagsItHolds()
    {
        using var store = CliStore.Create();
        store.Ok("ns", "create", "team");
        store.Set("s", "v", "-n", "team");
        var carol = CliStore.As("carol", secret: store.AddGenerated("carol"));
        var dave = CliStore.As("dave", secret: store.AddGenerated("dave"));
        store.Ok("grant", "carol", "--namespace", "team", "--permissions", "permit,delete");

        var denied = store.Fails(5, ["grant", "dave", "--namespace", "team", "--permissions", "read"], stdin: null, carol);
        Assert.Contains("does not hold Read itself", denied.Stderr);
        store.Fails(5, ["grant", "dave", "--namespace", "team", "--permissions", "write"], stdin: null, carol);
        store.Fails(5, ["grant", "dave", "--secret", "s", "-n", "team", "--permissions", "read"], stdin: null, carol);
        store.Fails(5, ["grant", "dave", "--namespace", "default", "--permissions", "delete"], stdin: null, carol);
        var audited = store.Json("audit", "list", "--action", "permission.grant", "--last", "1")[0];
        Assert.Equal("denied", audited.GetProperty("outcome").GetString());
        store.Fails(5, ["secret", "get", "s", "-n", "team"], stdin: null, dave);

        // What Carol holds, she can hand on and take back.
        store.Ok(["grant", "dave", "--namespace", "team", "--permissions", "delete"], stdin: null, carol);
        Assert.Equal(["delete"], store.Json("permissions", "--client", "dave").EnumerateArray().Single().GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        store.Fails(5, ["secret", "get", "s", "-n", "team"], stdin: null, dave);
        store.Ok(["revoke", "dave", "--namespace", "team", "--permissions", "delete", "--yes"], stdin: null, carol);
        Assert.Empty(store.Json("permissions", "--client", "dave").EnumerateArray());
    }

    [Fact]
    public void AMember_CannotCreateClientsOrNamespaces_NorAdministerClientsOrThePolicy()
    {
        using var store = CliStore.Create();
        var member = CliStore.As("member", secret: store.AddGenerated("member"));
        store.AddGenerated("other");
        var policy = Path.Combine(store.Directory, "policy.yaml");
        File.WriteAllText(policy, "namespaces:\n  - name: mine\n");

        foreach (var arguments in new[]
                 {
                     new[] { "client", "add", "sneaky", "--generate-secret" },
                     ["ns", "create", "mine"],
                     ["client", "disable", "other"],
                     ["client", "set", "other", "--role", "admin"],
                     ["client", "set", "member", "--role", "admin"],
                     ["client", "retire", "other", "--yes"],
                     ["client", "rotate", "other", "--generate-secret"],
                     ["ns", "rotate", "default"],
                     ["policy", "export"],
                     ["policy", "apply", policy, "--dry-run"],
                 })
        {
            var denied = store.Fails(5, arguments, stdin: null, member);
            Assert.Equal("", denied.Stdout);
        }

        Assert.Equal(["member", "other", "system"], store.Json("client", "list").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["default"], store.Json("ns", "list").EnumerateArray().Select(n => n.GetProperty("name").GetString()));
        Assert.Equal("member", store.Json("client", "show", "member").GetProperty("role").GetString());
    }

    [Fact]
    public void TheSystemClient_CanBeRetiredOnceAnActiveAdminExists_AndNotBefore()
    {
        using var store = CliStore.Create();
        store.Set("k", "v");
        Assert.Contains("active admin", store.Fails(6, "client", "retire", "system", "--yes").Stderr);

        // A member, or a disabled admin, is not enough.
        var lead = CliStore.As("lead", secret: store.AddGenerated("lead"));
        store.Fails(6, "client", "retire", "system", "--yes");
        store.Ok("client", "set", "lead", "--role", "admin");
        store.Ok("client", "disable", "lead");
        Assert.Contains("active admin", store.Fails(6, "client", "retire", "system", "--yes").Stderr);
        store.Ok("client", "enable", "lead");

        // The admin must be able to read what the System client holds, or the retirement is refused (unless forced).
        Assert.Contains("'default'", store.Fails(6, ["client", "retire", "system", "--yes"], stdin: null, lead).Stderr);
        store.Ok("grant", "lead", "--namespace", "default", "--permissions", "read,write,delete,permit");
        Assert.Contains("Retired client 'system'", store.Ok(["client", "retire", "system", "--yes"], stdin: null, lead).Stdout);

        store.Fails(4, "secret", "get", "k");
        Assert.Equal("retired", store.Json(lead, "client", "show", "system").GetProperty("status").GetString());
        Assert.Equal("v", store.Ok(["secret", "get", "k"], stdin: null, lead).Stdout);
        store.Ok(["ns", "create", "after-system"], stdin: null, lead);
    }

    [Fact]
    public void GrantAndRevoke_RefuseBadInput_AndANamespaceIsOnlyEverNamedExplicitly()
    {
        using var store = CliStore.Create();
        store.Ok("ns", "create", "team");
        store.Set("s", "v", "-n", "team");
        var dave = CliStore.As("dave", secret: store.AddGenerated("dave"));

        Assert.Contains("--namespace NS", store.Fails(2, "grant", "dave", "--permissions", "read").Stderr);
        Assert.Contains("read, write, delete and permit", store.Fails(2, "grant", "dave", "-n", "team", "--permissions", "fly").Stderr);
        store.Fails(2, "grant", "dave", "-n", "team", "--permissions", "read,,write");
        store.Fails(2, "grant", "dave", "-n", "team");
        store.Fails(3, "grant", "nobody", "-n", "team", "--permissions", "read");
        store.Fails(3, "grant", "dave", "-n", "nowhere", "--permissions", "read");
        store.Fails(3, "grant", "dave", "--secret", "missing", "-n", "team", "--permissions", "read");
        store.Fails(3, "revoke", "dave", "-n", "team", "--yes");
        Assert.Contains("--yes", store.Fails(2, "revoke", "dave", "-n", "team").Stderr);

        // SECRETOPS_NAMESPACE picks the namespace of --secret, but never widens a grant to a whole namespace.
        var inTeam = new Dictionary<string, string?> { ["SECRETOPS_NAMESPACE"] = "team" };
        store.Fails(2, ["grant", "dave", "--permissions", "read"], stdin: null, inTeam);
        var granted = store.Json(inTeam, "grant", "dave", "--secret", "s", "--permissions", "all");
        Assert.Equal("team", granted.GetProperty("namespace").GetString());
        Assert.Equal("secret", granted.GetProperty("scope").GetString());
        Assert.Equal(["read", "write", "delete", "permit"], granted.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("v", store.Ok(["secret", "get", "s", "-n", "team"], stdin: null, dave).Stdout);
        Assert.Contains("Granted read on namespace 'team' to 'dave'", store.Ok("grant", "dave", "-n", "team", "--permissions", "read").Stdout);
    }

    [Fact]
    public void Revoke_RotatesUnlessTold_AndRefusesToLeaveNobodyHoldingTheNamespaceKey_UnlessForced()
    {
        using var store = CliStore.Create();
        store.Ok("ns", "create", "team");
        store.Set("s", "v", "-n", "team");
        var dave = CliStore.As("dave", secret: store.AddGenerated("dave"));
        store.Ok("grant", "dave", "-n", "team", "--permissions", "read");

        var unrotated = store.Json("revoke", "dave", "-n", "team", "--no-rotate", "--yes");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, unrotated.GetProperty("rotation").ValueKind);
        Assert.Equal(1, Generation(store, "team"));
        store.Fails(5, ["secret", "get", "s", "-n", "team"], stdin: null, dave);

        store.Ok("grant", "dave", "-n", "team", "--permissions", "read,write");
        var partly = store.Ok("revoke", "dave", "-n", "team", "--permissions", "write", "--yes");
        Assert.Contains("no keys needed rotating", partly.Stdout);
        Assert.Equal(1, Generation(store, "team"));
        Assert.Equal("v", store.Ok(["secret", "get", "s", "-n", "team"], stdin: null, dave).Stdout);

        var rotated = store.Ok("revoke", "dave", "-n", "team", "--yes");
        Assert.Contains("namespace 'team' now has key generation 2", rotated.Stdout);
        Assert.Equal(2, Generation(store, "team"));
        Assert.Equal("v", store.Get("s", "-n", "team"));

        // The System client revoking its own read and write on a namespace would leave nobody holding its key.
        var orphaning = store.Run("revoke", "system", "-n", "team", "--permissions", "read,write", "--yes");
        Assert.Equal(6, orphaning.ExitCode);
        Assert.Contains("last client able to decrypt namespace 'team'", orphaning.Stderr);
        Assert.Equal("v", store.Get("s", "-n", "team"));
        store.Ok("revoke", "system", "-n", "team", "--permissions", "read,write", "--force", "--yes");
        Assert.Equal(3, Generation(store, "team"));
    }

    private static int Generation(CliStore store, string ns) =>
        store.Json("ns", "list").EnumerateArray().Single(n => n.GetProperty("name").GetString() == ns).GetProperty("keyGeneration").GetInt32();
}
