using System.Text;
using SecretOps.Core.Remote;
using SecretOps.ReferenceLibs;

namespace SecretOps.Core.Tests.Remote;

/// <summary>
/// docs/SERVER-PROTOCOL.md §9 cannot drift from the code: every vector is read from the document and reproduced by the
/// engine, and again by the openssl command, an implementation that shares nothing with it.
/// </summary>
public class ProtocolVectorTests
{
    public static TheoryData<string> RequestVectors => new(ProtocolDocument.Names("request-vector"));

    public static TheoryData<string> DerivationVectors => new(ProtocolDocument.Names("derivation-vector"));

    [Fact]
    public void TheDocument_PublishesAtLeastThreeRequestVectors() => Assert.True(RequestVectors.Count >= 3);

    [Theory]
    [MemberData(nameof(RequestVectors))]
    public void RequestVector_IsReproducedByTheEngine(string name)
    {
        var vector = ProtocolDocument.Values("request-vector", name);
        var body = Convert.FromHexString(vector["body"]);
        using var key = RequestSigningKey.FromBytes(Convert.FromHexString(vector["key"]));
        var signature = RequestSignature.Sign(key, Guid.Parse(vector["client"]), vector["method"], vector["target"], body,
            long.Parse(vector["timestamp"], System.Globalization.CultureInfo.InvariantCulture), Convert.FromHexString(vector["nonce"]));

        Assert.Equal(ProtocolDocument.Block("canonical", name),
            RequestSignature.CanonicalString(signature.ClientId, vector["method"], vector["target"], signature.Timestamp, signature.Nonce, Convert.FromHexString(vector["body-sha256"])));
        var headers = signature.ToHeaders().ToDictionary(header => header.Key, header => header.Value);
        Assert.Equal(vector["client"], headers[RequestHeaderNames.Client]);
        Assert.Equal(vector["timestamp"], headers[RequestHeaderNames.Timestamp]);
        Assert.Equal(vector["nonce"], headers[RequestHeaderNames.Nonce]);
        Assert.Equal(vector["body-sha256"], headers[RequestHeaderNames.ContentSha256]);
        Assert.Equal(vector["signature"], headers[RequestHeaderNames.Signature]);

        // And the server accepts the published headers for the published request.
        SignedRequests.Parse(signature.ToHeaders()).Verify(key, vector["method"], vector["target"], body);
    }

    [Theory]
    [MemberData(nameof(RequestVectors))]
    public void RequestVector_IsReproducedByOpenssl(string name)
    {
        ReferenceRequirement.Require(OpenSsl.UnavailableReason);
        var vector = ProtocolDocument.Values("request-vector", name);
        var directory = Directory.CreateTempSubdirectory("secretops-vector-");
        try
        {
            var bodyFile = Path.Combine(directory.FullName, "body");
            File.WriteAllBytes(bodyFile, Convert.FromHexString(vector["body"]));
            var canonicalFile = Path.Combine(directory.FullName, "canonical");
            File.WriteAllBytes(canonicalFile, Encoding.UTF8.GetBytes(ProtocolDocument.Block("canonical", name)));

            Assert.Equal(vector["body-sha256"], Digest(OpenSsl.Run("dgst", "-sha256", "-r", bodyFile)));
            Assert.Equal(vector["signature"], Digest(OpenSsl.Run("dgst", "-sha256", "-r", "-mac", "HMAC", "-macopt", "hexkey:" + vector["key"], canonicalFile)));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(DerivationVectors))]
    public void DerivationVector_IsReproducedByTheEngineAndOpenssl(string name)
    {
        var vector = ProtocolDocument.Values("derivation-vector", name);
        using var key = RequestSigningKey.Derive(Convert.FromHexString(vector["root"]), Guid.Parse(vector["client"]));
        var bytes = new byte[RequestSigningKey.Length];
        key.CopyTo(bytes);
        Assert.Equal(vector["key"], Convert.ToHexString(bytes).ToLowerInvariant());

        ReferenceRequirement.Require(OpenSsl.UnavailableReason);
        var derived = OpenSsl.Run("kdf", "-keylen", "32", "-kdfopt", "digest:SHA256", "-kdfopt", "hexkey:" + vector["root"], "-kdfopt", "salt:",
            "-kdfopt", "info:" + RequestSigningKey.DerivationLabel + vector["client"], "HKDF");
        Assert.Equal(vector["key"], derived.Trim().Replace(":", "", StringComparison.Ordinal).ToLowerInvariant());
    }

    // "openssl dgst -r" prints "<hex> *<file>".
    private static string Digest(string output) => output.Split(' ')[0].Trim();
}
