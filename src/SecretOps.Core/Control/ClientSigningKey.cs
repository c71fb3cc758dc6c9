using System.Numerics;
using System.Security.Cryptography;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Control;

/// <summary>
/// A client's signing key: ECDSA on NIST P-256 with SHA-256, beside (never the same as) its encryption key.
/// Signatures are IEEE P1363 <c>r || s</c>, 64 bytes, with s in the lower half of the group order ("low S"), so a
/// signature has one accepted form and an entry's hash cannot be changed by re-encoding its signature.
/// The private half never leaves: a store keeps the 32-byte seed it is derived from (<see cref="FromSeed"/>), wrapped
/// to the client's own encryption key (<see cref="SigningKeyStanza"/>).
/// </summary>
internal sealed class ClientSigningKey : IDisposable
{
    /// <summary>Length of a signature: r and s, 32 bytes each, big-endian.</summary>
    public const int SignatureSize = 64;

    private readonly ECDsa key;
    private bool disposed;

    private ClientSigningKey(ECDsa key)
    {
        this.key = key;
        VerifyingKey = ClientVerifyingKey.FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The public half.</summary>
    public ClientVerifyingKey VerifyingKey { get; }

    /// <summary>A new P-256 signing key from the system's CSPRNG.</summary>
    public static ClientSigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Length of a signing key seed.</summary>
    public const int SeedSize = 32;

    /// <summary>
    /// The signing key a 32-byte seed stands for: the scalar is HKDF-SHA256(seed, info <c>secretops/signing-key/v1</c> ||
    /// counter byte), the first counter from 0 whose output lies in [1, n-1]. A store keeps the seed (wrapped to the client's
    /// own encryption key), so one stanza carries it and every client kind, key-file ones included, can have one.
    /// </summary>
    public static ClientSigningKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new InvalidKeyException("A signing key seed is 32 bytes.");
        }

        Span<byte> info = stackalloc byte["secretops/signing-key/v1"u8.Length + 1];
        "secretops/signing-key/v1"u8.CopyTo(info);
        var scalar = new byte[SeedSize];
        try
        {
            for (var counter = 0; counter < 256; counter++)
            {
                info[^1] = (byte)counter;
                HKDF.DeriveKey(HashAlgorithmName.SHA256, seed, scalar, [], info);
                if (P256.IsScalar(scalar))
                {
                    return new ClientSigningKey(ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar }));
                }
            }

            throw new CryptographicException("No P-256 scalar could be derived from the seed.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>Signs SHA-256(<paramref name="message"/>): 64 bytes, r || s, low S.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var signature = new byte[SignatureSize];
        if (!key.TrySignData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written)
            || written != SignatureSize)
        {
            throw new CryptographicException("ECDSA P-256 produced a signature of an unexpected size.");
        }

        P256.NormalizeLowS(signature);
        return signature;
    }

    /// <summary>Releases the key (its native handle frees and clears the scalar).</summary>
    public void Dispose()
    {
        disposed = true;
        key.Dispose();
    }
}

/// <summary>P-256 group order arithmetic for the low-S rule.</summary>
internal static class P256
{
    /// <summary>The order n of the P-256 base point.</summary>
    private static readonly BigInteger Order = new(Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), isUnsigned: true, isBigEndian: true);

    private static readonly BigInteger HalfOrder = Order >> 1;

    /// <summary>Whether 32 big-endian bytes are a valid private scalar: 1 ≤ d ≤ n - 1.</summary>
    public static bool IsScalar(ReadOnlySpan<byte> value)
    {
        var d = new BigInteger(value, isUnsigned: true, isBigEndian: true);
        return d > 0 && d < Order;
    }

    /// <summary>Whether the s half of a P1363 signature is at most n/2.</summary>
    public static bool IsLowS(ReadOnlySpan<byte> signature) =>
        new BigInteger(signature[32..], isUnsigned: true, isBigEndian: true) <= HalfOrder;

    /// <summary>Replaces s by n - s when s is above n/2 (an equally valid signature of the same message).</summary>
    public static void NormalizeLowS(Span<byte> signature)
    {
        var s = new BigInteger(signature[32..], isUnsigned: true, isBigEndian: true);
        if (s <= HalfOrder)
        {
            return;
        }

        var low = Order - s;
        signature[32..].Clear();
        var count = low.GetByteCount(isUnsigned: true);
        if (!low.TryWriteBytes(signature[(SignatureSize - count)..], out _, isUnsigned: true, isBigEndian: true))
        {
            throw new CryptographicException("Could not normalise an ECDSA signature.");
        }
    }

    private const int SignatureSize = ClientSigningKey.SignatureSize;
}
