using System.Formats.Asn1;
using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>
/// A client's private key, able to unwrap <see cref="Stanza"/>s addressed to it. Generated keys are
/// ECDH P-256; imported keys may be RSA (2048+ bits) or EC P-256/P-384.
/// </summary>
public sealed class ClientPrivateKey : IDisposable
{
    private readonly AsymmetricAlgorithm key;

    private ClientPrivateKey(AsymmetricAlgorithm key, ClientPublicKey publicKey)
    {
        this.key = key;
        PublicKey = publicKey;
    }

    /// <summary>The key type.</summary>
    public ClientKeyAlgorithm Algorithm => PublicKey.Algorithm;

    /// <summary>The matching public key.</summary>
    public ClientPublicKey PublicKey { get; }

    /// <summary>A new key pair: EC on the chosen curve, or RSA with <paramref name="rsaBits"/> bits.</summary>
    public static ClientPrivateKey Generate(ClientKeyAlgorithm algorithm = ClientKeyAlgorithm.EcP256, int rsaBits = 3072)
    {
        switch (algorithm)
        {
            case ClientKeyAlgorithm.Rsa:
                ClientPublicKey.EnsureRsaSize(rsaBits);
                var rsa = RSA.Create(rsaBits);
                return new ClientPrivateKey(rsa, ClientPublicKey.FromRsa(rsa));
            case ClientKeyAlgorithm.EcP256:
            case ClientKeyAlgorithm.EcP384:
                var ecdh = ECDiffieHellman.Create(Curve(algorithm));
                return new ClientPrivateKey(ecdh, ClientPublicKey.FromEcdh(ecdh, algorithm));
            default:
                throw new InvalidParameterException(nameof(algorithm), $"Unknown key algorithm {(int)algorithm}.");
        }
    }

    /// <summary>Reads an unencrypted PKCS#8 PrivateKeyInfo (DER), validating type, curve and size.</summary>
    public static ClientPrivateKey FromPkcs8(ReadOnlySpan<byte> der)
    {
        var (algorithmOid, curveOid) = ClientPublicKey.ReadAlgorithm(der, isPrivate: true);
        if (algorithmOid == ClientPublicKey.RsaOid)
        {
            return FromRsa(Import(RSA.Create(), der, static (k, d) => { k.ImportPkcs8PrivateKey(d, out var read); return read; }));
        }

        var algorithm = ClientPublicKey.CurveAlgorithm(curveOid);
        return FromEcdh(Import(ECDiffieHellman.Create(), der, static (k, d) => { k.ImportPkcs8PrivateKey(d, out var read); return read; }), algorithm);
    }

    /// <summary>Reads a PKCS#1 RSAPrivateKey (DER), as written by <c>openssl genrsa -traditional</c>.</summary>
    public static ClientPrivateKey FromPkcs1(ReadOnlySpan<byte> der) =>
        FromRsa(Import(RSA.Create(), der, static (k, d) => { k.ImportRSAPrivateKey(d, out var read); return read; }));

    /// <summary>Reads a SEC1 ECPrivateKey (DER), as written by <c>openssl ecparam -genkey</c>.</summary>
    public static ClientPrivateKey FromSec1(ReadOnlySpan<byte> der)
    {
        var ecdh = Import(ECDiffieHellman.Create(), der, static (k, d) => { k.ImportECPrivateKey(d, out var read); return read; });
        return FromEcdh(ecdh, null);
    }

    /// <summary>
    /// Most key-derivation iterations an encrypted key may ask for: OpenSSL writes 2,048, and 600,000 is .NET's
    /// own limit for PKCS#12. The count is the file's to choose, and up to 2^31-1 took hours (found while writing the
    /// PEM fuzz harness's seeds; afl did not reach it in its first runs).
    /// </summary>
    public const int MaxKdfIterations = 600_000;

    /// <summary>Reads an encrypted PKCS#8 EncryptedPrivateKeyInfo (DER) with its passphrase.</summary>
    public static ClientPrivateKey FromEncryptedPkcs8(ReadOnlySpan<char> passphrase, ReadOnlySpan<byte> der)
    {
        EnsureBoundedIterations(der);
        byte[]? plain = null;
        try
        {
            // The key type is only known after decryption, so let each type's import try it.
            using (var rsa = RSA.Create())
            {
                try
                {
                    rsa.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _);
                    plain = rsa.ExportPkcs8PrivateKey();
                }
                catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
                {
                }
            }

            if (plain is null)
            {
                using var ecdh = ECDiffieHellman.Create();
                try
                {
                    ecdh.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _);
                    plain = ecdh.ExportPkcs8PrivateKey();
                }
                catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
                {
                    throw new InvalidKeyException("The encrypted key could not be decrypted: the passphrase is wrong, or it is not an RSA or EC key.", e);
                }
            }

