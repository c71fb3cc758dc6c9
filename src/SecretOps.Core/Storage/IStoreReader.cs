using SecretOps.Core.Clients;

namespace SecretOps.Core.Storage;

/// <summary>
/// The lookups a command makes before it decides, all in one consistent snapshot of the store. A reader sees the
/// store as it was when the command began: what the command puts in its <see cref="WriteBatch"/> is not visible to
/// it, so a command decides from what it read, never from what it is about to write.
/// </summary>
/// <remarks>
/// Rows come back as read: a reader converts, it does not vouch. A value it cannot convert (a wrong type, an
/// impossible time) is reported as a damaged store; anything else is for the caller to verify.
/// </remarks>
internal interface IStoreReader
{
    /// <summary>The store's header; null when the store has none (a damaged file).</summary>
    StoreHeader? Header();

    /// <summary>Counts of namespaces, secrets, clients and audit entries.</summary>
    StoreStatistics Statistics();

    /// <summary>The storage engine's own consistency check: "ok", or what it found.</summary>
    string IntegrityCheck();

    /// <summary>A client by id (any UUID form) or by name, ignoring case; null when there is none.</summary>
    ClientRecord? FindClient(string idOrName);

    /// <summary>A client's status; null when there is no such client.</summary>
    ClientStatus? ClientStatus(Guid clientId);

    /// <summary>A client's name; null when there is no such client.</summary>
    string? ClientName(Guid clientId);

    /// <summary>Every client, by name.</summary>
    IReadOnlyList<ClientRecord> Clients();

    /// <summary>Whether an active client with one of <paramref name="roles"/> exists, other than <paramref name="except"/>.</summary>
    bool AnyActiveClient(IReadOnlyCollection<ClientRole> roles, Guid? except);

    /// <summary>A namespace by name, ignoring case; null when there is none.</summary>
    NamespaceRecord? FindNamespace(string name);

    /// <summary>A namespace by id; null when there is none.</summary>
    NamespaceRecord? GetNamespace(Guid id);

    /// <summary>Every namespace, by name.</summary>
    IReadOnlyList<NamespaceRecord> Namespaces();

    /// <summary>How many secrets a namespace holds.</summary>
    int CountSecrets(Guid namespaceId);

    /// <summary>
    /// The lookup every single-secret command starts with: the client's status, the namespace (null result when it
    /// does not exist), the secret by name key, the flags the client holds on either, and the row of
    /// <paramref name="version"/> (the current one when null).
    /// </summary>
    SecretLookup? LookUpSecret(Guid clientId, string ns, string nameKey, int? version);

    /// <summary>A secret's name and the row of one of its versions, with the control log's head, in one statement; null when the secret has no row.</summary>
    VersionAtHead? VersionAtHead(Guid secretId, int version);

    /// <summary>A secret by its name key in a namespace; null when there is none.</summary>
    SecretRecord? FindSecret(Guid namespaceId, string nameKey);

    /// <summary>A secret by id; null when there is none.</summary>
    SecretRecord? GetSecret(Guid id);

    /// <summary>
    /// The secrets of a namespace, by name: all of them, the one with <paramref name="nameKey"/>, or those whose name key
    /// starts with <paramref name="nameKeyPrefix"/>.
    /// </summary>
    IReadOnlyList<SecretRecord> Secrets(Guid namespaceId, string? nameKey = null, string? nameKeyPrefix = null);

    /// <summary>The secrets <see cref="Secrets"/> would return, in the same order, with only the columns a listing checks.</summary>
    IReadOnlyList<ListedSecret> ListedSecrets(Guid namespaceId, string? nameKey = null, string? nameKeyPrefix = null);

    /// <summary>Each secret of a namespace with its current key generation (what a rotation needs, nothing more).</summary>
    IReadOnlyList<(Guid SecretId, int KeyGeneration)> SecretKeyGenerations(Guid namespaceId);

    /// <summary>One version of a secret; null when there is none.</summary>
    VersionRow? Version(Guid secretId, int version);

    /// <summary>Every stored version of a secret, oldest first.</summary>
    IReadOnlyList<VersionSummary> Versions(Guid secretId);

