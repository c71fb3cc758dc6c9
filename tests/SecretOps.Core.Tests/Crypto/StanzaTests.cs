using SecretOps.Core.Crypto;
using SecretOps.Core.Tests.Support;
using SecretOps.ReferenceLibs;

namespace SecretOps.Core.Tests.Crypto;

public class StanzaTests(OpenSslKeys keys) : IClassFixture<OpenSslKeys>
{
    private static readonly Guid Recipient = Guid.Parse("6a2f41a0-3b5e-4c7d-9e8f-1a2b3c4d5e6f");

    private static AssociatedData Context(long generation = 1) =>
        new AssociatedData("secretops/namespace-key/v1").Add(Guid.Parse("11111111-2222-3333-4444-555555555555")).Add(generation);

    [Theory]
    [InlineData("rsa2048.pkcs1", "rsa2048.spki")]
    [InlineData("rsa2048.pkcs8", "rsa2048.pkcs1-public")]
    [InlineData("rsa3072.pkcs1", "rsa3072.spki")]
    [InlineData("rsa3072.pkcs8", "rsa3072.spki")]
    [InlineData("rsa4096.pkcs1", "rsa4096.spki")]
    [InlineData("rsa4096.pkcs8", "rsa4096.spki")]
    [InlineData("p256.sec1", "p256.spki")]
    [InlineData("p256.pkcs8", "p256.spki")]
    [InlineData("p384.sec1", "p384.spki")]
    public void KeysWrappedToOpenSslPublicKeys_UnwrapWithTheirPrivateKeys(string privateName, string publicName)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        using var privateKey = PemKeyReader.ReadPrivateKey(keys.Pem(privateName));
        var publicKey = PemKeyReader.ReadPublicKey(keys.Pem(publicName));
        using var key = SymmetricKey.Generate();
        var stanza = Stanza.Wrap(key, Recipient, publicKey, Context());
        using var unwrapped = stanza.Unwrap(privateKey, Context());
        Assert.Equal(key.Bytes.ToArray(), unwrapped.Bytes.ToArray());
    }

    public static TheoryData<string> TamperKeys() => ["rsa2048.pkcs1", "p256.sec1", "p384.pkcs8"];

    [Theory]
    [MemberData(nameof(TamperKeys))]
    public void EverySingleFlippedByte_OfHeaderNonceOrCiphertext_IsTampered(string privateName)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        using var privateKey = PemKeyReader.ReadPrivateKey(keys.Pem(privateName));
        using var key = SymmetricKey.Generate();
        var stanza = Stanza.Wrap(key, Recipient, privateKey.PublicKey, Context());
        foreach (var (field, bytes, replace) in new (string, byte[], Func<byte[], Stanza>)[]
                 {
                     ("header", stanza.Header, b => stanza with { Header = b }),
                     ("nonce", stanza.Nonce, b => stanza with { Nonce = b }),
                     ("ciphertext", stanza.Ciphertext, b => stanza with { Ciphertext = b }),
                 })
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                var flipped = (byte[])bytes.Clone();
                flipped[i] ^= 0x01;
                var tampered = replace(flipped);
                var error = Record.Exception(() => tampered.Unwrap(privateKey, Context()).Dispose());
                Assert.True(error is TamperedException, $"{field} byte {i}: {error?.GetType().Name ?? "no error"}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TamperKeys))]
    public void ChangedAssociatedDataFields_AreTampered(string privateName)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        using var privateKey = PemKeyReader.ReadPrivateKey(keys.Pem(privateName));
        using var key = SymmetricKey.Generate();
        var stanza = Stanza.Wrap(key, Recipient, privateKey.PublicKey, Context(generation: 1));
        Assert.Throws<TamperedException>(() => stanza.Unwrap(privateKey, Context(generation: 2)));
        Assert.Throws<TamperedException>(() => stanza.Unwrap(privateKey, new AssociatedData("secretops/secret-key/v1").Add(Guid.Parse("11111111-2222-3333-4444-555555555555")).Add(1)));
        Assert.Throws<TamperedException>(() => (stanza with { RecipientId = Guid.NewGuid() }).Unwrap(privateKey, Context()));
        Assert.Throws<TamperedException>(() => (stanza with { Algorithm = (StanzaAlgorithm)99 }).Unwrap(privateKey, Context()));
        var otherAlgorithm = stanza.Algorithm == StanzaAlgorithm.RsaOaepSha256 ? StanzaAlgorithm.EcdhP256 : StanzaAlgorithm.RsaOaepSha256;
        Assert.Throws<TamperedException>(() => (stanza with { Algorithm = otherAlgorithm }).Unwrap(privateKey, Context()));
    }

    [Theory]
    [MemberData(nameof(TamperKeys))]
    public void TruncatedFields_AreTampered(string privateName)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        using var privateKey = PemKeyReader.ReadPrivateKey(keys.Pem(privateName));
        using var key = SymmetricKey.Generate();
        var stanza = Stanza.Wrap(key, Recipient, privateKey.PublicKey, Context());
        Assert.Throws<TamperedException>(() => (stanza with { Header = stanza.Header[..^1] }).Unwrap(privateKey, Context()));
        Assert.Throws<TamperedException>(() => (stanza with { Header = [] }).Unwrap(privateKey, Context()));
        Assert.Throws<TamperedException>(() => (stanza with { Nonce = stanza.Nonce[..^1] }).Unwrap(privateKey, Context()));
        Assert.Throws<TamperedException>(() => (stanza with { Ciphertext = stanza.Ciphertext[..^1] }).Unwrap(privateKey, Context()));
        Assert.Throws<TamperedException>(() => (stanza with { Ciphertext = null! }).Unwrap(privateKey, Context()));
    }

    [Theory]
    [InlineData(ClientKeyAlgorithm.EcP256)]
    [InlineData(ClientKeyAlgorithm.Rsa)]
    public void AnotherClientsKey_CannotUnwrap(ClientKeyAlgorithm algorithm)
    {
        using var recipient = ClientPrivateKey.Generate(algorithm);
        using var other = ClientPrivateKey.Generate(algorithm);
        using var key = SymmetricKey.Generate();
        var stanza = Stanza.Wrap(key, Recipient, recipient.PublicKey, Context());
        Assert.Throws<TamperedException>(() => stanza.Unwrap(other, Context()));
    }

    [Fact]
    public void Stanzas_ToTheSameRecipient_AreFreshEachTime()
    {
        using var recipient = ClientPrivateKey.Generate();
        using var key = SymmetricKey.Generate();
        var first = Stanza.Wrap(key, Recipient, recipient.PublicKey, Context());
        var second = Stanza.Wrap(key, Recipient, recipient.PublicKey, Context());
        Assert.NotEqual(first.Header, second.Header);
        Assert.NotEqual(first.Ciphertext, second.Ciphertext);
        Assert.Equal(65, first.Header.Length);
    }
}
