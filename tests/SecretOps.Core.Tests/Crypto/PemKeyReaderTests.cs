using System.Security.Cryptography;
using SecretOps.Core.Crypto;
using SecretOps.Core.Tests.Support;
using SecretOps.ReferenceLibs;

namespace SecretOps.Core.Tests.Crypto;

public class PemKeyReaderTests(OpenSslKeys keys) : IClassFixture<OpenSslKeys>
{
    [Theory]
    [InlineData("rsa2048.pkcs1", ClientKeyAlgorithm.Rsa, 2048)]
    [InlineData("rsa2048.pkcs8", ClientKeyAlgorithm.Rsa, 2048)]
    [InlineData("rsa3072.pkcs1", ClientKeyAlgorithm.Rsa, 3072)]
    [InlineData("rsa4096.pkcs8", ClientKeyAlgorithm.Rsa, 4096)]
    [InlineData("p256.sec1", ClientKeyAlgorithm.EcP256, 256)]
    [InlineData("p256.pkcs8", ClientKeyAlgorithm.EcP256, 256)]
    [InlineData("p384.sec1", ClientKeyAlgorithm.EcP384, 384)]
    [InlineData("p384.pkcs8", ClientKeyAlgorithm.EcP384, 384)]
    public void OpenSslPrivateKeys_AreRead_AndMatchTheirPublicHalf(string name, ClientKeyAlgorithm algorithm, int bits)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        using var key = PemKeyReader.ReadPrivateKey(keys.Pem(name));
        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(bits, key.PublicKey.KeySizeBits);
        var publicKey = PemKeyReader.ReadPublicKey(keys.Pem(name.Split('.')[0] + ".spki"));
        Assert.Equal(publicKey.Fingerprint, key.PublicKey.Fingerprint);
    }

    [Fact]
    public void RsaPkcs1PublicKey_IsRead()
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        Assert.Equal(PemKeyReader.ReadPublicKey(keys.Pem("rsa2048.spki")).Fingerprint,
                     PemKeyReader.ReadPublicKey(keys.Pem("rsa2048.pkcs1-public")).Fingerprint);
    }

    [Theory]
    [InlineData("p256.encrypted-pkcs8", ClientKeyAlgorithm.EcP256)]
    [InlineData("rsa2048.encrypted-pkcs8", ClientKeyAlgorithm.Rsa)]
    public void EncryptedPkcs8_NeedsItsPassphrase(string name, ClientKeyAlgorithm algorithm)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        Assert.Contains("supply its passphrase", Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(keys.Pem(name))).Message);
        Assert.Contains("passphrase is wrong", Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(keys.Pem(name), "wrong")).Message);
        using var key = PemKeyReader.ReadPrivateKey(keys.Pem(name), "correct horse");
        Assert.Equal(algorithm, key.Algorithm);
    }

    [Theory]
    [InlineData("rsa1024.pkcs1", "at least 2048 bits")]
    [InlineData("rsa2048.legacy-encrypted", "legacy PEM encryption")]
    [InlineData("ed25519.pkcs8", "Ed25519 keys can only sign")]
    [InlineData("x25519.pkcs8", "X25519/X448 keys are not supported")]
    [InlineData("secp256k1.sec1", "curve secp256k1 is not supported")]
    [InlineData("p521.sec1", "P-521 (secp521r1) is not supported")]
    [InlineData("p256-explicit.sec1", "explicit curve parameters")]
    [InlineData("rsa2048.spki", "holds a public key, but a private key is needed")]
    public void UnusablePrivateKeys_AreRefusedWithASpecificMessage(string name, string message)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        var error = Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(keys.Pem(name)));
        Assert.Equal("SecretOps.InvalidKey", error.ErrorId);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("rsa1024.spki", "at least 2048 bits")]
    [InlineData("ed25519.spki", "Ed25519 keys can only sign")]
    [InlineData("p521.spki", "P-521 (secp521r1) is not supported")]
    [InlineData("p256.sec1", "holds a private key, but only the public key is needed")]
    [InlineData("rsa2048.pkcs8", "holds a private key, but only the public key is needed")]
    public void UnusablePublicKeys_AreRefusedWithASpecificMessage(string name, string message)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        Assert.Contains(message, Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPublicKey(keys.Pem(name))).Message);
    }

    [Fact]
    public void TruncatedPem_IsRefused_AtEveryCut()
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        var pem = keys.Pem("p256.pkcs8");
        for (var cut = 0; cut < pem.Length - 30; cut += 7)
        {
            var error = Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(pem[..cut]));
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }

    [Fact]
    public void DamagedKeyData_IsRefused()
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        var pem = keys.Pem("rsa2048.pkcs8");
        var der = Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]);
        var truncated = PemEncoding.WriteString("PRIVATE KEY", der.AsSpan(0, der.Length / 2));
        Assert.Contains("damaged or truncated", Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(truncated)).Message);
        var trailing = PemEncoding.WriteString("PRIVATE KEY", [.. der, 0x00]);
        Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(trailing));
    }

    // Found by fuzzing (tests/SecretOps.Fuzz, pem harness): a SEC1 or PKCS#8 EC key naming a curve this platform
    // does not know made .NET throw PlatformNotSupportedException, which escaped instead of a refusal.
    [Theory]
    [InlineData("EC PRIVATE KEY", "2A8648CE3D030109", "damaged or truncated")]
    [InlineData("EC PRIVATE KEY", "2A86C8CE3D030107", "damaged or truncated")]
    [InlineData("PRIVATE KEY", "2A8648CE3D030109", "is not supported")]
    public void EcKeyOnAnUnknownCurve_IsRefused_NotPlatformNotSupported(string label, string curveOid, string message)
    {
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var der = label == "PRIVATE KEY" ? ecdh.ExportPkcs8PrivateKey() : ecdh.ExportECPrivateKey();
        var p256 = Convert.FromHexString("2A8648CE3D030107");
        var at = der.AsSpan().IndexOf(p256);
        Assert.True(at > 0);
        Convert.FromHexString(curveOid).CopyTo(der.AsSpan(at));
        Assert.Contains(message, Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(PemEncoding.WriteString(label, der))).Message);
    }

    // Found while writing the PEM fuzz harness's seeds (tests/SecretOps.Fuzz): the iteration count of an encrypted key is the file's to
    // choose, and 2^31-1 PBKDF2 iterations (run twice, once per key type tried) held a connect for hours.
    [Theory]
    [InlineData(PbeEncryptionAlgorithm.Aes256Cbc)]
    [InlineData(PbeEncryptionAlgorithm.TripleDes3KeyPkcs12)]
    public void EncryptedKeyAskingForTooManyIterations_IsRefusedBeforeDeriving(PbeEncryptionAlgorithm encryption)
    {
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var hash = encryption == PbeEncryptionAlgorithm.TripleDes3KeyPkcs12 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;
        var der = ecdh.ExportEncryptedPkcs8PrivateKey("pw", new PbeParameters(encryption, hash, ClientPrivateKey.MaxKdfIterations + 1));
        var error = Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", der), "pw"));
        Assert.Contains("600001 key-derivation iterations", error.Message, StringComparison.Ordinal);

        // A usual count is read as before.
        der = ecdh.ExportEncryptedPkcs8PrivateKey("pw", new PbeParameters(encryption, hash, 2048));
        using var key = PemKeyReader.ReadPrivateKey(PemEncoding.WriteString("ENCRYPTED PRIVATE KEY", der), "pw");
        Assert.Equal(ClientKeyAlgorithm.EcP256, key.PublicKey.Algorithm);
    }

    [Theory]
    [InlineData("", "not a PEM key file")]
    [InlineData("hello world", "not a PEM key file")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA", "incomplete or damaged")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "OpenSSH's key format")]
    [InlineData("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", "labelled 'FOO'")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not valid DER")]
    public void Garbage_IsRefusedWithASpecificMessage(string text, string message) =>
        Assert.Contains(message, Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(text)).Message);

    [Fact]
    public void RandomBytes_AreRefused_NeverCrash()
    {
        var random = new Random(42);
        for (var i = 0; i < 200; i++)
        {
            var der = new byte[random.Next(0, 400)];
            random.NextBytes(der);
            foreach (var label in new[] { "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY" })
            {
                Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(PemEncoding.WriteString(label, der), "pass"));
            }

            Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPublicKey(PemEncoding.WriteString("PUBLIC KEY", der)));
        }
    }

    [Fact]
    public void OversizedFile_IsRefused() =>
        Assert.Contains("larger than", Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPrivateKey(new string('A', PemKeyReader.MaxPemLength + 1))).Message);

    [Theory]
    [InlineData(ClientKeyAlgorithm.EcP256)]
    [InlineData(ClientKeyAlgorithm.EcP384)]
    [InlineData(ClientKeyAlgorithm.Rsa)]
    public void ExportedKeys_AreReadableByOpenSsl_AndByUs(ClientKeyAlgorithm algorithm)
    {
        ReferenceRequirement.Require(keys.UnavailableReason);
        using var key = ClientPrivateKey.Generate(algorithm);
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, key.ExportPem());
            var publicPem = OpenSsl.Run("pkey", "-in", file, "-pubout");
            Assert.Equal(key.PublicKey.Fingerprint, PemKeyReader.ReadPublicKey(publicPem).Fingerprint);
            Assert.Equal(key.PublicKey.Fingerprint, PemKeyReader.ReadPublicKey(key.PublicKey.ExportPem()).Fingerprint);
            using var again = PemKeyReader.ReadPrivateKey(key.ExportPem());
            Assert.Equal(key.PublicKey.Fingerprint, again.PublicKey.Fingerprint);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