            return FromPkcs8(plain);
        }
        finally
        {
            if (plain is not null)
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
    }

    /// <summary>An independent copy (the original may be disposed).</summary>
    public ClientPrivateKey Clone()
    {
        var der = ExportPkcs8();
        try
        {
            return FromPkcs8(der);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>The key as unencrypted PKCS#8 DER. The caller must wipe the array.</summary>
    public byte[] ExportPkcs8() => key.ExportPkcs8PrivateKey();

    /// <summary>The key as an unencrypted <c>PRIVATE KEY</c> PEM block.</summary>
    public string ExportPem()
    {
        var der = ExportPkcs8();
        try
        {
            return PemEncoding.WriteString("PRIVATE KEY", der);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// Refuses an EncryptedPrivateKeyInfo whose PBES2/PBKDF2 or PBES1/PKCS#12 parameters ask for more than
    /// <see cref="MaxKdfIterations"/> iterations, before any is run. Structure it cannot follow is left to the import to refuse.
    /// </summary>
    private static void EnsureBoundedIterations(ReadOnlySpan<byte> der)
    {
        System.Numerics.BigInteger iterations;
        try
        {
            var info = new AsnReader(der.ToArray(), AsnEncodingRules.BER).ReadSequence();
            var algorithm = info.ReadSequence();
            var parameters = algorithm.ReadObjectIdentifier() == "1.2.840.113549.1.5.13"
                ? PbeS2KdfParameters(algorithm.ReadSequence())
                : algorithm.ReadSequence();
            if (parameters is null)
            {
                return;
            }

            parameters.ReadEncodedValue();
            iterations = parameters.ReadInteger();
        }
        catch (AsnContentException)
        {
            return;
        }

        if (iterations > MaxKdfIterations)
        {
            throw new InvalidKeyException($"The encrypted key asks for {iterations} key-derivation iterations; SecretOps reads at most {MaxKdfIterations:N0} (OpenSSL writes 2,048). Re-encrypt it: openssl pkcs8 -topk8 -in KEY -out KEY.p8");
        }

        static AsnReader? PbeS2KdfParameters(AsnReader pbes2)
        {
            var kdf = pbes2.ReadSequence();
            return kdf.ReadObjectIdentifier() == "1.2.840.113549.1.5.12" ? kdf.ReadSequence() : null;
        }
    }

    /// <summary>Releases the key.</summary>
    public void Dispose() => key.Dispose();

    internal RSA Rsa => key as RSA ?? throw new InvalidOperationException("Not an RSA key.");

    internal ECDiffieHellman Ecdh => key as ECDiffieHellman ?? throw new InvalidOperationException("Not an EC key.");

    internal static ECCurve Curve(ClientKeyAlgorithm algorithm) =>
        algorithm == ClientKeyAlgorithm.EcP384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256;

    private delegate int KeyImport<in T>(T key, ReadOnlySpan<byte> der);

    /// <summary>Imports into <paramref name="key"/>, disposing it and saying why when the data is not one whole key.</summary>
    private static T Import<T>(T key, ReadOnlySpan<byte> der, KeyImport<T> import)
        where T : AsymmetricAlgorithm
    {
        try
        {
            if (import(key, der) != der.Length)
            {
                throw new InvalidKeyException("The key data has trailing bytes after the key.");
            }

            return key;
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            key.Dispose();
            throw new InvalidKeyException("The key data is damaged or truncated: it could not be read as a private key.", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static ClientPrivateKey FromRsa(RSA rsa)
    {
        try
        {
            return new ClientPrivateKey(rsa, ClientPublicKey.FromRsa(rsa));
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an imported EC key; <paramref name="expected"/> is the curve its container named, if any.</summary>
    private static ClientPrivateKey FromEcdh(ECDiffieHellman ecdh, ClientKeyAlgorithm? expected)
    {
        try
        {
            var curve = ecdh.ExportParameters(false).Curve;
            var algorithm = ClientPublicKey.CurveAlgorithm(curve.IsNamed ? curve.Oid.Value : null);
            if (expected is { } named && named != algorithm)
            {
                throw new InvalidKeyException("The key's curve does not match the curve its container names.");
            }

            return new ClientPrivateKey(ecdh, ClientPublicKey.FromEcdh(ecdh, algorithm));
        }
        catch
        {
            ecdh.Dispose();
            throw;
        }
    }
}
