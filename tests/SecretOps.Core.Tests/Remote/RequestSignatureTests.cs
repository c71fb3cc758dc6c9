using System.Text;
using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>What an attacker who sees or alters a signed request can and cannot do, and how strictly headers are read.</summary>
public class RequestSignatureTests
{
    private static readonly Guid Client = Guid.Parse("6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88");
    private static readonly Guid OtherClient = Guid.Parse("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    private const string Target = "/v1/namespaces/prod/secrets/db?version=3&include=metadata";
    private const long Timestamp = 1767225600;
    private static readonly byte[] Nonce = Convert.FromHexString("00112233445566778899aabbccddeeff");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"value\":\"c2VjcmV0\"}");

    private static IReadOnlyList<KeyValuePair<string, string>> SignedHeaders(RequestSigningKey key, Guid? client = null, string method = "PUT", string target = Target, byte[]? body = null, long timestamp = Timestamp, byte[]? nonce = null) =>
        RequestSignature.Sign(key, client ?? Client, method, target, body ?? Body, timestamp, nonce ?? Nonce).ToHeaders();

    private static RequestRefusedException Refusal(Action action) => Assert.Throws<RequestRefusedException>(action);

    [Fact]
    public void AnHonestRequest_Verifies_AndCarriesWhatWasSigned()
    {
        using var key = RequestSigningKey.Generate();
        var received = SignedRequests.Parse(SignedHeaders(key));
        received.Verify(key, "PUT", Target, Body);
        Assert.Equal(Client, received.ClientId);
        Assert.Equal(Timestamp, received.Timestamp);
        Assert.Equal(Nonce, received.Nonce.ToArray());
    }

    [Fact]
    public void SigningNow_UsesTheClockAndAFreshNonceEachTime()
    {
        using var key = RequestSigningKey.Generate();
        var now = DateTimeOffset.FromUnixTimeSeconds(Timestamp).AddMilliseconds(900);
        var first = RequestSignature.Sign(key, Client, "GET", "/v1/health", [], now);
        var second = RequestSignature.Sign(key, Client, "GET", "/v1/health", [], now);
        Assert.Equal(Timestamp, first.Timestamp);
        Assert.NotEqual(first.Nonce.ToArray(), second.Nonce.ToArray());
        Assert.NotEqual(first.ToHeaders().Value(RequestHeaderNames.Signature), second.ToHeaders().Value(RequestHeaderNames.Signature));
    }

    public static TheoryData<string, string, string> ReceivedDifferently => new()
    {
        { "method", "POST", Target },
        { "path", "PUT", "/v1/namespaces/prod/secrets/dc?version=3&include=metadata" },
        { "query value", "PUT", "/v1/namespaces/prod/secrets/db?version=4&include=metadata" },
        { "query parameter dropped", "PUT", "/v1/namespaces/prod/secrets/db?version=3" },
        { "query parameter added", "PUT", Target + "&admin=1" },
        { "empty parameter added", "PUT", Target + "&" },
        { "a character percent-encoded", "PUT", "/v1/namespaces/prod/secrets/db?version=3&include=metadat%61" },
    };

    [Theory]
    [MemberData(nameof(ReceivedDifferently))]
    public void AChangedRequestLine_BreaksTheSignature(string change, string method, string target)
    {
        using var key = RequestSigningKey.Generate();
        var received = SignedRequests.Parse(SignedHeaders(key));
        var error = Refusal(() => received.Verify(key, method, target, Body));
        Assert.True(error.Reason == RequestRefusal.SignatureMismatch, $"{change}: {error.Reason}");
        Assert.Equal("SecretOps.RequestSignatureMismatch", error.ErrorId);
        Assert.Equal(SecretOpsErrorCategory.AuthenticationFailed, error.Category);
    }

    [Theory]
    [InlineData("/v1/namespaces/prod/secrets/db%2Fpassword", "/v1/namespaces/prod/secrets/db/password")]
    [InlineData("/v1/namespaces/prod/secrets/db/password", "/v1/namespaces/prod/secrets/db%2Fpassword")]
    [InlineData("/v1/namespaces/a%3ab", "/v1/namespaces/a%3Ab")]
    [InlineData("/v1/namespaces/a%3ab", "/v1/namespaces/a:b")]
    public void AnEncodedCharacter_AndItsDecodedOrRecasedForm_AreDifferentRequests(string signed, string received)
    {
        using var key = RequestSigningKey.Generate();
        var headers = SignedRequests.Parse(SignedHeaders(key, target: signed));
        headers.Verify(key, "PUT", signed, Body);
        Assert.Equal(RequestRefusal.SignatureMismatch, Refusal(() => headers.Verify(key, "PUT", received, Body)).Reason);
    }

