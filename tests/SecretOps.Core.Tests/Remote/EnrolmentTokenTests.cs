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
