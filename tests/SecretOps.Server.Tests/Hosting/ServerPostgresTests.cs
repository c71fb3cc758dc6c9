using System.Net;
using Npgsql;
using SecretOps.Server.Tests.Storage;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// The real server process on PostgreSQL storage: health follows the database going down and coming back, and a
/// request held up in the database still gets its answer when SIGTERM arrives.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ServerPostgresTests(PostgresCluster cluster, TestTlsFiles tls) : IClassFixture<PostgresCluster>, IClassFixture<TestTlsFiles>
{
    [Fact]
    public async Task Health_ReportsPostgresUnreachableWith503_WhileItIsDown()
    {
        cluster.Require();
        tls.Require();
        using var server = ServerProcess.Start(
            ["--listen", "127.0.0.1", "--port", "0", "--cert", tls.CertificatePath, "--key", tls.KeyPath, "--storage", "postgres"],
            [new("SECRETOPS_SERVER_POSTGRES_CONNECTION", cluster.ConnectionString)]);
        var health = new Uri(await server.WaitUntilListeningAsync(), "/health");
        using var client = tls.PinnedClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(health, TestContext.Current.CancellationToken)).StatusCode);

        cluster.Stop();
        try
        {
            using var down = await client.GetAsync(health, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Contains("\"reachable\":false", await down.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        finally
        {
            cluster.Start();
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(health, TestContext.Current.CancellationToken)).StatusCode);
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());

        // The connection string never reaches the log.
        Assert.DoesNotContain(cluster.ConnectionString, server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_LetsARequestInFlightFinish_BeforeTheServerExits()
    {
        cluster.Require();
        tls.Require();
        using var server = ServerProcess.Start(
            ["--listen", "127.0.0.1", "--port", "0", "--cert", tls.CertificatePath, "--key", tls.KeyPath, "--storage", "postgres"],
            [new("SECRETOPS_SERVER_POSTGRES_CONNECTION", cluster.ConnectionString)]);
        var health = new Uri(await server.WaitUntilListeningAsync(), "/health");
        using var client = tls.PinnedClient();
        var cancel = TestContext.Current.CancellationToken;

        // Hold the nonce table locked so that the health check's query waits inside the server.
        await using var locker = new NpgsqlConnection(cluster.ConnectionString);
        await locker.OpenAsync(cancel);
        await using var transaction = await locker.BeginTransactionAsync(cancel);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE secretops_nonces IN ACCESS EXCLUSIVE MODE", locker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(cancel);
        }

        // Polled from its own connection: inside the locking transaction pg_stat_activity is a snapshot taken at its
        // first read, so a poll that came before the server's query would never see it arrive.
        await using var observer = new NpgsqlConnection(cluster.ConnectionString);
        await observer.OpenAsync(cancel);
        var inFlight = client.GetAsync(health, cancel);
        await Eventually(async () =>
        {
            await using var waiting = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT 1 FROM secretops_nonces%'", observer);
            return (long)(await waiting.ExecuteScalarAsync(cancel))! > 0;
        });

        server.Terminate();
        await Eventually(() => Task.FromResult(server.Output.Contains("Application is shutting down", StringComparison.Ordinal)));
        await transaction.CommitAsync(cancel);

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("\"Message\":\"Stopped\"", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerThatCannotReachPostgres_RefusesToStart()
    {
        cluster.Require();
        using var server = ServerProcess.Start(
            ["--listen", "127.0.0.1", "--port", "0", "--insecure-http", "--storage", "postgres"],
            [new("SECRETOPS_SERVER_POSTGRES_CONNECTION", "Host=127.0.0.1;Port=1;Username=postgres;Timeout=5")]);
        Assert.Equal(1, await server.WaitForExitAsync());
        Assert.StartsWith("secretops-server: ", server.Errors, StringComparison.Ordinal);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="ServerProcess.Patience"/>.</summary>
    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + ServerProcess.Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not true within {ServerProcess.Patience}.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
