using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>How a stanza's wrapping key reaches its recipient.</summary>
internal enum StanzaAlgorithm
{
    /// <summary>Ephemeral ECDH on P-256, HKDF-SHA256, AES-256-GCM. Header: the ephemeral public point (65 bytes).</summary>
    EcdhP256 = 1,

    /// <summary>Ephemeral ECDH on P-384, HKDF-SHA256, AES-256-GCM. Header: the ephemeral public point (97 bytes).</summary>
    EcdhP384 = 2,

    /// <summary>RSA-OAEP-SHA256 of a fresh 32-byte wrapping key, AES-256-GCM. Header: the OAEP ciphertext.</summary>
    RsaOaepSha256 = 3,
}

/// <summary>
/// A symmetric key wrapped to one client, in the same shape for every algorithm (in the manner of age's
/// recipient stanzas): recipient id, algorithm, header, nonce, and the AES-256-GCM ciphertext of the key.
/// The AEAD binds the caller's context, the recipient id, the algorithm and the header, so a stanza moved to
/// another recipient, scope or generation, or altered in any byte, fails with <see cref="TamperedException"/>.
/// </summary>
internal sealed record Stanza(Guid RecipientId, StanzaAlgorithm Algorithm, byte[] Header, byte[] Nonce, byte[] Ciphertext)
{
    private const string What = "A key stanza";

    /// <summary>Wraps <paramref name="key"/> to <paramref name="recipient"/>, bound to <paramref name="context"/>.</summary>
    public static Stanza Wrap(SymmetricKey key, Guid recipientId, ClientPublicKey recipient, AssociatedData context)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentNullException.ThrowIfNull(context);
        var algorithm = AlgorithmFor(recipient.Algorithm);
        Span<byte> wrappingKey = stackalloc byte[SymmetricKey.Length];
        try
        {
            byte[] header;
            if (algorithm == StanzaAlgorithm.RsaOaepSha256)
            {
                RandomNumberGenerator.Fill(wrappingKey);
                using var rsa = recipient.CreateRsa();
                header = rsa.Encrypt(wrappingKey, RSAEncryptionPadding.OaepSHA256);
            }
            else
            {
                using var ephemeral = ECDiffieHellman.Create(ClientPrivateKey.Curve(recipient.Algorithm));
                using var recipientKey = recipient.CreateEcdh();
                header = EncodePoint(ephemeral.ExportParameters(false).Q);
                DeriveEcdhWrappingKey(ephemeral, recipientKey.PublicKey, header, recipient.ExportSubjectPublicKeyInfo(), wrappingKey);
            }

            var sealedKey = Aead.Seal(wrappingKey, key.Bytes, BoundContext(context, recipientId, algorithm, header));
            return new Stanza(recipientId, algorithm, header, sealedKey.Nonce, sealedKey.Ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    /// <summary>Unwraps the key with the recipient's private key; anything altered throws <see cref="TamperedException"/>.</summary>
    public SymmetricKey Unwrap(ClientPrivateKey privateKey, AssociatedData context)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(context);
        if (!Enum.IsDefined(Algorithm) || AlgorithmFor(privateKey.Algorithm) != Algorithm || Header is null || Nonce is null || Ciphertext is null)
        {
            throw new TamperedException(What);
        }

        var wrappingKey = GC.AllocateArray<byte>(SymmetricKey.Length, pinned: true);
        try
        {
            if (Algorithm == StanzaAlgorithm.RsaOaepSha256)
            {
                DecryptRsa(privateKey, wrappingKey);
            }
            else
            {
                using var ephemeral = DecodePoint(ClientPrivateKey.Curve(privateKey.Algorithm), Header);
                DeriveEcdhWrappingKey(privateKey.Ecdh, ephemeral.PublicKey, Header, privateKey.PublicKey.ExportSubjectPublicKeyInfo(), wrappingKey);
            }

            return Aead.OpenKey(wrappingKey, new SealedData(Nonce, Ciphertext), BoundContext(context, RecipientId, Algorithm, Header), What);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    private static StanzaAlgorithm AlgorithmFor(ClientKeyAlgorithm algorithm) => algorithm switch
    {
        ClientKeyAlgorithm.EcP256 => StanzaAlgorithm.EcdhP256,
        ClientKeyAlgorithm.EcP384 => StanzaAlgorithm.EcdhP384,
        ClientKeyAlgorithm.Rsa => StanzaAlgorithm.RsaOaepSha256,
        _ => throw new InvalidParameterException(nameof(algorithm), $"Unknown key algorithm {(int)algorithm}."),
    };

    private static ReadOnlySpan<byte> BoundContext(AssociatedData context, Guid recipientId, StanzaAlgorithm algorithm, byte[] header) =>
        new AssociatedData("secretops/stanza/v1").Add(context.Span).Add(recipientId).Add((long)algorithm).Add(header).Span;

    /// <summary>HKDF-SHA256 of the shared secret, salted with both public keys so the key is bound to this exchange.</summary>
    private static void DeriveEcdhWrappingKey(ECDiffieHellman own, ECDiffieHellmanPublicKey other, byte[] ephemeralPoint, byte[] recipientSpki, Span<byte> output)
    {
        var shared = own.DeriveRawSecretAgreement(other);
        try
        {
            var salt = new byte[ephemeralPoint.Length + recipientSpki.Length];
            ephemeralPoint.CopyTo(salt, 0);
            recipientSpki.CopyTo(salt, ephemeralPoint.Length);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, output, salt, "secretops/stanza/ecdh/v1"u8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    private void DecryptRsa(ClientPrivateKey privateKey, Span<byte> wrappingKey)
    {
        byte[] decrypted;
        try
        {
            decrypted = privateKey.Rsa.Decrypt(Header, RSAEncryptionPadding.OaepSHA256);
        }
        catch (CryptographicException e)
        {
            throw new TamperedException(What, e);
        }

        try
        {
            if (decrypted.Length != SymmetricKey.Length)
            {
                throw new TamperedException(What);
            }

            decrypted.CopyTo(wrappingKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(decrypted);
        }
    }

    private static byte[] EncodePoint(ECPoint point)
    {
        var encoded = new byte[1 + point.X!.Length + point.Y!.Length];
        encoded[0] = 0x04;
        point.X.CopyTo(encoded, 1);
        point.Y.CopyTo(encoded, 1 + point.X.Length);
        return encoded;
    }

    private static ECDiffieHellman DecodePoint(ECCurve curve, byte[] encoded)
    {
        var coordinate = curve.Oid.Value == ClientPublicKey.P384Oid ? 48 : 32;
        if (encoded.Length != 1 + 2 * coordinate || encoded[0] != 0x04)
        {
            throw new TamperedException(What);
        }

        try
        {
            return ECDiffieHellman.Create(new ECParameters
            {
                Curve = curve,
                Q = new ECPoint { X = encoded[1..(1 + coordinate)], Y = encoded[(1 + coordinate)..] },
            });
        }
        catch (CryptographicException e)
        {
            // Not a point on the curve.
            throw new TamperedException(What, e);
        }
    }
}
