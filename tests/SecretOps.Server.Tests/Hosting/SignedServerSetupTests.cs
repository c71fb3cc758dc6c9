using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// The signed-request pipeline under server settings of its own, one server each: the failed-authentication rate
/// limit, X-Forwarded-For from a trusted proxy, a dual-mode listener's IPv4-mapped peers, and a database that is gone.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class SignedServerSetupTests(TestTlsFiles tls) : IClassFixture<TestTlsFiles>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FailedAuthentications_AtTheLimit_GetA429WithRetryAfter_BeforeAnyVerification()
    {
        var database = NewDatabase();
        var client = await SignedServer.EnrolAsync(database);
        var other = await SignedServer.EnrolAsync(database);
        using var server = await SignedServer.StartAsync(tls, database, "--failed-auth-limit", "3", "--failed-auth-window", "600");
        using var plain = server.PlainClient();
        for (var i = 0; i < 3; i++)
        {
            using var unsigned = await plain.GetAsync("/v1/whoami", Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, unsigned.StatusCode);
        }

        // Now even a good request from that address is refused, whichever client it is for.
        using var signing = server.SigningClient(client);
        using var limited = await signing.GetAsync("/v1/whoami", Cancel);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(600));
        using var body = JsonDocument.Parse(await limited.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("SecretOps.RequestRateLimited", body.RootElement.GetProperty("error").GetString());
        var audit = server.LastAudit();
        Assert.Equal((null, "RateLimited"), (audit.ClientId, audit.Outcome));

        using var otherClient = server.SigningClient(other);
        using var alsoLimited = await otherClient.GetAsync("/v1/whoami", Cancel);
        Assert.Equal(HttpStatusCode.TooManyRequests, alsoLimited.StatusCode);
    }

    [Fact]
    public async Task ForwardedForFromATrustedProxy_IsWhatTheAllowListAndAuditSee()
    {
        var database = NewDatabase();
        var remote = await SignedServer.EnrolAsync(database, "198.51.100.7/32");
        var local = await SignedServer.EnrolAsync(database, "127.0.0.1/32");
        using var server = await SignedServer.StartAsync(tls, database, "--forwarded-headers", "true", "--trusted-proxy", "127.0.0.1/32");

        using (var client = server.SigningClient(remote))
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9, 198.51.100.7");
            using var response = await client.GetAsync("/v1/whoami", Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("198.51.100.7", body.RootElement.GetProperty("address").GetString());
            var audit = server.LastAudit();
            Assert.Equal((remote.Id, "127.0.0.1", "198.51.100.7", "Allowed"), (audit.ClientId, audit.Peer, audit.Resolved, audit.Outcome));
        }

        using (var client = server.SigningClient(local))
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7");
            using var response = await client.GetAsync("/v1/whoami", Cancel);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("198.51.100.7 (forwarded by proxy 127.0.0.1)", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            Assert.Equal("AddressNotAllowed", server.LastAudit().Outcome);
        }

        // An entry the walk reaches that is not an address refuses the request: which hop wrote it cannot be known.
        using (var client = server.SigningClient(remote))
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7, unknown");
            using var response = await client.GetAsync("/v1/whoami", Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("SecretOps.RequestForwardedForMalformed", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            var audit = server.LastAudit();
            Assert.Equal(("127.0.0.1", null, "ForwardedForMalformed"), (audit.Peer, audit.Resolved, audit.Outcome));
        }
    }

    [Fact]
    public async Task IPv4MappedPeer_OfADualModeListener_MatchesAnIPv4Rule()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("This machine has no IPv6, so no dual-mode listener.");
        }

        var database = NewDatabase();
        var local = await SignedServer.EnrolAsync(database, "127.0.0.1/32");
        using var server = await SignedServer.StartAsync(tls, database, "--listen", "::");
        using var client = server.SigningClient(local, remoteAddress: "::ffff:127.0.0.1");
        using var response = await client.GetAsync("/v1/whoami", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var audit = server.LastAudit();
        Assert.Equal(("127.0.0.1", "127.0.0.1", "Allowed"), (audit.Peer, audit.Resolved, audit.Outcome));
    }

    [Fact]
    public async Task DatabaseGone_FailsSignedRequestsClosedWith503()
    {
        var database = NewDatabase();
        var client = await SignedServer.EnrolAsync(database);
        using var server = await SignedServer.StartAsync(tls, database);
        Directory.Delete(Path.GetDirectoryName(database.Location.Connection)!, recursive: true);
        using var signing = server.SigningClient(client);
        using var response = await signing.GetAsync("/v1/whoami", Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("SecretOps.ServerStorageUnavailable", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    private TestDatabase NewDatabase()
    {
        tls.Require();
        return TestDatabase.Sqlite(tls.Scratch($"setup-{Guid.NewGuid():N}/server.db"));
    }
}