    /// <summary>The flags a client holds directly on one scope.</summary>
    Permissions Flags(Guid clientId, ScopeKind kind, Guid scopeId);

    /// <summary>The flags a client holds on a namespace and, when given, on a secret in it.</summary>
    Permissions EffectiveFlags(Guid clientId, Guid namespaceId, Guid? secretId);

    /// <summary>A client's grants on the secrets of a namespace.</summary>
    IReadOnlyList<(Guid SecretId, Permissions Flags)> SecretGrantsIn(Guid clientId, Guid namespaceId);

    /// <summary>Grants, filtered by client, namespace and (with the namespace) secret; by namespace, scope, secret, client.</summary>
    IReadOnlyList<PermissionRow> Permissions(Guid? clientId, Guid? namespaceId, Guid? secretId);

    /// <summary>A client's stanza for one key generation; null when it has none.</summary>
    Crypto.Stanza? Stanza(Guid clientId, KeyScope scope);

    /// <summary>Every key generation a client holds a stanza for.</summary>
    IReadOnlyList<KeyScope> StanzasOf(Guid clientId);

    /// <summary>Whether a client holds a stanza for any generation of a scope.</summary>
    bool HasStanza(Guid clientId, ScopeKind kind, Guid scopeId);

    /// <summary>Whether a client holds a stanza for any secret in a namespace.</summary>
    bool HasSecretStanzasIn(Guid clientId, Guid namespaceId);

    /// <summary>Whether an active client other than <paramref name="excluded"/> holds a stanza for a scope.</summary>
    bool HasOtherActiveHolder(ScopeKind kind, Guid scopeId, Guid excluded);

    /// <summary>
    /// The clients a new generation of a scope's key goes to: not retired, not <paramref name="excluded"/>, holding Read
    /// or Write on the scope AND a stanza for <paramref name="generation"/>.
    /// </summary>
    IReadOnlyList<Guid> Recipients(ScopeKind kind, Guid scopeId, int generation, Guid? excluded);

    /// <summary>The recipients (as <see cref="Recipients"/>) of every secret's current key generation in a namespace.</summary>
    IReadOnlyDictionary<(Guid SecretId, int Generation), IReadOnlyList<Guid>> SecretRecipientsIn(Guid namespaceId, Guid? excluded);

    /// <summary>
    /// The first stanza, by client name, for a namespace and its secrets (or one secret) held by a client with no Read or
    /// Write grant there or by a retired client, ignoring <paramref name="excluded"/>; null when there is none.
    /// </summary>
    UngrantedStanza? FirstUngrantedStanza(Guid namespaceId, Guid? secretId, Guid? excluded);

    /// <summary>A secret key generation as wrapped under its namespace key; null when there is none.</summary>
    WrappedSecretKey? WrappedSecretKey(Guid secretId, int generation);

    /// <summary>Whether a namespace has a key generation.</summary>
    bool NamespaceKeyExists(Guid namespaceId, int generation);

    /// <summary>The canaries of the namespace key generations a client holds, by namespace name and generation.</summary>
    IReadOnlyList<NamespaceCanary> CanariesHeldBy(Guid clientId);

    /// <summary>The control log's last sequence; 0 when it has no entry.</summary>
    long ControlHead();

    /// <summary>The control log entries after <paramref name="sequence"/>, oldest first, each as (row sequence, encoding).</summary>
    IEnumerable<(long Sequence, byte[] Entry)> ControlEntries(long sequence);

    /// <summary>A client's signing key stanza; null when it has none.</summary>
    Crypto.Stanza? SigningKey(Guid clientId);

    /// <summary>The newest audit entry's sequence and hash; null when the log is empty.</summary>
    AuditLink? LastAuditEntry();

    /// <summary>Audit entries matching <paramref name="query"/>, oldest first.</summary>
    IReadOnlyList<AuditEntry> AuditEntries(Audit.AuditQuery query);

    /// <summary>The whole audit log with its links, in sequence order.</summary>
    IEnumerable<ChainedAuditEntry> AuditChain();
}
