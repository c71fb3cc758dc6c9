using System.Net;
using SecretOps.Server.Tests.Storage;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>The real server process on PostgreSQL storage: health follows the database going down and coming back.</summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ServerPostgresTests(PostgresCluster cluster, TestTlsFiles tls) : IClassFixture<PostgresCluster>, IClassFixture<TestTlsFiles>
{
    [Fact]
    public async Task Health_reports_postgres_unreachable_with_503_while_it_is_down()
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
    public async Task A_server_that_cannot_reach_postgres_refuses_to_start()
    {
        cluster.Require();
        using var server = ServerProcess.Start(
            ["--listen", "127.0.0.1", "--port", "0", "--insecure-http", "--storage", "postgres"],
            [new("SECRETOPS_SERVER_POSTGRES_CONNECTION", "Host=127.0.0.1;Port=1;Username=postgres;Timeout=5")]);
        Assert.Equal(1, await server.WaitForExitAsync());
        Assert.StartsWith("secretops-server: ", server.Errors, StringComparison.Ordinal);
    }
}
