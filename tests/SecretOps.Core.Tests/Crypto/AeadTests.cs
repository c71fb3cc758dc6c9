using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Crypto;

public class AeadTests
{
    private static AssociatedData Context(long version = 1) => new AssociatedData("secretops/test/v1").Add(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")).Add(version);

    [Fact]
    public void SealThenOpen_RoundTrips_AndNoncesAreFresh()
    {
        using var key = SymmetricKey.Generate();
        var first = Aead.Seal(key, "hello"u8, Context());
        var second = Aead.Seal(key, "hello"u8, Context());
        Assert.Equal("hello"u8.ToArray(), Aead.Open(key, first, Context(), "value"));
        Assert.Equal(Aead.NonceSize, first.Nonce.Length);
        Assert.Equal(5 + Aead.TagSize, first.Ciphertext.Length);
        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.NotEqual(first.Ciphertext, second.Ciphertext);
    }

    [Fact]
    public void Layout_IsCiphertextThenTag_MatchingTheAesGcmKnownAnswer()
    {
        // AES-256-GCM with a zero key and nonce over empty plaintext and AD has tag 530f8afbc74536b9a963b4f1c4cb738b.
        var knownAnswer = new SealedData(new byte[12], Convert.FromHexString("530f8afbc74536b9a963b4f1c4cb738b"));
        Assert.Empty(Aead.Open(new byte[32], knownAnswer, [], "value"));
        var sealedData = Aead.Seal(new byte[32], "abc"u8, []);
        Assert.Equal("abc"u8.ToArray(), Aead.Open(new byte[32], sealedData, [], "value"));
    }

    [Fact]
    public void AssociatedData_IsLengthPrefixedBigEndian_AsDocumented()
    {
        // The worked example in docs/FORMAT.md.
        var encoded = new AssociatedData("secretops/test/v1").Add(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff")).Add(2).Add("é"u8).Span;
        Assert.Equal(
            "00000011" + Convert.ToHexString("secretops/test/v1"u8) + "00000010" + "00112233445566778899AABBCCDDEEFF" + "00000008" + "0000000000000002" + "00000002" + "C3A9",
            Convert.ToHexString(encoded));
    }

    [Fact]
    public void DifferentFieldLists_NeverEncodeAlike()
    {
        Assert.NotEqual(new AssociatedData("p").Add("ab").Add("c").Span.ToArray(), new AssociatedData("p").Add("a").Add("bc").Span.ToArray());
        Assert.NotEqual(new AssociatedData("p").Add("").Span.ToArray(), new AssociatedData("p").Span.ToArray());
    }

    [Fact]
    public void EveryFlippedByte_IsTampered()
    {
        using var key = SymmetricKey.Generate();
        var sealedData = Aead.Seal(key, "the value"u8, Context());
        for (var i = 0; i < sealedData.Nonce.Length; i++)
        {
            var nonce = (byte[])sealedData.Nonce.Clone();
            nonce[i] ^= 0x01;
            Assert.Throws<TamperedException>(() => Aead.Open(key, sealedData with { Nonce = nonce }, Context(), "value"));
        }

        for (var i = 0; i < sealedData.Ciphertext.Length; i++)
        {
            var ciphertext = (byte[])sealedData.Ciphertext.Clone();
            ciphertext[i] ^= 0x80;
            Assert.Throws<TamperedException>(() => Aead.Open(key, sealedData with { Ciphertext = ciphertext }, Context(), "value"));
        }
    }

    [Fact]
    public void OtherContextOrKey_IsTampered()
    {
        using var key = SymmetricKey.Generate();
        using var otherKey = SymmetricKey.Generate();
        var sealedData = Aead.Seal(key, "the value"u8, Context(version: 1));
        var error = Assert.Throws<TamperedException>(() => Aead.Open(key, sealedData, Context(version: 2), "Secret 'db' version 2"));
        Assert.Equal("SecretOps.Tampered", error.ErrorId);
        Assert.Contains("Secret 'db' version 2", error.Message);
        Assert.Throws<TamperedException>(() => Aead.Open(otherKey, sealedData, Context(version: 1), "value"));
    }

    [Fact]
    public void TruncatedOrMalformed_IsTampered_NotACrash()
    {
        using var key = SymmetricKey.Generate();
        var sealedData = Aead.Seal(key, "v"u8, Context());
        Assert.Throws<TamperedException>(() => Aead.Open(key, sealedData with { Nonce = sealedData.Nonce[..11] }, Context(), "value"));
        Assert.Throws<TamperedException>(() => Aead.Open(key, sealedData with { Ciphertext = sealedData.Ciphertext[..15] }, Context(), "value"));
        Assert.Throws<TamperedException>(() => Aead.Open(key, sealedData with { Ciphertext = [] }, Context(), "value"));
        Assert.Throws<TamperedException>(() => Aead.Open(key, sealedData with { Nonce = null! }, Context(), "value"));
    }

    [Fact]
    public void WrappedKeys_RoundTrip_AndWrongLengthIsTampered()
    {
        using var wrapping = SymmetricKey.Generate();
        using var inner = SymmetricKey.Generate();
        var wrapped = Aead.SealKey(wrapping, inner, Context());
        using var unwrapped = Aead.OpenKey(wrapping, wrapped, Context(), "key");
        Assert.Equal(inner.Bytes.ToArray(), unwrapped.Bytes.ToArray());
        var notAKey = Aead.Seal(wrapping, new byte[31], Context());
        Assert.Throws<TamperedException>(() => Aead.OpenKey(wrapping, notAKey, Context(), "key"));
    }

    [Fact]
    public void DisposedKey_IsWipedAndUnusable()
    {
        var key = SymmetricKey.Generate();
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Aead.Seal(key, "v"u8, Context()));
    }
}
