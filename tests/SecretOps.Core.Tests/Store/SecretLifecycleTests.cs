using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

public class SecretLifecycleTests
{
    [Fact]
    public void EveryValueType_RoundTrips()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", "text", SecretValue.FromString("héllo wörld"));
        session.SetSecret("default", "secure", SecretValue.FromString("s3cret", secure: true));
        session.SetSecret("default", "cred", SecretValue.FromCredential("alice", "pa:ss"));
        session.SetSecret("default", "bytes", SecretValue.FromBytes([0, 1, 2, 255]));
        session.SetSecret("default", "table", SecretValue.FromTable(new Dictionary<string, SecretValue>
        {
            ["a"] = SecretValue.FromString("x"),
            ["b"] = SecretValue.FromBytes([9]),
            ["c"] = SecretValue.FromCredential("u", "p"),
        }));

        using (var text = session.GetSecret("default", "TEXT"))
        {
            Assert.Equal("héllo wörld", text.Value.GetString());
            Assert.Equal("text", text.Entry.Name);
        }

        using (var secure = session.GetSecret("default", "secure"))
        {
            Assert.Equal(SecretValueType.SecureString, secure.Value.Type);
            Assert.Equal("s3cret", secure.Value.GetString());
        }

        using (var cred = session.GetSecret("default", "cred"))
        {
            Assert.Equal(("alice", "pa:ss"), cred.Value.GetCredential());
        }

        using (var bytes = session.GetSecret("default", "bytes"))
        {
            Assert.Equal(new byte[] { 0, 1, 2, 255 }, bytes.Value.GetBytes());
        }

