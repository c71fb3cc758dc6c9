using System.Security.Cryptography;
using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>The request signing key: its own per client, one way from the root, never weak, wiped when done.</summary>
public class RequestSigningKeyTests
{
    private static readonly Guid Client = Guid.Parse("6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88");

    private static byte[] BytesOf(RequestSigningKey key)
    {
        var bytes = new byte[RequestSigningKey.Length];
        key.CopyTo(bytes);
        return bytes;
    }

    [Fact]
    public void Derive_IsDeterministic_AndDiffersPerClientAndRoot()
    {
        var root = RandomNumberGenerator.GetBytes(64);
        using var first = RequestSigningKey.Derive(root, Client);
        using var again = RequestSigningKey.Derive(root, Client);
        using var otherClient = RequestSigningKey.Derive(root, Guid.NewGuid());
        root[0] ^= 1;
        using var otherRoot = RequestSigningKey.Derive(root, Client);
        Assert.Equal(BytesOf(first), BytesOf(again));
        Assert.NotEqual(BytesOf(first), BytesOf(otherClient));
        Assert.NotEqual(BytesOf(first), BytesOf(otherRoot));
    }

    [Fact]
    public void Derive_IsNotTheKeyThatUnwrapsTheClientsPrivateKey()
    {
        // A generated secret's unwrapping key is HKDF(secret, salt, "secretops/client-secret/v1") (ClientKeyProtection);
        // the request key, under its own label, is another key, with or without that salt.
        var secret = RandomNumberGenerator.GetBytes(64);
        var salt = RandomNumberGenerator.GetBytes(16);
        var unwrapping = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt, "secretops/client-secret/v1"u8.ToArray());
        var unwrappingUnsalted = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, [], "secretops/client-secret/v1"u8.ToArray());
        using var requestKey = RequestSigningKey.Derive(secret, Client);
        Assert.NotEqual(unwrapping, BytesOf(requestKey));
        Assert.NotEqual(unwrappingUnsalted, BytesOf(requestKey));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    public void Derive_RefusesAShortRoot(int length)
    {
        var error = Assert.Throws<InvalidParameterException>(() => RequestSigningKey.Derive(new byte[length], Client));
        Assert.Contains($"got {length}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_GivesDistinctRandomKeys()
    {
        using var first = RequestSigningKey.Generate();
        using var second = RequestSigningKey.Generate();
        Assert.NotEqual(BytesOf(first), BytesOf(second));
    }

    [Fact]
    public void FromBytes_RoundTrips_AndRefusesWrongLengthsAndAllZero()
    {
        var bytes = RandomNumberGenerator.GetBytes(RequestSigningKey.Length);
        using var key = RequestSigningKey.FromBytes(bytes);
        Assert.Equal(bytes, BytesOf(key));
        Assert.Throws<InvalidParameterException>(() => RequestSigningKey.FromBytes(new byte[31]));
        Assert.Throws<InvalidParameterException>(() => RequestSigningKey.FromBytes(new byte[33]));
        Assert.Throws<InvalidParameterException>(() => RequestSigningKey.FromBytes(new byte[32]));
        Assert.Throws<InvalidParameterException>(() => key.CopyTo(new byte[16]));
    }

    [Fact]
    public void Dispose_WipesTheKey_AndItCannotSignAfterwards()
    {
        var key = RequestSigningKey.Generate();
        var held = (byte[])typeof(RequestSigningKey).GetField("bytes", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(key)!;
        Assert.NotEqual(new byte[RequestSigningKey.Length], held);
        key.Dispose();
        Assert.Equal(new byte[RequestSigningKey.Length], held);
        Assert.Throws<ObjectDisposedException>(() => BytesOf(key));
        Assert.Throws<ObjectDisposedException>(() => RequestSignature.Sign(key, Client, "GET", "/", [], DateTimeOffset.UtcNow));
    }
}
