using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Storage;

/// <summary>
/// The changes one command makes, as plain data, in order: a unit of work. A command reads, decides (with crypto),
/// and fills a batch; the backend applies it atomically with its preconditions, or applies none of it. Nothing in a
/// batch is a delegate, so a batch can cross a process boundary.
/// </summary>
internal sealed class WriteBatch
{
    private readonly List<StoreChange> changes = new();

    /// <summary>The changes, in the order they are applied.</summary>
    public IReadOnlyList<StoreChange> Changes => changes;

    public void Add(StoreChange change) => changes.Add(change);
}

/// <summary>One change in a <see cref="WriteBatch"/>. Each says what it expects to find, where that matters.</summary>
internal abstract record StoreChange;

/// <summary>Writes the header of a new store.</summary>
internal sealed record InsertStoreHeader(StoreHeader Header) : StoreChange;

/// <summary>Adds a client.</summary>
internal sealed record InsertClient(ClientRecord Client, Guid? CreatedBy) : StoreChange;

/// <summary>Renames a client, changes its description or role.</summary>
internal sealed record UpdateClient(Guid ClientId, string Name, string? Description, ClientRole Role) : StoreChange;

/// <summary>Disables, enables or retires a client.</summary>
internal sealed record SetClientStatus(Guid ClientId, ClientStatus Status) : StoreChange;

/// <summary>Gives a client a new key pair and credential protection.</summary>
internal sealed record ReplaceClientKey(Guid ClientId, ClientKind Kind, ClientPublicKey PublicKey, KeyProtection? Protection) : StoreChange;

/// <summary>Records when a client was last used.</summary>
internal sealed record NoteClientUse(Guid ClientId, DateTimeOffset At) : StoreChange;

/// <summary>Adds a namespace.</summary>
internal sealed record InsertNamespace(NamespaceRecord Namespace) : StoreChange;

/// <summary>Changes a namespace's description and retention.</summary>
internal sealed record UpdateNamespace(Guid NamespaceId, string? Description, int? MaxVersions) : StoreChange;

/// <summary>Moves a namespace to a new key generation; expects it at <paramref name="Expected"/>.</summary>
internal sealed record SetNamespaceKeyGeneration(Guid NamespaceId, int Expected, int Generation) : StoreChange;

/// <summary>Removes a namespace with its secrets, keys, stanzas and grants.</summary>
internal sealed record RemoveNamespace(Guid NamespaceId) : StoreChange;

/// <summary>Adds a namespace key generation, with its canary.</summary>
internal sealed record InsertNamespaceKey(Guid NamespaceId, int Generation, SealedData Canary, DateTimeOffset Created) : StoreChange;

/// <summary>Adds a secret (its first version follows as <see cref="InsertVersion"/>).</summary>
internal sealed record InsertSecret(SecretRecord Secret, Guid CreatedBy) : StoreChange;

/// <summary>
/// Rewrites a secret's type, current version, metadata, expiry and last update; expects it at version
/// <paramref name="ExpectedVersion"/>, so a concurrent change is a conflict, never lost.
/// </summary>
internal sealed record UpdateSecret(SecretRecord Secret, int ExpectedVersion, Guid UpdatedBy) : StoreChange;

/// <summary>Moves every secret of a namespace to its next key generation; expects <paramref name="SecretCount"/> secrets.</summary>
internal sealed record AdvanceSecretKeyGenerations(Guid NamespaceId, int SecretCount) : StoreChange;

/// <summary>Moves one secret to a new key generation; expects it at <paramref name="Expected"/>.</summary>
internal sealed record SetSecretKeyGeneration(Guid SecretId, int Expected, int Generation) : StoreChange;

/// <summary>Removes a secret with every version, key, stanza and grant.</summary>
internal sealed record RemoveSecret(Guid SecretId) : StoreChange;

/// <summary>Adds a secret key generation wrapped under a namespace key generation.</summary>
internal sealed record InsertSecretKey(Guid SecretId, int Generation, int NamespaceGeneration, SealedData Wrapped) : StoreChange;

/// <summary>Adds a version of a secret.</summary>
internal sealed record InsertVersion(Guid SecretId, VersionRow Version, DateTimeOffset Created, Guid CreatedBy) : StoreChange;

/// <summary>Removes one version, which must exist.</summary>
internal sealed record RemoveVersion(Guid SecretId, int Version) : StoreChange;

/// <summary>Removes a secret's versions up to and including <paramref name="UpTo"/> (retention).</summary>
internal sealed record PruneVersions(Guid SecretId, int UpTo) : StoreChange;

/// <summary>Keeps at most <paramref name="Keep"/> newest versions of every secret in a namespace.</summary>
internal sealed record PruneVersionsIn(Guid NamespaceId, int Keep) : StoreChange;

/// <summary>Adds or replaces a client's stanza for one key generation.</summary>
internal sealed record PutStanza(KeyScope Scope, Stanza Stanza) : StoreChange;

/// <summary>
/// Removes a client's stanzas: all of them, or those of one scope. Security depends on it, so the backend confirms
/// every one went and none is left.
/// </summary>
internal sealed record RemoveStanzas(Guid ClientId, ScopeKind? Kind = null, Guid? ScopeId = null) : StoreChange;

/// <summary>Removes a client's stanzas for the secrets of a namespace (confirmed as <see cref="RemoveStanzas"/>).</summary>
internal sealed record RemoveSecretStanzasIn(Guid ClientId, Guid NamespaceId) : StoreChange;

/// <summary>Writes a client's flags on a scope.</summary>
internal sealed record PutPermission(Guid ClientId, ScopeKind Kind, Guid ScopeId, Permissions Flags, Guid GrantedBy, DateTimeOffset GrantedAt) : StoreChange;

/// <summary>Removes a client's grant on a scope.</summary>
internal sealed record RemovePermission(Guid ClientId, ScopeKind Kind, Guid ScopeId) : StoreChange;

/// <summary>Removes every grant a client holds.</summary>
internal sealed record RemovePermissionsOf(Guid ClientId) : StoreChange;

/// <summary>Appends a signed control log entry (its encoding); <paramref name="Sequence"/> must be the log's next.</summary>
internal sealed record AppendControl(long Sequence, byte[] Entry) : StoreChange;

/// <summary>Stores a client's signing key seed, wrapped in a stanza to its own encryption key (replacing any before).</summary>
internal sealed record PutSigningKey(Stanza Stanza) : StoreChange;

/// <summary>Appends chained audit entries; the first must link to the log's current end.</summary>
internal sealed record AppendAudit(IReadOnlyList<ChainedAuditEntry> Entries) : StoreChange;
