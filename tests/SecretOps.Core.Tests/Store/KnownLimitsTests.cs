using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// What the format does not protect, pinned so docs/SECURITY.md stays true: names, metadata and the
/// "current version" pointer are stored in clear and are not bound into any ciphertext, so someone who can
/// write the file can re-file authentic values under other names or point a secret back at an older
/// version. Every value returned is still one that was really written to that store; the audit log records
/// what was written. If one of these tests starts failing because the engine got stronger, update SECURITY.md.
/// </summary>
public class KnownLimitsTests
{
    [Fact]
    public void SwappedSecretNames_ReturnEachOthersAuthenticValues()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "prod-db", SecretValue.FromString("prod value"));
            session.SetSecret("default", "test-db", SecretValue.FromString("test value"));
        }

        RawDb.Execute(store.Path, "UPDATE secrets SET name = 'tmp' WHERE name = 'prod-db'; UPDATE secrets SET name = 'prod-db' WHERE name = 'test-db'; UPDATE secrets SET name = 'test-db' WHERE name = 'tmp';");
        using var after = store.ConnectSystem();
        using var read = after.GetSecret("default", "prod-db");
        Assert.Equal("test value", read.Value.GetString());
    }

    [Fact]
    public void SwappedNamespaceNames_ReturnTheOtherNamespacesValues_ToAClientHoldingBoth()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("prod");
            session.CreateNamespace("test");
            session.SetSecret("prod", "db", SecretValue.FromString("prod value"));
            session.SetSecret("test", "db", SecretValue.FromString("test value"));
        }

        RawDb.Execute(store.Path, "UPDATE namespaces SET name = 'tmp' WHERE name = 'prod'; UPDATE namespaces SET name = 'prod' WHERE name = 'test'; UPDATE namespaces SET name = 'test' WHERE name = 'tmp';");
        using var after = store.ConnectSystem();
        using var read = after.GetSecret("prod", "db");
        Assert.Equal("test value", read.Value.GetString());
    }

    [Fact]
    public void LoweredCurrentVersion_RollsBackToAnOlderAuthenticValue_AndOnlyTheAuditLogShowsIt()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("old password"));
            session.SetSecret("default", "db", SecretValue.FromString("new password"));
        }

        RawDb.Execute(store.Path, "UPDATE secrets SET current_version = 1");
        using var after = store.ConnectSystem();
        using var read = after.GetSecret("default", "db");
        Assert.Equal(("old password", 1), (read.Value.GetString(), read.Version));
        Assert.True(after.Check().IsHealthy);
        // The audit log still says version 2 was written: comparing the two is how an admin finds this.
        Assert.Contains(after.ListAudit(new Audit.AuditQuery(Action: "secret.set")), e => e.Target == "db" && e.Version == 2);
    }

    [Fact]
    public void ExpiryAndMetadata_AreNotAuthenticated()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("v"), new SetSecretOptions
            {
                TimeToLive = TimeSpan.FromHours(1),
                Metadata = new Dictionary<string, object> { ["owner"] = "alice" },
            });
        }

        RawDb.Execute(store.Path, "UPDATE secrets SET expires_at = 1, metadata = '{\"owner\":{\"t\":\"string\",\"v\":\"mallory\"}}'");
        using var after = store.ConnectSystem();
        Assert.Throws<ExpiredException>(() => after.GetSecret("default", "db"));
        Assert.Equal("mallory", after.ListSecrets("default", includeExpired: true).Single().Metadata["owner"]);
    }

    [Fact]
    public void NameMatching_IgnoresCaseForAsciiOnly()
    {
        // SQLite's NOCASE folds A-Z only: "Émile" and "émile" are two different secrets, and a lookup must use
        // the exact case of non-ASCII letters. (Listing filters use .NET's full case folding.)
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", "Émile", SecretValue.FromString("upper"));
        session.SetSecret("default", "émile", SecretValue.FromString("lower"));
        Assert.Equal(2, session.ListSecrets("default").Count);
        using (var read = session.GetSecret("default", "ÉMILE"))
        {
            Assert.Equal("upper", read.Value.GetString());
        }

        Assert.Equal(2, session.ListSecrets("default", "ÉMILE").Count);
    }
}
