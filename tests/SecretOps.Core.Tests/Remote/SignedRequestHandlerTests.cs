using System.Net;
using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>
/// The client's signing handler: what it signs is what .NET sends (the request URI's PathAndQuery, encoded slashes and
/// lowercase escapes kept), the body it hashes is the body sent, and the server's verification accepts it.
/// </summary>
public sealed class SignedRequestHandlerTests
{
    private static readonly Guid Client = Guid.Parse("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");

    [Theory]
    [InlineData("https://server.example:8443/v1/namespaces/prod/secrets/db%2Fpassword?version=3&include=metadata")]
    [InlineData("https://server.example/v1/namespaces/a%3ab/secrets/x?z=&a=2&a=10&&b")]
    [InlineData("https://server.example/v1/whoami")]
    public async Task SignedRequest_VerifiesOverTheTargetAndBodyAsSent(string uri)
    {
        using var key = RequestSigningKey.Generate();
        var body = "{\"value\":\"c2VjcmV0\"}"u8.ToArray();
        var (target, sentBody, signature) = await Send(key, HttpMethod.Post, uri, new ByteArrayContent(body));

        // Exactly as written: .NET re-encodes none of it, so what is signed is what the request line carries.
        Assert.Equal(uri[uri.IndexOf("/v1", StringComparison.Ordinal)..], target);
        Assert.Equal(body, sentBody);
        Assert.Equal(Client, signature.ClientId);
        signature.Verify(key, "POST", target, sentBody);
    }

    [Fact]
    public async Task RequestWithoutContent_IsSignedOverTheEmptyBody()
    {
        using var key = RequestSigningKey.Generate();
        var (target, sentBody, signature) = await Send(key, HttpMethod.Get, "https://server.example/v1/whoami", null);
        Assert.Empty(sentBody);
        signature.Verify(key, "GET", target, []);
    }

    [Fact]
    public async Task AnotherKey_DoesNotVerify()
    {
        using var key = RequestSigningKey.Generate();
        using var other = RequestSigningKey.Generate();
        var (target, sentBody, signature) = await Send(key, HttpMethod.Get, "https://server.example/v1/whoami", null);
        var e = Assert.Throws<RequestRefusedException>(() => signature.Verify(other, "GET", target, sentBody));
        Assert.Equal(RequestRefusal.SignatureMismatch, e.Reason);
    }

    /// <summary>Sends through the handler to a stub that records the request as it would go on the wire.</summary>
    private static async Task<(string Target, byte[] Body, RequestSignature Signature)> Send(RequestSigningKey key, HttpMethod method, string uri, HttpContent? content)
    {
        var recorder = new Recorder();
        using var client = new HttpClient(new SignedRequestHandler(Client, key) { InnerHandler = recorder });
        using var request = new HttpRequestMessage(method, new Uri(uri)) { Content = content };
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return (recorder.Target!, recorder.Body!, SignedRequests.Parse(recorder.Headers!));
    }

    private sealed class Recorder : HttpMessageHandler
    {
        public string? Target { get; private set; }

        public byte[]? Body { get; private set; }

        public List<KeyValuePair<string, string>>? Headers { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Target = request.RequestUri!.PathAndQuery;
            Body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            Headers = request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v))).ToList();
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }
}
