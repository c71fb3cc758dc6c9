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
/// What a client's key envelope is bound to: the store's identity (the control log's genesis hash) in format 2, the
/// store id alone in format 1 (<see cref="Identity"/> null).
/// </summary>
internal sealed record KeyBinding(Guid StoreId, byte[]? Identity);

/// <summary>
/// Seals a client's private key under a key derived from its credential, and opens it again: Argon2id
/// for passphrases, HKDF-SHA256 for generated secrets. The KDF parameters are bound into the envelope.
/// </summary>
internal static class ClientKeyProtection
{
    public const int SaltLength = 16;

    public static KeyProtection Seal(ClientPrivateKey privateKey, ClientCredential credential, Argon2Parameters kdf, KeyBinding binding, Guid clientId)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        var parameters = credential.Kind == ClientKind.Passphrase ? kdf : null;
        using var key = DeriveKey(credential, salt, parameters);
        var pkcs8 = privateKey.ExportPkcs8();
        try
        {
            var envelope = Aead.Seal(key, pkcs8, Context(binding, clientId, credential.Kind, salt, parameters));
            return new KeyProtection(salt, parameters, envelope);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Opens the private key; a wrong credential (or a tampered row) throws <see cref="TamperedException"/>.</summary>
    public static ClientPrivateKey Open(KeyProtection protection, ClientCredential credential, KeyBinding binding, Guid clientId)
    {
        using var key = DeriveKey(credential, protection.Salt, protection.Kdf);
        var pkcs8 = Aead.Open(key, protection.Envelope, Context(binding, clientId, credential.Kind, protection.Salt, protection.Kdf), "The client's private key");
        try
        {
            return ClientPrivateKey.FromPkcs8(pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static AssociatedData Context(KeyBinding binding, Guid clientId, ClientKind kind, byte[] salt, Argon2Parameters? kdf) => binding.Identity is { } identity
        ? Contexts.ClientPrivateKey(identity, clientId, kind, salt, kdf?.MemoryKiB ?? 0, kdf?.Iterations ?? 0, kdf?.Parallelism ?? 0)
        : Contexts.ClientPrivateKey(binding.StoreId, clientId, kind, salt, kdf?.MemoryKiB ?? 0, kdf?.Iterations ?? 0, kdf?.Parallelism ?? 0);

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
