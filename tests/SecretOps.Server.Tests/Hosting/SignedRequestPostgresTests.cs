using System.Net;
using SecretOps.Core.Remote;
using SecretOps.Server.Tests.Storage;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// The signed-request pipeline on PostgreSQL: two server instances on one database share clients, nonces and the audit
/// table, so a request one accepted is a replay for the other; the nonce table unreachable fails requests with 503.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class SignedRequestPostgresTests(PostgresCluster cluster, TestTlsFiles tls) : IClassFixture<PostgresCluster>, IClassFixture<TestTlsFiles>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequestAcceptedByOneInstance_IsAReplayForAnother()
    {
        var database = Database();
        var client = await SignedServer.EnrolAsync(database);
        using var first = await SignedServer.StartAsync(tls, database);
        using var second = await SignedServer.StartAsync(tls, database);
        var signature = RequestSignature.Sign(client.Key, client.Id, "GET", "/v1/whoami", [], DateTimeOffset.UtcNow);

        using (var plain = first.PlainClient())
        using (var accepted = await plain.SendAsync(first.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal((client.Id, "Allowed"), (first.LastAudit().ClientId, first.LastAudit().Outcome));
        }

        using (var plain = second.PlainClient())
        using (var replayed = await plain.SendAsync(second.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
            Assert.Contains("SecretOps.RequestReplayed", await replayed.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            Assert.Equal((client.Id, "Replayed"), (second.LastAudit().ClientId, second.LastAudit().Outcome));
        }

        // A fresh signature is served by the second instance too. The tables never hold the signature, and the nonce
        // only in the ledger, which exists to keep it.
        using (var signing = second.SigningClient(client))
        using (var fresh = await signing.GetAsync("/v1/whoami", Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        var headers = signature.ToHeaders().ToDictionary(h => h.Key, h => h.Value);
        Assert.DoesNotContain(headers[RequestHeaderNames.Signature], Dump("secretops_nonces", "secretops_clients", "secretops_audit"), StringComparison.Ordinal);
        Assert.DoesNotContain(headers[RequestHeaderNames.Nonce], Dump("secretops_clients", "secretops_audit"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonceTableUnreachable_FailsTheRequestClosedWith503()
    {
        var database = Database();
        var client = await SignedServer.EnrolAsync(database);
        using var server = await SignedServer.StartAsync(tls, database);
        using var signing = server.SigningClient(client);
        await Sql("ALTER TABLE secretops_nonces RENAME TO secretops_nonces_away");
        try
        {
            using var response = await signing.GetAsync("/v1/whoami", Cancel);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("SecretOps.RequestLedgerUnavailable", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }
        finally
        {
            await Sql("ALTER TABLE secretops_nonces_away RENAME TO secretops_nonces");
        }

        Assert.Equal((client.Id, "LedgerUnavailable"), (server.LastAudit().ClientId, server.LastAudit().Outcome));
    }

    private TestDatabase Database()
    {
        cluster.Require();
        tls.Require();
        return TestDatabase.Postgres(cluster.ConnectionString);
    }

    private async Task Sql(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync(Cancel);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Cancel);
    }

    /// <summary>The rows of <paramref name="tables"/> as text (COPY, as pg_dump writes them).</summary>
    private string Dump(params string[] tables)
    {
        using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        connection.Open();
        var text = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            using var reader = connection.BeginTextExport($"COPY {table} TO STDOUT");
            text.Append(reader.ReadToEnd());
        }

        return text.ToString();
    }
}
