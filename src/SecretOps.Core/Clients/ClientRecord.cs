using SecretOps.Core.Crypto;

namespace SecretOps.Core.Clients;

/// <summary>A client as stored: its identity, role and status, its public key and how its private key is protected.</summary>
internal sealed record ClientRecord(
    Guid Id,
    string Name,
    string? Description,
    ClientKind Kind,
    ClientRole Role,
    ClientStatus Status,
    ClientPublicKey PublicKey,
    KeyProtection? Protection,
    DateTimeOffset Created,
    DateTimeOffset? LastUsed);
