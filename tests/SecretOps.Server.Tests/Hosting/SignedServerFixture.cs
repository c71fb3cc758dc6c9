namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// One server on SQLite for the tests of <see cref="SignedRequestTests"/>, started once (a process start is slow on a
/// small machine), with a failed-authentication limit high enough that the refusal tests never trip it (the rate
/// limit has its own server), and the clients they use enrolled through the <c>enrol</c> command.
/// </summary>
public sealed class SignedServerFixture : IAsyncLifetime
{
    public TestTlsFiles Tls { get; } = new();

    internal SignedServer Server { get; private set; } = null!;

    /// <summary>Allowed from anywhere.</summary>
    internal TestClient Anywhere { get; private set; } = null!;

    /// <summary>Another client allowed from anywhere, whose key the tests try on the first's requests.</summary>
    internal TestClient Other { get; private set; } = null!;

    /// <summary>Allowed from 127.0.0.1 only.</summary>
    internal TestClient LoopbackOnly { get; private set; } = null!;

    /// <summary>Allowed from 10.1.2.3 only, which no connection in the tests comes from.</summary>
    internal TestClient RemoteOnly { get; private set; } = null!;

    internal string DatabasePath => Tls.Scratch("signed/server.db");

    public async ValueTask InitializeAsync()
    {
        if (Tls.UnavailableReason is not null)
        {
            return;
        }

        var database = TestDatabase.Sqlite(DatabasePath);
        Anywhere = await SignedServer.EnrolAsync(database);
        Other = await SignedServer.EnrolAsync(database);
        LoopbackOnly = await SignedServer.EnrolAsync(database, "127.0.0.1/32");
        RemoteOnly = await SignedServer.EnrolAsync(database, "10.1.2.3");
        Server = await SignedServer.StartAsync(Tls, database, "--failed-auth-limit", "3600");
    }

    public ValueTask DisposeAsync()
    {
        Server?.Dispose();
        Tls.Dispose();
        return ValueTask.CompletedTask;
    }
}
