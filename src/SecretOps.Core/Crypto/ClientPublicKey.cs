using System.Formats.Asn1;
using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>The asymmetric key types a client may hold.</summary>
public enum ClientKeyAlgorithm
{
    /// <summary>ECDH on NIST P-256 (the default for generated keys).</summary>
    EcP256 = 1,

    /// <summary>ECDH on NIST P-384.</summary>
    EcP384 = 2,

    /// <summary>RSA, at least 2048 bits, used with OAEP-SHA256.</summary>
    Rsa = 3,
}

/// <summary>
/// A client's public key, kept as its SubjectPublicKeyInfo (DER). Keys are wrapped to it in
/// <see cref="Stanza"/>s. Only key types and sizes SecretOps accepts can be constructed.
/// </summary>
public sealed class ClientPublicKey
{
    /// <summary>Smallest RSA modulus accepted.</summary>
    public const int MinRsaBits = 2048;

    /// <summary>Largest RSA modulus accepted (bounds the work a hostile key can cause).</summary>
    public const int MaxRsaBits = 16384;

    internal const string RsaOid = "1.2.840.113549.1.1.1";
    internal const string EcPublicKeyOid = "1.2.840.10045.2.1";
    internal const string P256Oid = "1.2.840.10045.3.1.7";
    internal const string P384Oid = "1.3.132.0.34";

    private readonly byte[] subjectPublicKeyInfo;

    private ClientPublicKey(ClientKeyAlgorithm algorithm, int keySizeBits, byte[] subjectPublicKeyInfo)
    {
        Algorithm = algorithm;
        KeySizeBits = keySizeBits;
        this.subjectPublicKeyInfo = subjectPublicKeyInfo;
        Fingerprint = "SHA256:" + Convert.ToBase64String(SHA256.HashData(subjectPublicKeyInfo)).TrimEnd('=');
    }

    /// <summary>The key type.</summary>
    public ClientKeyAlgorithm Algorithm { get; }

    /// <summary>Modulus or curve size in bits.</summary>
    public int KeySizeBits { get; }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo, base64, in the style of <c>ssh-keygen -l</c>.</summary>
    public string Fingerprint { get; }

    /// <summary>A copy of the DER SubjectPublicKeyInfo.</summary>
    public byte[] ExportSubjectPublicKeyInfo() => (byte[])subjectPublicKeyInfo.Clone();

    /// <summary>The key as a <c>PUBLIC KEY</c> PEM block.</summary>
    public string ExportPem() => PemEncoding.WriteString("PUBLIC KEY", subjectPublicKeyInfo);

