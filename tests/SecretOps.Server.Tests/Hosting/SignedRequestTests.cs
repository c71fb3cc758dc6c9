using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Remote;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// The signed-request pipeline of the real server process on SQLite, over HTTPS on 127.0.0.1: each request's status
/// and the audit row it left. Freshness is tested with timestamps hours away from the window, never with sleeps.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class SignedRequestTests(SignedServerFixture fixture) : IClassFixture<SignedServerFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private SignedServer Server
    {
        get
        {
            fixture.Tls.Require();
            return fixture.Server;
        }
    }

    [Fact]
    public async Task SignedGet_IsServed_AndAuditedAsAllowed()
    {
        using var client = Server.SigningClient(fixture.Anywhere);
        using var response = await client.GetAsync("/v1/whoami", Cancel);
        var body = await Json(response, HttpStatusCode.OK);
        Assert.Equal(fixture.Anywhere.Id.ToString(), body.GetProperty("client").GetString());
        Assert.Equal("127.0.0.1", body.GetProperty("address").GetString());
        var audit = Server.LastAudit();
        Assert.Equal(new RequestAuditEntry(audit.At, fixture.Anywhere.Id, "127.0.0.1", "127.0.0.1", "GET", "/v1/whoami", "Allowed"), audit);
    }

    [Fact]
    public async Task SignedPost_ReachesTheEndpointWithTheBodyUnchanged()
    {
        var payload = RandomNumberGenerator.GetBytes(70_000);
        using var client = Server.SigningClient(fixture.Anywhere);
        using var response = await client.PostAsync("/v1/whoami", new ByteArrayContent(payload), Cancel);
        var body = await Json(response, HttpStatusCode.OK);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant(), body.GetProperty("bodySha256").GetString());
        AssertAudit(fixture.Anywhere.Id, "POST", "/v1/whoami", "Allowed");
    }

    [Theory]
    [InlineData("/v1/whoami%2Fdb%3apassword?name=a%2Fb%3ac&x=1")]
    [InlineData("/v1/whoami?b=2&a=%3a")]
    public async Task EncodedTarget_IsSignedAsSent(string target)
    {
        // The encoded path matches no endpoint: the signature passes (audited as allowed), then routing answers 404.
        using var client = Server.SigningClient(fixture.Anywhere);
        using var response = await client.GetAsync(new Uri(Server.Address, target), Cancel);
        var sent = new Uri(Server.Address, target).PathAndQuery;
        Assert.Equal(target, sent);
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.NotFound });
        AssertAudit(fixture.Anywhere.Id, "GET", sent.Split('?')[0], "Allowed");
    }

    [Fact]
    public async Task SameRequestAgain_IsRefusedAsAReplay()
    {
        var signature = Sign(fixture.Anywhere, "GET", "/v1/whoami", [], DateTimeOffset.UtcNow);
        using var client = Server.PlainClient();
        using (var first = await client.SendAsync(Server.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel))
        {
            await Json(first, HttpStatusCode.OK);
        }

        using var again = await client.SendAsync(Server.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel);
        await Refusal(again, HttpStatusCode.Unauthorized, "SecretOps.RequestReplayed");
        AssertAudit(fixture.Anywhere.Id, "GET", "/v1/whoami", "Replayed");
    }

    [Theory]
    [InlineData(-2, "SecretOps.RequestStale", "Stale")]
    [InlineData(2, "SecretOps.RequestFromFuture", "FromFuture")]
    public async Task TimestampHoursAway_IsRefused(int hours, string errorId, string outcome)
    {
        var signature = Sign(fixture.Anywhere, "GET", "/v1/whoami", [], DateTimeOffset.UtcNow.AddHours(hours));
        using var client = Server.PlainClient();
        using var response = await client.SendAsync(Server.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel);
        await Refusal(response, HttpStatusCode.Unauthorized, errorId);
        AssertAudit(fixture.Anywhere.Id, "GET", "/v1/whoami", outcome);
    }

    [Theory]
    [InlineData("body", "SecretOps.RequestBodyMismatch", "BodyMismatch")]
    [InlineData("path", "SecretOps.RequestSignatureMismatch", "SignatureMismatch")]
    [InlineData("query", "SecretOps.RequestSignatureMismatch", "SignatureMismatch")]
    [InlineData("method", "SecretOps.RequestSignatureMismatch", "SignatureMismatch")]
    public async Task ChangedAfterSigning_IsRefused(string changed, string errorId, string outcome)
    {
        var body = Encoding.UTF8.GetBytes("{\"n\":1}");
        var signature = Sign(fixture.Anywhere, "POST", "/v1/whoami?v=1", body, DateTimeOffset.UtcNow);
        var (method, target, sent) = changed switch
        {
            "body" => (HttpMethod.Post, "/v1/whoami?v=1", Encoding.UTF8.GetBytes("{\"n\":2}")),
            "path" => (HttpMethod.Post, "/v1/whoamI?v=1", body),
            "query" => (HttpMethod.Post, "/v1/whoami?v=2", body),
            _ => (HttpMethod.Put, "/v1/whoami?v=1", body),
        };
        using var client = Server.PlainClient();
        using var response = await client.SendAsync(Server.Signed(method, target, sent, signature), Cancel);
        await Refusal(response, HttpStatusCode.Unauthorized, errorId);
        AssertAudit(fixture.Anywhere.Id, method.Method, target.Split('?')[0], outcome);
    }

    [Fact]
    public async Task AnotherClientsKey_IsRefused()
    {
        var signature = RequestSignature.Sign(fixture.Other.Key, fixture.Anywhere.Id, "GET", "/v1/whoami", [], DateTimeOffset.UtcNow);
        using var client = Server.PlainClient();
        using var response = await client.SendAsync(Server.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel);
        await Refusal(response, HttpStatusCode.Unauthorized, "SecretOps.RequestSignatureMismatch");
        AssertAudit(fixture.Anywhere.Id, "GET", "/v1/whoami", "SignatureMismatch");
    }

    [Fact]
    public async Task UnknownClient_IsRefused_AsADisabledOneIs()
    {
        using var key = RequestSigningKey.Generate();
        var stranger = new TestClient(Guid.NewGuid(), key, "");
        using var client = Server.SigningClient(stranger);
        using var response = await client.GetAsync("/v1/whoami", Cancel);
        await Refusal(response, HttpStatusCode.Unauthorized, "SecretOps.RequestClientNotAccepted");
        AssertAudit(stranger.Id, "GET", "/v1/whoami", "ClientUnknown");
    }

    [Fact]
    public async Task ClientDisabledWhileTheServerRuns_IsRefusedFromItsNextRequest_AndServedAgainOnceEnabled()
    {
        var database = Server.Database;
        var disabled = await SignedServer.EnrolAsync(database);
        using var client = Server.SigningClient(disabled);
        using (var before = await client.GetAsync("/v1/whoami", Cancel))
        {
            await Json(before, HttpStatusCode.OK);
        }

        await SignedServer.CommandAsync(database, "disable", "--client", disabled.Id.ToString());
        using (var refused = await client.GetAsync("/v1/whoami", Cancel))
        {
            await Refusal(refused, HttpStatusCode.Unauthorized, "SecretOps.RequestClientNotAccepted");
        }

        AssertAudit(disabled.Id, "GET", "/v1/whoami", "ClientDisabled");
        await SignedServer.CommandAsync(database, "enable", "--client", disabled.Id.ToString());
        using var after = await client.GetAsync("/v1/whoami", Cancel);
        await Json(after, HttpStatusCode.OK);
    }

    [Fact]
    public async Task AddressOutsideTheAllowList_IsRefused_NamingTheAddressSeen()
    {
        using var client = Server.SigningClient(fixture.LoopbackOnly, localAddress: "127.0.0.2");
        using var response = await client.GetAsync("/v1/whoami", Cancel);
        var message = await Refusal(response, HttpStatusCode.Forbidden, "SecretOps.RequestAddressNotAllowed");
        Assert.Contains("127.0.0.2", message, StringComparison.Ordinal);
        var audit = AssertAudit(fixture.LoopbackOnly.Id, "GET", "/v1/whoami", "AddressNotAllowed");
        Assert.Equal(("127.0.0.2", "127.0.0.2"), (audit.Peer, audit.Resolved));
    }

    [Fact]
    public async Task SpoofedForwardedFor_FromAnUntrustedPeer_IsIgnored()
    {
        using (var client = Server.SigningClient(fixture.LoopbackOnly))
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", "10.1.2.3");
            using var response = await client.GetAsync("/v1/whoami", Cancel);
            Assert.Equal("127.0.0.1", (await Json(response, HttpStatusCode.OK)).GetProperty("address").GetString());
            Assert.Equal("127.0.0.1", Server.LastAudit().Resolved);
        }

        using (var client = Server.SigningClient(fixture.RemoteOnly))
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", "10.1.2.3");
            using var response = await client.GetAsync("/v1/whoami", Cancel);
            Assert.Contains("127.0.0.1", await Refusal(response, HttpStatusCode.Forbidden, "SecretOps.RequestAddressNotAllowed"), StringComparison.Ordinal);
            Assert.Equal(("127.0.0.1", "127.0.0.1"), (Server.LastAudit().Peer, Server.LastAudit().Resolved));
        }
    }

    [Fact]
    public async Task BodyOverOneMebibyte_IsRefusedWith413()
    {
        using var client = Server.SigningClient(fixture.Anywhere);
        using var response = await client.PostAsync("/v1/whoami", new ByteArrayContent(new byte[1024 * 1024 + 1]), Cancel);
        await Refusal(response, (HttpStatusCode)413, "SecretOps.RequestBodyTooLarge");
        AssertAudit(fixture.Anywhere.Id, "POST", "/v1/whoami", "BodyTooLarge");
    }

    [Fact]
    public async Task UnsignedRequest_IsRefusedAsMalformed_AndHealthNeedsNoSignature()
    {
        using var client = Server.PlainClient();
        using (var response = await client.GetAsync("/v1/whoami?token=abc", Cancel))
        {
            await Refusal(response, HttpStatusCode.BadRequest, "SecretOps.RequestMalformed");
        }

        Assert.Equal(new RequestAuditEntry(Server.LastAudit().At, null, "127.0.0.1", "127.0.0.1", "GET", "/v1/whoami", "Malformed"), Server.LastAudit());
        using var health = await client.GetAsync("/health", Cancel);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task NonceLedgerThatCannotRecord_FailsTheRequestClosedWith503()
    {
        using var client = Server.SigningClient(fixture.Anywhere);
        Execute("ALTER TABLE nonces RENAME TO nonces_away");
        try
        {
            using var response = await client.GetAsync("/v1/whoami", Cancel);
            await Refusal(response, HttpStatusCode.ServiceUnavailable, "SecretOps.RequestLedgerUnavailable");
            AssertAudit(fixture.Anywhere.Id, "GET", "/v1/whoami", "LedgerUnavailable");
        }
        finally
        {
            // Reading the audit back opened the storage, which made an empty nonces table again.
            Execute("DROP TABLE IF EXISTS nonces; ALTER TABLE nonces_away RENAME TO nonces");
        }
    }

    [Fact]
    public async Task AuditRowThatCannotBeWritten_FailsTheRequestWith503_AndLeavesItsNonceUnused()
    {
        var signature = Sign(fixture.Anywhere, "GET", "/v1/whoami", [], DateTimeOffset.UtcNow);
        using var client = Server.PlainClient();
        Execute("ALTER TABLE audit RENAME TO audit_away");
        try
        {
            using var refused = await client.SendAsync(Server.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel);
            await Refusal(refused, HttpStatusCode.ServiceUnavailable, "SecretOps.ServerStorageUnavailable");
        }
        finally
        {
            Execute("DROP TABLE IF EXISTS audit; ALTER TABLE audit_away RENAME TO audit");
        }

        // The nonce and the audit row are one commit: neither was written, so sending the request again is no replay.
        using var again = await client.SendAsync(Server.Signed(HttpMethod.Get, "/v1/whoami", null, signature), Cancel);
        await Json(again, HttpStatusCode.OK);
        AssertAudit(fixture.Anywhere.Id, "GET", "/v1/whoami", "Allowed");
    }

    [Fact]
    public async Task Canary_InABody_NeverReachesTheLogOrTheDatabase_NorDoTheSignatureNonceOrKey()
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes($"{{\"value\":\"{canary}\"}}");
        var signature = Sign(fixture.Anywhere, "POST", "/v1/whoami?note=" + canary, body, DateTimeOffset.UtcNow);
        var headers = signature.ToHeaders().ToDictionary(h => h.Key, h => h.Value);
        using var client = Server.PlainClient();
        using (var response = await client.SendAsync(Server.Signed(HttpMethod.Post, "/v1/whoami?note=" + canary, body, signature), Cancel))
        {
            Assert.DoesNotContain(canary, (await Json(response, HttpStatusCode.OK)).GetRawText(), StringComparison.Ordinal);
        }

        // And once refused, which writes a refusal message too.
        using (var replay = await client.SendAsync(Server.Signed(HttpMethod.Post, "/v1/whoami?note=" + canary, body, signature), Cancel))
        {
            var refusal = await replay.Content.ReadAsStringAsync(Cancel);
            Assert.Contains("SecretOps.RequestReplayed", refusal, StringComparison.Ordinal);
            foreach (var echoed in new[] { canary, headers[RequestHeaderNames.Signature], headers[RequestHeaderNames.Nonce] })
            {
                Assert.DoesNotContain(echoed, refusal, StringComparison.Ordinal);
            }
        }

        var keyText = fixture.Anywhere.Token.Split(':')[2];
        string[] secrets = [canary, headers[RequestHeaderNames.Signature], headers[RequestHeaderNames.Nonce], keyText];
        var log = Server.Process.Output + Server.Process.Errors;
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }

        // By design the database holds the request key (the server verifies with it) and the nonce's 16 bytes (the
        // replay ledger); never the body, the query, the signature, or the nonce as the header's text.
        var database = DatabaseText();
        foreach (var secret in secrets[..3])
        {
            Assert.DoesNotContain(secret, database, StringComparison.Ordinal);
        }
    }

    private static RequestSignature Sign(TestClient client, string method, string target, byte[] body, DateTimeOffset at) =>
        RequestSignature.Sign(client.Key, client.Id, method, target, body, at);

    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == expected, $"status {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Checks the status and error id of a refusal and returns its message.</summary>
    private static async Task<string> Refusal(HttpResponseMessage response, HttpStatusCode expected, string errorId)
    {
        var body = await Json(response, expected);
        Assert.Equal(errorId, body.GetProperty("error").GetString());
        return body.GetProperty("message").GetString()!;
    }

    private RequestAuditEntry AssertAudit(Guid? client, string method, string path, string outcome)
    {
        var audit = Server.LastAudit();
        Assert.Equal((client, method, path, outcome), (audit.ClientId, audit.Method, audit.Path, audit.Outcome));
        return audit;
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = fixture.DatabasePath, Pooling = false }.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private string DatabaseText() => Encoding.Latin1.GetString(
        Directory.EnumerateFiles(Path.GetDirectoryName(fixture.DatabasePath)!)
            .SelectMany(file =>
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return copy.ToArray();
            })
            .ToArray());
}
