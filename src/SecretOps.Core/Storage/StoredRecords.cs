using SecretOps.Core.Crypto;

namespace SecretOps.Core.Storage;

/// <summary>What a key is for: a namespace's key or one secret's key.</summary>
internal enum ScopeKind
{
    Namespace = 1,
    Secret = 2,
}

/// <summary>The store's header: its identity and the KDF defaults new passphrases are sealed with.</summary>
internal sealed record StoreHeader(Guid StoreId, DateTimeOffset Created, bool AllowWeakKdf, Argon2Parameters Kdf);

/// <summary>A namespace as stored.</summary>
internal sealed record NamespaceRecord(Guid Id, string Name, string? Description, int KeyGeneration, int? MaxVersions, DateTimeOffset Created, Guid CreatedBy);

/// <summary>A secret as stored, with the names of the clients that created and last updated it.</summary>
internal sealed record SecretRecord(
    Guid Id, Guid NamespaceId, string Name, SecretValueType Type, int CurrentVersion, int KeyGeneration, string? Metadata,
    DateTimeOffset? ExpiresAt, DateTimeOffset Created, string CreatedBy, DateTimeOffset Updated, string UpdatedBy);

/// <summary>
/// A secret as a listing reads it: the columns the control log vouches for, without the creation and update columns
/// (the log has those too) or the client names they need joined in.
/// </summary>
internal readonly record struct ListedSecret(
    Guid Id, Guid NamespaceId, string Name, SecretValueType Type, int CurrentVersion, int KeyGeneration, string? Metadata, DateTimeOffset? ExpiresAt);

/// <summary>A stored version: its number, the secret key generation that opens it and the sealed value.</summary>
internal sealed record VersionRow(int Number, int KeyGeneration, SecretValueType Type, SealedData Value);

/// <summary>A version as history lists it (never its value).</summary>
internal sealed record VersionSummary(int Number, SecretValueType Type, DateTimeOffset Created, Guid CreatedBy);

/// <summary>
/// What a secret lookup found: the connected client's status, the namespace, the secret (null when it does not
/// exist), the flags the client holds on either, and the wanted version (null when there is none).
/// </summary>
internal sealed record SecretLookup(ClientStatus? Status, NamespaceRecord Namespace, SecretRecord? Secret, Permissions Held, VersionRow? Version)
{
    /// <summary>The control log's last sequence in the same snapshot (0 when it has none).</summary>
    public long ControlHead { get; init; }
}

/// <summary>
/// One secret's display name and one of its versions (null when its row is missing), with the control log's last sequence,
/// all from one snapshot: what a warm read needs besides the verified state.
/// </summary>
internal sealed record VersionAtHead(long ControlHead, string SecretName, VersionRow? Version);

/// <summary>A grant as listed: client, scope (with its namespace), flags, and who granted it when.</summary>
internal sealed record PermissionRow(string Client, Guid ClientId, ScopeKind Kind, Guid NamespaceId, string Namespace, string? Secret, Permissions Flags, string GrantedBy, DateTimeOffset GrantedAt);

/// <summary>One key generation of one scope: what a stanza wraps.</summary>
internal readonly record struct KeyScope(ScopeKind Kind, Guid ScopeId, int Generation);

/// <summary>A secret key generation wrapped under a namespace key generation.</summary>
internal sealed record WrappedSecretKey(int NamespaceGeneration, SealedData Wrapped);

/// <summary>A namespace key generation's canary, for a generation the client holds a stanza for.</summary>
internal sealed record NamespaceCanary(Guid NamespaceId, string Namespace, int Generation, SealedData Canary);

/// <summary>A stanza held by a client with no Read or Write grant on its scope, or by a retired client.</summary>
internal sealed record UngrantedStanza(string Client, ScopeKind Kind, string? Secret);

/// <summary>The end of the audit chain: the next entry links to it.</summary>
internal sealed record AuditLink(long Sequence, byte[] Hash);

/// <summary>An audit entry with the links that chain it and its author's signature over its hash (null in format 1).</summary>
internal sealed record ChainedAuditEntry(AuditEntry Entry, byte[] PreviousHash, byte[] Hash, byte[]? Signature);

/// <summary>Counts and storage facts for <see cref="SecretStore.GetInfo"/>.</summary>
internal sealed record StoreStatistics(int Namespaces, int Secrets, int Clients, long AuditEntries, string JournalMode);