    /// <summary>Reads and validates a DER SubjectPublicKeyInfo.</summary>
    public static ClientPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> der)
    {
        var (algorithmOid, curveOid) = ReadAlgorithm(der, isPrivate: false);
        try
        {
            if (algorithmOid == RsaOid)
            {
                using var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(der, out var read);
                EnsureWhole(read, der.Length);
                EnsureRsaSize(rsa.KeySize);
                return new ClientPublicKey(ClientKeyAlgorithm.Rsa, rsa.KeySize, rsa.ExportSubjectPublicKeyInfo());
            }

            var algorithm = CurveAlgorithm(curveOid);
            using var ecdh = ECDiffieHellman.Create();
            ecdh.ImportSubjectPublicKeyInfo(der, out var ecRead);
            EnsureWhole(ecRead, der.Length);
            return new ClientPublicKey(algorithm, ecdh.KeySize, ecdh.ExportSubjectPublicKeyInfo());
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            throw new InvalidKeyException("The public key is damaged or truncated: its key data could not be read.", e);
        }
    }

    internal static ClientPublicKey FromRsa(RSA rsa)
    {
        EnsureRsaSize(rsa.KeySize);
        return new ClientPublicKey(ClientKeyAlgorithm.Rsa, rsa.KeySize, rsa.ExportSubjectPublicKeyInfo());
    }

    internal static ClientPublicKey FromEcdh(ECDiffieHellman ecdh, ClientKeyAlgorithm algorithm) =>
        new(algorithm, ecdh.KeySize, ecdh.ExportSubjectPublicKeyInfo());

    internal RSA CreateRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        return rsa;
    }

    internal ECDiffieHellman CreateEcdh()
    {
        var ecdh = ECDiffieHellman.Create();
        ecdh.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        return ecdh;
    }

    internal static void EnsureRsaSize(int bits)
    {
        if (bits < MinRsaBits)
        {
            throw new InvalidKeyException($"RSA keys must be at least {MinRsaBits} bits; this one has {bits}. Generate one with: openssl genrsa 3072");
        }

        if (bits > MaxRsaBits)
        {
            throw new InvalidKeyException($"RSA keys larger than {MaxRsaBits} bits are not accepted; this one has {bits}.");
        }
    }

    internal static ClientKeyAlgorithm CurveAlgorithm(string? curveOid) => curveOid switch
    {
        P256Oid => ClientKeyAlgorithm.EcP256,
        P384Oid => ClientKeyAlgorithm.EcP384,
        null => throw new InvalidKeyException("EC keys must name their curve (P-256 or P-384); keys with explicit curve parameters are not accepted."),
        _ => throw new InvalidKeyException($"EC curve {CurveName(curveOid)} is not supported; use P-256 (prime256v1) or P-384 (secp384r1)."),
    };

    /// <summary>
    /// Reads the algorithm (and, for EC, named curve) OIDs from a SubjectPublicKeyInfo or a PKCS#8
    /// PrivateKeyInfo, refusing algorithms SecretOps cannot use with a message that says why.
    /// </summary>
    internal static (string AlgorithmOid, string? CurveOid) ReadAlgorithm(ReadOnlySpan<byte> der, bool isPrivate)
    {
        string algorithmOid;
        string? curveOid = null;
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER).ReadSequence();
            if (isPrivate)
            {
                reader.ReadInteger();
            }

            var algorithm = reader.ReadSequence();
            algorithmOid = algorithm.ReadObjectIdentifier();
            if (algorithmOid == EcPublicKeyOid && algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                curveOid = algorithm.ReadObjectIdentifier();
            }
        }
        catch (AsnContentException e)
        {
            throw new InvalidKeyException("The key data is damaged or truncated: it is not valid DER.", e);
        }

        return algorithmOid switch
        {
            RsaOid or EcPublicKeyOid => (algorithmOid, curveOid),
            "1.3.101.112" => throw new InvalidKeyException("Ed25519 keys can only sign, not decrypt; use RSA (2048 bits or more) or EC P-256/P-384."),
            "1.3.101.113" => throw new InvalidKeyException("Ed448 keys can only sign, not decrypt; use RSA (2048 bits or more) or EC P-256/P-384."),
            "1.3.101.110" or "1.3.101.111" => throw new InvalidKeyException("X25519/X448 keys are not supported; use EC P-256/P-384 or RSA (2048 bits or more)."),
            "1.2.840.10040.4.1" => throw new InvalidKeyException("DSA keys are not supported; use RSA (2048 bits or more) or EC P-256/P-384."),
            "1.2.840.113549.1.1.10" => throw new InvalidKeyException("RSA-PSS keys can only sign; use a plain RSA key (openssl genrsa) or EC P-256/P-384."),
            _ => throw new InvalidKeyException($"Key algorithm {algorithmOid} is not supported; use RSA (2048 bits or more) or EC P-256/P-384."),
        };
    }

    private static void EnsureWhole(int read, int length)
    {
        if (read != length)
        {
            throw new InvalidKeyException("The key data has trailing bytes after the key.");
        }
    }

    private static string CurveName(string oid) => oid switch
    {
        "1.3.132.0.35" => "P-521 (secp521r1)",
        "1.3.132.0.10" => "secp256k1",
        _ => new Oid(oid).FriendlyName is { Length: > 0 } name ? $"{name} ({oid})" : oid,
    };
}
