namespace SecretOps;

/// <summary>A client as listed: never a credential or a private key.</summary>
public sealed record ClientInfo(
    Guid Id,
    string Name,
    string? Description,
    ClientKind Kind,
    ClientRole Role,
    ClientStatus Status,
    string KeyAlgorithm,
    string Fingerprint,
    DateTimeOffset Created,
    DateTimeOffset? LastUsed)
{
    /// <summary>The client's name, so a client object passed where a name is expected means that client.</summary>
    public override string ToString() => Name;
}

/// <summary>What creating a client produced. <see cref="ClientSecret"/> (generated clients only) is shown once and never stored.</summary>
public sealed record ClientCreated(ClientInfo Client, string? ClientSecret);

/// <summary>Whether a permission is held on a namespace or on one secret.</summary>
public enum ScopeType
{
    /// <summary>A whole namespace: every secret in it, present and future.</summary>
    Namespace = 1,

    /// <summary>One secret.</summary>
    Secret = 2,
}

/// <summary>
/// One permission: <see cref="Client"/> holds <see cref="Permissions"/> on a namespace or a secret.
/// When listing who can reach a secret, <see cref="Scope"/> says whether it is held directly on the
/// secret or through its namespace.
/// </summary>
public sealed record PermissionInfo(
    string Client,
    Guid ClientId,
    ScopeType Scope,
    string Namespace,
    string? Secret,
    Permissions Permissions,
    string GrantedBy,
    DateTimeOffset GrantedAt);

/// <summary>Progress of a key rotation: how many secret keys of how many are re-wrapped.</summary>
public readonly record struct RotationProgress(string Scope, int Done, int Total);

/// <summary>What a revocation or rotation did.</summary>
public sealed record RotationResult(string Scope, int NewGeneration, int SecretKeysRotated, int Recipients);
