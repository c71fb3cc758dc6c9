namespace SecretOps;

/// <summary>The kinds of value a secret holds (SecretManagement's set).</summary>
public enum SecretValueType
{
    /// <summary>Text.</summary>
    String = 1,

    /// <summary>Text handed out as a SecureString in PowerShell.</summary>
    SecureString = 2,

    /// <summary>A user name and password.</summary>
    Credential = 3,

    /// <summary>Raw bytes.</summary>
    Bytes = 4,

    /// <summary>Named string, SecureString, credential or byte values; no nesting.</summary>
    Hashtable = 5,
}

/// <summary>What a client is allowed to administer.</summary>
public enum ClientRole
{
    /// <summary>The store's first client: may do everything; retire it once admins exist.</summary>
    System = 1,

    /// <summary>May create clients and namespaces.</summary>
    Admin = 2,

    /// <summary>Uses what it is granted.</summary>
    Member = 3,
}

/// <summary>Whether a client may connect.</summary>
public enum ClientStatus
{
    /// <summary>May connect.</summary>
    Active = 1,

    /// <summary>Refused at connect; reversible.</summary>
    Disabled = 2,

    /// <summary>Keys revoked; permanent.</summary>
    Retired = 3,
}

/// <summary>How a client proves who it is.</summary>
public enum ClientKind
{
    /// <summary>A passphrase, stretched with Argon2id.</summary>
    Passphrase = 1,

    /// <summary>A generated 64-byte secret, shown once (for automation).</summary>
    Generated = 2,

    /// <summary>A private key file only the client holds; the store keeps only its public key.</summary>
    KeyFile = 3,
}

/// <summary>What a client may do on a namespace or a secret.</summary>
[Flags]
public enum Permissions
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Read values.</summary>
    Read = 1,

    /// <summary>Write new versions (and create secrets, on a namespace).</summary>
    Write = 2,

    /// <summary>Remove versions and secrets.</summary>
    Delete = 4,

    /// <summary>Grant and revoke, within the scope, the flags one holds.</summary>
    Permit = 8,

    /// <summary>All four.</summary>
    All = Read | Write | Delete | Permit,
}

/// <summary>Which surface a session acts through; recorded in the audit log.</summary>
public enum Surface
{
    /// <summary>Called as a library.</summary>
    Api,

    /// <summary>The secretops command-line tool.</summary>
    Cli,

    /// <summary>A SecretOps cmdlet.</summary>
    Cmdlet,

    /// <summary>The SecretManagement vault extension.</summary>
    Vault,
}

/// <summary>One secret as listed: never its value.</summary>
public sealed record SecretEntry(
    string Namespace,
    string Name,
    SecretValueType Type,
    int Version,
    DateTimeOffset Created,
    string CreatedBy,
    DateTimeOffset Updated,
    string UpdatedBy,
    DateTimeOffset? ExpiresAt,
    bool IsExpired,
    IReadOnlyDictionary<string, object> Metadata,
    bool IsEnvironmentOverride);

/// <summary>One stored version of a secret: never its value.</summary>
public sealed record SecretVersionInfo(
    string Namespace,
    string Name,
    int Version,
    SecretValueType Type,
    DateTimeOffset Created,
    string CreatedBy,
    bool IsCurrent);

/// <summary>A namespace and its settings.</summary>
public sealed record NamespaceInfo(
    string Name,
    string? Description,
    int? MaxVersions,
    int SecretCount,
    int KeyGeneration,
    DateTimeOffset Created,
    string CreatedBy);

/// <summary>One audit log entry. It never holds a value, key or passphrase.</summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset Time,
    Guid? ClientId,
    string ClientName,
    string Action,
    string? Namespace,
    string? Target,
    int? Version,
    string Outcome,
    string? ErrorId,
    string Host,
    string OsUser,
    int ProcessId,
    string Surface);

/// <summary>The result of verifying the audit chain.</summary>
public sealed record AuditVerification(bool IsValid, long EntriesChecked, long? FirstBrokenSequence, string? Problem)
{
    /// <summary>Entries no client signed (failed connects, backups and restores by the operating-system user, format-1 entries).</summary>
    public long UnsignedEntries { get; init; }
}

/// <summary>A store's identity, format and size.</summary>
public sealed record StoreInfo(
    string Path,
    Guid StoreId,
    int FormatVersion,
    DateTimeOffset Created,
    string JournalMode,
    bool IsShared,
    bool IsReadOnly,
    bool AllowsWeakKdf,
    int Namespaces,
    int Secrets,
    int Clients,
    long AuditEntries);

/// <summary>The result of checking a store.</summary>
public sealed record StoreCheckResult(
    string IntegrityCheck,
    int KeysChecked,
    IReadOnlyList<string> KeyProblems,
    AuditVerification Audit)
{
    /// <summary>True when SQLite, every reachable key and the audit chain are sound.</summary>
    public bool IsHealthy => IntegrityCheck == "ok" && KeyProblems.Count == 0 && Audit.IsValid;
}

/// <summary>What creating a store produced. <see cref="ClientSecret"/> is shown once and never stored.</summary>
public sealed record StoreCreated(string Path, Guid StoreId, Guid ClientId, string ClientName, string? ClientSecret);

/// <summary>What an upgrade from format 1 signed: what the baseline holds, and the control log's length after it.</summary>
public sealed record StoreUpgradeResult(int Clients, int Namespaces, int Secrets, int Versions, int Grants, long ControlEntries);
