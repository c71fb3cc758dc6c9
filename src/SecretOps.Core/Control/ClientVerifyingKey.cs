using System.Security.Cryptography;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Control;

/// <summary>
/// The public half of a <see cref="ClientSigningKey"/>, kept as its DER SubjectPublicKeyInfo. Only named P-256 keys in
/// the canonical form .NET exports (uncompressed point) are accepted, so one key has exactly one encoding in the log.
/// Verification is thread-safe.
/// </summary>
internal sealed class ClientVerifyingKey : IDisposable
{
    private readonly byte[] subjectPublicKeyInfo;
    private readonly ECDsa key;
    private readonly object gate = new();

    private ClientVerifyingKey(ECDsa key, byte[] subjectPublicKeyInfo)
    {
        this.key = key;
        this.subjectPublicKeyInfo = subjectPublicKeyInfo;
    }

    /// <summary>The DER SubjectPublicKeyInfo (do not change it).</summary>
    public ReadOnlySpan<byte> SubjectPublicKeyInfo => subjectPublicKeyInfo;

    /// <summary>A copy of the DER SubjectPublicKeyInfo.</summary>
    public byte[] ExportSubjectPublicKeyInfo() => (byte[])subjectPublicKeyInfo.Clone();

    /// <summary>Reads a P-256 SubjectPublicKeyInfo; any other algorithm or curve, trailing bytes or a non-canonical encoding is refused.</summary>
    public static ClientVerifyingKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> der)
    {
        var (algorithmOid, curveOid) = ClientPublicKey.ReadAlgorithm(der, isPrivate: false);
        if (algorithmOid != ClientPublicKey.EcPublicKeyOid || curveOid != ClientPublicKey.P256Oid)
        {
            throw new InvalidKeyException("A signing key must be an EC key on P-256.");
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportSubjectPublicKeyInfo(der, out var read);
            var canonical = ecdsa.ExportSubjectPublicKeyInfo();
            if (read != der.Length || !der.SequenceEqual(canonical))
            {
                throw new InvalidKeyException("The signing key is not in canonical form (named P-256 curve, uncompressed point, nothing after it).");
            }

            return new ClientVerifyingKey(ecdsa, canonical);
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
        {
            ecdsa.Dispose();
            throw new InvalidKeyException("The signing key is damaged or truncated: its key data could not be read.", e);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="signature"/> (64 bytes, r || s, low S) is this key's ECDSA P-256 SHA-256 signature of
    /// <paramref name="message"/>. Any other length, a high S or a wrong signature is false.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != ClientSigningKey.SignatureSize || !P256.IsLowS(signature))
        {
            return false;
        }

        lock (gate)
        {
            return key.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }

    /// <summary>The same key with a native handle of its own, for verifying on another thread without this one's lock.</summary>
    public ClientVerifyingKey Copy() => FromSubjectPublicKeyInfo(subjectPublicKeyInfo);

    /// <summary>Whether two keys are the same key.</summary>
    public bool SameKeyAs(ClientVerifyingKey other) => subjectPublicKeyInfo.AsSpan().SequenceEqual(other.subjectPublicKeyInfo);

    /// <summary>Releases the native key.</summary>
    public void Dispose() => key.Dispose();
}
