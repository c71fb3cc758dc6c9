using SecretOps.Core.Crypto;

namespace SecretOps.Core.Control;

/// <summary>
/// A client's signing key as a store keeps it: a 32-byte seed (<see cref="ClientSigningKey.FromSeed"/>) in a stanza
/// wrapped to the client's own encryption key, so only the holder of that key opens it. The seed is not trusted for what
/// it is: the key it gives must be the one the control log names for the client, or it is refused as altered.
/// </summary>
internal static class SigningKeyStanza
{
    /// <summary>A new signing key for a client, with its seed wrapped to <paramref name="recipient"/>.</summary>
    public static (ClientSigningKey Key, Stanza Stanza) Create(Guid storeId, Guid clientId, ClientPublicKey recipient)
    {
        using var seed = SymmetricKey.Generate();
        return (ClientSigningKey.FromSeed(seed.Bytes), Stanza.Wrap(seed, clientId, recipient, Context(storeId, clientId)));
    }

    /// <summary>Opens a client's signing key and checks it is the one <paramref name="expected"/> names.</summary>
    public static ClientSigningKey Open(Stanza stanza, ClientPrivateKey privateKey, Guid storeId, Guid clientId, ClientVerifyingKey expected, string client)
    {
        using var seed = stanza.Unwrap(privateKey, Context(storeId, clientId));
        var key = ClientSigningKey.FromSeed(seed.Bytes);
        if (!key.VerifyingKey.SameKeyAs(expected))
        {
            key.Dispose();
            throw new TamperedException($"The signing key of client '{client}'",
                $"The signing key stored for client '{client}' is not the one the control log names for it: the store was altered.");
        }

        return key;
    }

    private static AssociatedData Context(Guid storeId, Guid clientId) => new AssociatedData("secretops/signing-seed/v1").Add(storeId).Add(clientId);
}