    [Fact]
    public void ReorderedQueryParameters_StillVerify_ForTheyAreCanonicalised()
    {
        using var key = RequestSigningKey.Generate();
        SignedRequests.Parse(SignedHeaders(key)).Verify(key, "PUT", "/v1/namespaces/prod/secrets/db?include=metadata&version=3", Body);
    }

    [Fact]
    public void TheMethod_IsSignedUpperCase()
    {
        using var key = RequestSigningKey.Generate();
        SignedRequests.Parse(SignedHeaders(key, method: "put")).Verify(key, "PUT", Target, Body);
        Refusal(() => SignedRequests.Parse(SignedHeaders(key, method: "M-SEARCH")));
    }

    [Fact]
    public void EveryChangedBodyByte_IsRefused_EvenWithTheDeclaredHashUpdated()
    {
        using var key = RequestSigningKey.Generate();
        var headers = SignedHeaders(key);
        for (var i = 0; i < Body.Length; i++)
        {
            var altered = (byte[])Body.Clone();
            altered[i] ^= 0x01;

            // As sent: the declared hash no longer matches the body.
            Assert.Equal(RequestRefusal.BodyMismatch, Refusal(() => SignedRequests.Parse(headers).Verify(key, "PUT", Target, altered)).Reason);

            // An attacker who also rewrites the declared hash still cannot sign it.
            var rehashed = headers.With(RequestHeaderNames.ContentSha256, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(altered)).ToLowerInvariant());
            Assert.Equal(RequestRefusal.SignatureMismatch, Refusal(() => SignedRequests.Parse(rehashed).Verify(key, "PUT", Target, altered)).Reason);
        }
    }

    [Fact]
    public void AnEmptyBody_IsSignedToo_AndABodyAddedLaterIsRefused()
    {
        using var key = RequestSigningKey.Generate();
        var headers = SignedHeaders(key, method: "GET", body: []);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", headers.Value(RequestHeaderNames.ContentSha256));
        SignedRequests.Parse(headers).Verify(key, "GET", Target, []);
        Assert.Equal(RequestRefusal.BodyMismatch, Refusal(() => SignedRequests.Parse(headers).Verify(key, "GET", Target, "x"u8)).Reason);
    }

    public static TheoryData<string, string> ChangedHeaders => new()
    {
        { RequestHeaderNames.Timestamp, "1767225601" },
        { RequestHeaderNames.Nonce, "00112233445566778899aabbccddeefe" },
        { RequestHeaderNames.Client, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" },
        { RequestHeaderNames.Signature, "0000000000000000000000000000000000000000000000000000000000000000" },
    };

    [Theory]
    [MemberData(nameof(ChangedHeaders))]
    public void AChangedSignedHeader_BreaksTheSignature(string header, string value)
    {
        using var key = RequestSigningKey.Generate();
        var received = SignedRequests.Parse(SignedHeaders(key).With(header, value));
        Assert.Equal(RequestRefusal.SignatureMismatch, Refusal(() => received.Verify(key, "PUT", Target, Body)).Reason);
    }

    [Fact]
    public void AnotherKey_OrAnotherClientsSignatureUnderItsOwnKey_IsRefused()
    {
        using var key = RequestSigningKey.Generate();
        using var otherKey = RequestSigningKey.Generate();
        Assert.Equal(RequestRefusal.SignatureMismatch, Refusal(() => SignedRequests.Parse(SignedHeaders(otherKey)).Verify(key, "PUT", Target, Body)).Reason);

        // Another client signs with its own key but claims to be Client: the server verifies under Client's key.
        var forged = SignedHeaders(otherKey, client: OtherClient).With(RequestHeaderNames.Client, Client.ToString());
        var received = SignedRequests.Parse(forged);
        Assert.Equal(Client, received.ClientId);
        Assert.Equal(RequestRefusal.SignatureMismatch, Refusal(() => received.Verify(key, "PUT", Target, Body)).Reason);
    }

    [Fact]
    public void Refusals_NeverEchoTheSignatureOrKey()
    {
        using var key = RequestSigningKey.Generate();
        var keyBytes = new byte[RequestSigningKey.Length];
        key.CopyTo(keyBytes);
        var headers = SignedHeaders(key);
        var signature = headers.Value(RequestHeaderNames.Signature);
        var messages = new[]
        {
            Refusal(() => SignedRequests.Parse(headers).Verify(key, "POST", Target, Body)).Message,
            Refusal(() => SignedRequests.Parse(headers).Verify(key, "PUT", Target, "other"u8)).Message,
            Refusal(() => SignedRequests.Parse(headers.With(RequestHeaderNames.Signature, signature.ToUpperInvariant()))).Message,
            Refusal(() => SignedRequests.Parse(headers.With(RequestHeaderNames.Signature, signature[..^2]))).Message,
        };
        foreach (var message in messages)
        {
            Assert.DoesNotContain(signature, message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(signature[..16], message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(keyBytes)[..16], message, StringComparison.OrdinalIgnoreCase);
        }
    }

    public static TheoryData<string, string?, string> MalformedHeaders => new()
    {
        { RequestHeaderNames.Client, null, "is missing" },
        { RequestHeaderNames.Client, "6F1C2A9E-8B3D-4C7A-9E52-0D4B7A3C1F88", "lowercase UUID" },
        { RequestHeaderNames.Client, "{6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88}", "lowercase UUID" },
        { RequestHeaderNames.Client, "6f1c2a9e8b3d4c7a9e520d4b7a3c1f88", "lowercase UUID" },
        { RequestHeaderNames.Timestamp, null, "is missing" },
        { RequestHeaderNames.Timestamp, "", "Unix time" },
        { RequestHeaderNames.Timestamp, "-1767225600", "Unix time" },
        { RequestHeaderNames.Timestamp, "+1767225600", "Unix time" },
        { RequestHeaderNames.Timestamp, "01767225600", "Unix time" },
        { RequestHeaderNames.Timestamp, " 1767225600", "Unix time" },
        { RequestHeaderNames.Timestamp, "1767225600.5", "Unix time" },
        { RequestHeaderNames.Timestamp, "1767225600000000", "Unix time" },
        { RequestHeaderNames.Timestamp, "١٧٦٧٢٢٥٦٠٠", "Unix time" },
        { RequestHeaderNames.Nonce, null, "is missing" },
        { RequestHeaderNames.Nonce, "00112233445566778899AABBCCDDEEFF", "32 lowercase hex digits" },
        { RequestHeaderNames.Nonce, "00112233445566778899aabbccddee", "32 lowercase hex digits" },
        { RequestHeaderNames.Nonce, "00112233445566778899aabbccddeeff00", "32 lowercase hex digits" },
        { RequestHeaderNames.Nonce, "00112233445566778899aabbccddeefg", "32 lowercase hex digits" },
        { RequestHeaderNames.ContentSha256, null, "is missing" },
        { RequestHeaderNames.ContentSha256, "UNSIGNED-PAYLOAD", "64 lowercase hex digits" },
        { RequestHeaderNames.ContentSha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8", "64 lowercase hex digits" },
        { RequestHeaderNames.Signature, null, "is missing" },
        { RequestHeaderNames.Signature, "", "64 lowercase hex digits" },
        { RequestHeaderNames.Signature, "zz", "64 lowercase hex digits" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void AMalformedOrMissingHeader_IsRefused_NamingIt(string header, string? value, string problem)
    {
        using var key = RequestSigningKey.Generate();
        var headers = SignedHeaders(key);
        var error = Refusal(() => SignedRequests.Parse(value is null ? headers.Without(header) : headers.With(header, value)));
        Assert.Equal(RequestRefusal.Malformed, error.Reason);
        Assert.Equal("SecretOps.RequestMalformed", error.ErrorId);
        Assert.Equal(SecretOpsErrorCategory.InvalidArgument, error.Category);
        Assert.Equal(header, error.Target);
        Assert.Contains(header, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RequestHeaderNames.Client)]
    [InlineData(RequestHeaderNames.Timestamp)]
    [InlineData(RequestHeaderNames.Nonce)]
    [InlineData(RequestHeaderNames.ContentSha256)]
    [InlineData(RequestHeaderNames.Signature)]
    public void ARepeatedHeader_IsRefused_AsTwoLinesOrFoldedWithAComma(string header)
    {
        using var key = RequestSigningKey.Generate();
        var headers = SignedHeaders(key);
        var value = headers.Value(header);
        var twoLines = headers.Append(new(header.ToLowerInvariant(), value)).ToList();
        var folded = headers.With(header, value + ", " + value);
        foreach (var received in new[] { twoLines, folded })
        {
            var error = Refusal(() => SignedRequests.Parse(received));
            Assert.Equal(RequestRefusal.Malformed, error.Reason);
            Assert.Contains($"{header} header appears more than once", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SigningRefusesAWrongNonceLength()
    {
        using var key = RequestSigningKey.Generate();
        Assert.Throws<InvalidParameterException>(() => RequestSignature.Sign(key, Client, "GET", "/", [], Timestamp, new byte[8]));
    }

    [Fact]
    public void AnUnsignableTarget_IsRefusedBeforeAnyKeyIsUsed()
    {
        using var key = RequestSigningKey.Generate();
        var received = SignedRequests.Parse(SignedHeaders(key));
        Assert.Equal(RequestRefusal.Malformed, Refusal(() => received.Verify(key, "PUT", "https://example.com" + Target, Body)).Reason);
    }
}