        using var table = session.GetSecret("default", "table");
        var entries = table.Value.GetTable();
        Assert.Equal("x", entries["A"].GetString());
        Assert.Equal(new byte[] { 9 }, entries["b"].GetBytes());
        Assert.Equal(("u", "p"), entries["c"].GetCredential());
    }

    [Fact]
    public void Versions_History_Restore_AndCompareAndSwap()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        Assert.Equal(1, session.SetSecret("default", "db", SecretValue.FromString("one"), new SetSecretOptions { ExpectedVersion = 0 }).Version);
        Assert.Equal(2, session.SetSecret("default", "db", SecretValue.FromString("two")).Version);
        var conflict = Assert.Throws<ConflictException>(() => session.SetSecret("default", "db", SecretValue.FromString("x"), new SetSecretOptions { ExpectedVersion = 1 }));
        Assert.Equal("SecretOps.Conflict", conflict.ErrorId);
        Assert.Equal(3, session.RestoreVersion("default", "db", 1).Version);
        using (var current = session.GetSecret("default", "db"))
        {
            Assert.Equal("one", current.Value.GetString());
        }

        using (var second = session.GetSecret("default", "db", version: 2))
        {
            Assert.Equal("two", second.Value.GetString());
        }

        Assert.Equal([1, 2, 3], session.GetHistory("default", "db").Select(v => v.Version));
        session.RemoveSecret("default", "db", version: 2);
        Assert.Equal([1, 3], session.GetHistory("default", "db").Select(v => v.Version));
        Assert.Throws<ConflictException>(() => session.RemoveSecret("default", "db", version: 3));
        session.RemoveSecret("default", "db");
        Assert.Throws<NotFoundException>(() => session.GetSecret("default", "db"));
    }

    [Fact]
    public void ExpiredSecret_SaysExpired_AndIsHiddenFromListings()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", "short", SecretValue.FromString("v"), new SetSecretOptions { TimeToLive = TimeSpan.FromMilliseconds(50) });
        session.SetSecret("default", "long", SecretValue.FromString("v"), new SetSecretOptions { TimeToLive = TimeSpan.FromHours(1) });
        Thread.Sleep(100);
        Assert.Equal("SecretOps.Expired", Assert.Throws<ExpiredException>(() => session.GetSecret("default", "short")).ErrorId);
        Assert.Equal(["long"], session.ListSecrets("default").Select(e => e.Name));
        Assert.Equal(["long", "short"], session.ListSecrets("default", includeExpired: true).Select(e => e.Name));
    }

    [Fact]
    public void Namespaces_Retention_AndFilters()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.CreateNamespace("prod", "Production", maxVersions: 2);
        Assert.Throws<ConflictException>(() => session.CreateNamespace("PROD"));
        foreach (var v in new[] { "a", "b", "c" })
        {
            session.SetSecret("prod", "api-key", SecretValue.FromString(v));
        }

        Assert.Equal([2, 3], session.GetHistory("prod", "api-key").Select(h => h.Version));
        session.SetSecret("prod", "db[1]", SecretValue.FromString("x"));
        session.SetSecret("prod", "db1", SecretValue.FromString("x"));
        // As a wildcard "db[1]" matches db1; it also matches itself literally.
        Assert.Equal(["db1", "db[1]"], session.ListSecrets("prod", "DB[1]").Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["api-key"], session.ListSecrets("prod", "API*").Select(e => e.Name));
        // An invalid wildcard falls back to a literal match rather than failing.
        Assert.Empty(session.ListSecrets("prod", "db["));
        session.SetSecret("prod", "db[", SecretValue.FromString("x"));
        Assert.Equal(["db["], session.ListSecrets("prod", "db[").Select(e => e.Name));
        Assert.Throws<ConflictException>(() => session.RemoveNamespace("prod", force: false));
        session.RemoveNamespace("prod", force: true);
        Assert.DoesNotContain(session.ListNamespaces(), n => n.Name == "prod");
        Assert.Throws<InvalidParameterException>(() => session.RemoveNamespace("default", force: true));
    }

    [Fact]
    public void PrefixFilters_AsCompletionSendsThem_FindExactlyTheMatchingNames()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        foreach (var name in new[] { "db-prod", "DB-test", "db*star", "dbx", "d", "api-db", "Émile", "émile2", "zz" })
        {
            session.SetSecret("default", name, SecretValue.FromString("v"));
        }

        Assert.Equal(["db*star", "db-prod", "DB-test", "dbx"], session.ListSecrets("default", "db*").Select(e => e.Name).Order(StringComparer.OrdinalIgnoreCase));
        Assert.Equal(["db*star"], session.ListSecrets("default", "db`**").Select(e => e.Name));
        Assert.Equal(["Émile", "émile2"], session.ListSecrets("default", "ÉMILE*").Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal(9, session.ListSecrets("default", "*").Count);
        Assert.Empty(session.ListSecrets("default", "q*"));
    }

    [Fact]
    public void WrongPassphrase_FailsAndIsAudited_AndChangesNothingElse()
    {
        using var store = new TempStore();
        var opened = SecretStore.Open(store.Path);
        using var wrong = ClientCredential.FromPassphrase("not it");
        var error = Assert.Throws<AuthenticationFailedException>(() => opened.Connect("system", wrong));
        Assert.Equal("SecretOps.AuthenticationFailed", error.ErrorId);
        using var session = store.ConnectSystem();
        var last = session.ListAudit(new AuditQuery(Last: 2));
        Assert.Contains(last, e => e.Action == "client.connect" && e.Outcome == "failed" && e.ErrorId == "SecretOps.AuthenticationFailed");
        Assert.True(opened.VerifyAudit().IsValid);
    }

    [Fact]
    public void GeneratedSecretStore_ConnectsWithItsSecret()
    {
        using var store = new TempStore(generateSecret: true);
        Assert.StartsWith("secretops_", store.Created.ClientSecret);
        using var session = store.ConnectSystem();
        session.SetSecret("default", "x", SecretValue.FromString("y"));
        using var read = session.GetSecret("default", "x");
        Assert.Equal("y", read.Value.GetString());
    }

    [Fact]
    public void Check_PassesOnAHealthyStore()
    {
        using var store = new TempStore("with space and ünïcode.db");
        using var session = store.ConnectSystem();
        session.SetSecret("default", "x", SecretValue.FromString("y"));
        var check = session.Check();
        Assert.True(check.IsHealthy, string.Join("; ", check.KeyProblems) + check.Audit.Problem + check.IntegrityCheck);
        Assert.Equal(1, check.KeysChecked);
    }
}
