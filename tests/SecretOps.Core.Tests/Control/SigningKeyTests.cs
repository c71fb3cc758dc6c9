using System.Numerics;
using System.Security.Cryptography;
using SecretOps.Core.Control;

namespace SecretOps.Core.Tests.Control;

public class SigningKeyTests
{
    [Fact]
    public void SignThenVerify_With64ByteLowSSignatures()
    {
        using var key = ClientSigningKey.Generate();
        for (var i = 0; i < 20; i++)
        {
            var signature = key.Sign("message"u8);
            Assert.Equal(64, signature.Length);
            Assert.True(P256.IsLowS(signature));
            Assert.True(key.VerifyingKey.Verify("message"u8, signature));
            Assert.False(key.VerifyingKey.Verify("messagf"u8, signature));
            Assert.False(key.VerifyingKey.Verify("message"u8, signature.AsSpan(0, 63)));
        }
    }

    [Fact]
    public void HighS_IsRefused_ThoughTheCurveAcceptsIt()
    {
        using var key = ClientSigningKey.Generate();
        var signature = key.Sign("message"u8);
        var n = new BigInteger(Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), isUnsigned: true, isBigEndian: true);
        var high = (byte[])signature.Clone();
        var s = n - new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        high.AsSpan(32).Clear();
        s.TryWriteBytes(high.AsSpan(64 - s.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        using var raw = ECDsa.Create();
        raw.ImportSubjectPublicKeyInfo(key.VerifyingKey.SubjectPublicKeyInfo, out _);
        Assert.True(raw.VerifyData("message"u8, high, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.False(key.VerifyingKey.Verify("message"u8, high));
    }

    [Fact]
    public void ASeed_GivesOneKey_AndOnlyThatSeedGivesIt()
    {
        // A store keeps the seed, not the key: the same 32 bytes must give the same key in every process.
        var seed = RandomNumberGenerator.GetBytes(ClientSigningKey.SeedSize);
        using var key = ClientSigningKey.FromSeed(seed);
        using var again = ClientSigningKey.FromSeed(seed);
        Assert.True(again.VerifyingKey.SameKeyAs(key.VerifyingKey));
        Assert.True(key.VerifyingKey.Verify("m"u8, again.Sign("m"u8)));
        Assert.Equal(91, key.VerifyingKey.ExportSubjectPublicKeyInfo().Length);

        seed[^1] ^= 1;
        using var other = ClientSigningKey.FromSeed(seed);
        Assert.False(other.VerifyingKey.SameKeyAs(key.VerifyingKey));
        Assert.Throws<InvalidKeyException>(() => ClientSigningKey.FromSeed(seed.AsSpan(1)));
        Assert.Throws<InvalidKeyException>(() => ClientSigningKey.FromSeed([.. seed, 0]));
    }

    [Fact]
    public void OtherCurvesAndAlgorithms_AreRefused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        Assert.Throws<InvalidKeyException>(() => ClientVerifyingKey.FromSubjectPublicKeyInfo(p384.ExportSubjectPublicKeyInfo()));
        Assert.Throws<InvalidKeyException>(() => ClientVerifyingKey.FromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo()));
        using var key = ClientSigningKey.Generate();
        var spki = key.VerifyingKey.ExportSubjectPublicKeyInfo();
        Assert.Throws<InvalidKeyException>(() => ClientVerifyingKey.FromSubjectPublicKeyInfo([.. spki, 0]));
        Assert.Throws<InvalidKeyException>(() => ClientVerifyingKey.FromSubjectPublicKeyInfo(spki.AsSpan(0, spki.Length - 1)));
    }

    [Fact]
    public void DisposedKey_CannotSign()
    {
        var key = ClientSigningKey.Generate();
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => key.Sign("m"u8));
    }
}
