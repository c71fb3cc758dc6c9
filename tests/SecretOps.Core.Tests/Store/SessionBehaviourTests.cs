using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// A session holds unwrapped keys until it is disposed or idles out; after that every operation says the
/// store is locked, and the key bytes it held are zero.
/// </summary>
public class SessionBehaviourTests
{
    private static Session Connect(TempStore store, TimeSpan idleTimeout)
    {
        using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
        return SecretStore.Open(store.Path).Connect(SecretStore.SystemClientName, credential, new SessionOptions { IdleTimeout = idleTimeout });
    }

    private static void AssertLocked(Session session)
    {
        Assert.False(session.IsOpen);
        foreach (var operation in new Action[]
                 {
                     () => session.GetSecret("default", "db").Dispose(),
                     () => session.SetSecret("default", "db", SecretValue.FromString("x")),
                     () => session.ListSecrets("default"),
                     () => session.GetHistory("default", "db"),
                     () => session.ListNamespaces(),
                     () => session.Check(),
                 })
        {
            var error = Assert.Throws<StoreLockedException>(operation);
            Assert.Equal("SecretOps.StoreLocked", error.ErrorId);
            Assert.Contains("connect again", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void IdleTimeout_LocksTheSession_AndWipesItsKeys()
    {
        using var store = new TempStore();
        // Generous margins: a loaded CI machine must not time the session out between two quick operations.
        var session = Connect(store, TimeSpan.FromSeconds(1));
        session.SetSecret("default", "db", SecretValue.FromString("v"));
        using (session.GetSecret("default", "db"))
        {
        }

        var keys = SessionInternals.CachedKeyArrays(session);
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Contains(k, b => b != 0));
        Thread.Sleep(1500);

        var first = Assert.Throws<StoreLockedException>(() => session.GetSecret("default", "db"));
        Assert.Contains("idle", first.Message, StringComparison.Ordinal);
        AssertLocked(session);
        Assert.All(keys, k => Assert.All(k, b => Assert.Equal(0, b)));
        Assert.Throws<ObjectDisposedException>(() => SessionInternals.PrivateKey(session).ExportPkcs8());
        session.Dispose();

        // Reconnecting works, and the store is untouched by the lock.
        using var again = Connect(store, TimeSpan.FromMinutes(1));
        using var read = again.GetSecret("default", "db");
        Assert.Equal("v", read.Value.GetString());
    }

    [Fact]
    public void Activity_KeepsTheSessionOpen_AndInfiniteTimeoutNeverLocks()
    {
        using var store = new TempStore();
        using var active = Connect(store, TimeSpan.FromSeconds(1));
        using var forever = Connect(store, Timeout.InfiniteTimeSpan);
        active.SetSecret("default", "db", SecretValue.FromString("v"));
        for (var i = 0; i < 6; i++)
        {
            Thread.Sleep(250);
            using var read = active.GetSecret("default", "db");
        }

        Assert.True(active.IsOpen);
        Thread.Sleep(1500);
        Assert.False(active.IsOpen);
        Assert.True(forever.IsOpen);
        using var still = forever.GetSecret("default", "db");
        Assert.Equal("v", still.Value.GetString());
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void Dispose_WipesKeys_AndLaterOperationsAreLocked()
    {
        using var store = new TempStore();
        var session = Connect(store, TimeSpan.FromMinutes(5));
        session.CreateNamespace("prod");
        session.SetSecret("prod", "db", SecretValue.FromString("v"));
        using (session.GetSecret("prod", "db"))
        {
        }

        var keys = SessionInternals.CachedKeyArrays(session);
        Assert.True(keys.Count >= 2, "the namespace key of prod and the secret's key");
        session.Dispose();
        Assert.All(keys, k => Assert.All(k, b => Assert.Equal(0, b)));
        Assert.Empty(SessionInternals.CachedKeyArrays(session));
        Assert.Throws<ObjectDisposedException>(() => SessionInternals.PrivateKey(session).ExportPkcs8());
        AssertLocked(session);
        session.Dispose();

        // Dispose flushed the read's audit entry before wiping.
        Assert.Contains(RawDb.Rows(store.Path, "audit"), r => r.Contains("'secret.get'", StringComparison.Ordinal));
    }

    [Fact]
    public void TwoStores_OpenAtOnce_ThroughTheRegistry()
    {
        using var first = new TempStore();
        using var second = new TempStore(generateSecret: true);
        var a = SessionRegistry.Add(first.ConnectSystem());
        var b = SessionRegistry.Add(second.ConnectSystem());
        try
        {
            a.SetSecret("default", "db", SecretValue.FromString("from-first"));
            b.SetSecret("default", "db", SecretValue.FromString("from-second"));
            for (var i = 0; i < 3; i++)
            {
                using var fromA = SessionRegistry.Find(first.Path)!.GetSecret("default", "db");
                using var fromB = SessionRegistry.Find(second.Path, "system")!.GetSecret("default", "db");
                Assert.Equal("from-first", fromA.Value.GetString());
                Assert.Equal("from-second", fromB.Value.GetString());
            }

            Assert.Same(a, SessionRegistry.Find(first.Path, a.ClientId.ToString()));
            Assert.Same(b, SessionRegistry.Find(second.Path, "SYSTEM"));
            Assert.Contains(a, SessionRegistry.All);
            Assert.Contains(b, SessionRegistry.All);

            // Connecting again to the same store as the same client replaces (and locks) the earlier session.
            var a2 = SessionRegistry.Add(first.ConnectSystem());
            Assert.False(a.IsOpen);
            Assert.Same(a2, SessionRegistry.Find(first.Path));
            Assert.True(b.IsOpen);
            a = a2;

            SessionRegistry.Remove(b);
            Assert.Null(SessionRegistry.Find(second.Path));
            Assert.Throws<StoreLockedException>(() => b.GetSecret("default", "db"));
            using var stillA = a.GetSecret("default", "db");
            Assert.Equal("from-first", stillA.Value.GetString());
        }
        finally
        {
            SessionRegistry.Remove(a);
            SessionRegistry.Remove(b);
        }
    }

    [Fact]
    public void Registry_DropsSessionsThatIdledOut()
    {
        using var store = new TempStore();
        var session = SessionRegistry.Add(Connect(store, TimeSpan.FromMilliseconds(50)));
        try
        {
            Thread.Sleep(150);
            Assert.Null(SessionRegistry.Find(store.Path));
            Assert.DoesNotContain(session, SessionRegistry.All);
        }
        finally
        {
            SessionRegistry.Remove(session);
        }
    }
}
