using System.Security.Cryptography;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Clients;

/// <summary>How a stored private key is protected: the salt and (for passphrases) the Argon2id cost.</summary>
internal sealed record KeyProtection(byte[] Salt, Argon2Parameters? Kdf, SealedData Envelope)
{
    /// <summary>Why the stored protection cannot be used (a damaged or altered row), or null when it is well formed.</summary>
    public string? Damage { get; init; }
}

/// <summary>
/// Seals a client's private key under a key derived from its credential, and opens it again: Argon2id
/// for passphrases, HKDF-SHA256 for generated secrets. The KDF parameters are bound into the envelope.
/// </summary>
internal static class ClientKeyProtection
{
    public const int SaltLength = 16;

    public static KeyProtection Seal(ClientPrivateKey privateKey, ClientCredential credential, Argon2Parameters kdf, Guid storeId, Guid clientId)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var parameters = credential.Kind == ClientKind.Passphrase ? kdf : null;
        using var key = DeriveKey(credential, salt, parameters);
        var pkcs8 = privateKey.ExportPkcs8();
        try
        {
            var envelope = Aead.Seal(key, pkcs8, Context(storeId, clientId, credential.Kind, salt, parameters));
            return new KeyProtection(salt, parameters, envelope);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Opens the private key; a wrong credential (or a tampered row) throws <see cref="TamperedException"/>.</summary>
    public static ClientPrivateKey Open(KeyProtection protection, ClientCredential credential, Guid storeId, Guid clientId)
    {
        using var key = DeriveKey(credential, protection.Salt, protection.Kdf);
        var pkcs8 = Aead.Open(key, protection.Envelope, Context(storeId, clientId, credential.Kind, protection.Salt, protection.Kdf), "The client's private key");
        try
        {
            return ClientPrivateKey.FromPkcs8(pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static AssociatedData Context(Guid storeId, Guid clientId, ClientKind kind, byte[] salt, Argon2Parameters? kdf) =>
        Contexts.ClientPrivateKey(storeId, clientId, kind, salt, kdf?.MemoryKiB ?? 0, kdf?.Iterations ?? 0, kdf?.Parallelism ?? 0);

    private static SymmetricKey DeriveKey(ClientCredential credential, byte[] salt, Argon2Parameters? kdf)
    {
        Span<byte> derived = stackalloc byte[SymmetricKey.Length];
        try
        {
            switch (credential)
            {
                case PassphraseCredential passphrase:
                    Argon2.DeriveBytes(kdf!, passphrase.Utf8, salt, derived);
                    break;
                case GeneratedSecretCredential generated:
                    HKDF.DeriveKey(HashAlgorithmName.SHA256, generated.Secret, derived, salt, "secretops/client-secret/v1"u8);
                    break;
                default:
                    throw new InvalidOperationException("Key-file clients have no stored private key.");
            }

            return SymmetricKey.FromBytes(derived);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
    }
}
