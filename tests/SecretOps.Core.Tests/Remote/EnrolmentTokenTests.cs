using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>The enrolment token: one line that reads back to the same client and key, and strict about everything else.</summary>
public sealed class EnrolmentTokenTests
{
    private static readonly Guid Client = Guid.Parse("6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88");

    [Fact]
    public void Format_IsPrefixClientAndUnpaddedBase64Url_AndParsesBack()
    {
        using var key = RequestSigningKey.FromBytes(Enumerable.Range(0, 32).Select(i => (byte)(0xf8 + i)).ToArray());
        var token = EnrolmentToken.Format(Client, key);
        Assert.Equal("secretops-enrol-v1:6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88:-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc", token);

        var (client, parsed) = EnrolmentToken.Parse("  " + token + "\n");
        using (parsed)
        {
            Assert.Equal(Client, client);
            Assert.Equal(token, EnrolmentToken.Format(client, parsed));
        }
    }

    [Fact]
    public void Derive_FromAGeneratedSecret_IsTheTokenOfTheProtocolsDerivationVector()
    {
        // SERVER-PROTOCOL.md §9, derivation-vector root-64: the root is the secret's 64 bytes 00..3f.
        using var credential = Clients.ClientCredential.FromGeneratedSecret("secretops_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw");
        Assert.Equal("secretops-enrol-v1:6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88:NQGthsZoZd18BgkEYDw7QabE9LftHRCZ40WXMX2T0D0", EnrolmentToken.Derive(Client, credential));
        Assert.NotEqual(EnrolmentToken.Derive(Client, credential), EnrolmentToken.Derive(Guid.NewGuid(), credential));
    }

    [Fact]
    public void Derive_RefusesAPassphraseAndAKeyFile_SayingWhereTheirKeyComesFrom()
    {
        using var passphrase = Clients.ClientCredential.FromPassphrase("correct horse battery staple");
        Assert.Contains("operator's enrol", Assert.Throws<InvalidParameterException>(() => EnrolmentToken.Derive(Client, passphrase)).Message, StringComparison.Ordinal);
        using var keyFile = Clients.ClientCredential.FromPrivateKey(SecretOps.Core.Crypto.ClientPrivateKey.Generate());
        Assert.Contains("a key file", Assert.Throws<InvalidParameterException>(() => EnrolmentToken.Derive(Client, keyFile)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("secretops-enrol-v2:6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88:-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc", "does not start")]
    [InlineData("secretops-enrol-v1:6F1C2A9E-8B3D-4C7A-9E52-0D4B7A3C1F88:-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc", "client id")]
    [InlineData("secretops-enrol-v1:6f1c2a9e8b3d4c7a9e520d4b7a3c1f88:-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc", "client id")]
    [InlineData("secretops-enrol-v1:6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88:+Pn6+/z9/v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc", "base64url")]
    [InlineData("secretops-enrol-v1:6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88:-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc=", "base64url")]
    [InlineData("secretops-enrol-v1:6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88:-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhd", "base64url")]
    [InlineData("secretops-enrol-v1:6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "all zero")]
    public void MalformedToken_IsRefused_WithoutEchoingIt(string token, string problem)
    {
        var e = Assert.Throws<InvalidParameterException>(() => EnrolmentToken.Parse(token));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token[^20..], e.Message, StringComparison.Ordinal);
    }
}
