using System.Text;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Audit;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

/// <summary>A row of the secrets table, with the names of the clients that created and last updated it.</summary>
internal sealed record SecretRecord(
    Guid Id, Guid NamespaceId, string Name, SecretValueType Type, int CurrentVersion, int KeyGeneration, string? Metadata,
    DateTimeOffset? ExpiresAt, DateTimeOffset Created, string CreatedBy, DateTimeOffset Updated, string UpdatedBy);

/// <summary>A row of the versions table: the version, what opens it and the sealed value.</summary>
internal sealed record VersionRow(int Number, int KeyGeneration, SecretValueType Type, SealedData Value);

/// <summary>
/// What a secret lookup found: the connected client's status, the namespace, the secret (null when it does not
/// exist), the flags the client holds on either, and the wanted version's row (null when there is none).
/// </summary>
internal sealed record SecretLookup(ClientStatus? Status, NamespaceRecord Namespace, SecretRecord? Secret, Permissions Held, VersionRow? Version);

/// <summary>A value read from the store, with the entry it belongs to. Dispose it to wipe the value.</summary>
public sealed record SecretReadResult(SecretEntry Entry, int Version, SecretValue Value) : IDisposable
{
    /// <summary>Wipes the value.</summary>
    public void Dispose() => Value.Dispose();
}

public sealed partial class Session
{
    /// <summary>Prefix of the environment variables that override reads when a profile enables it.</summary>
    public const string OverridePrefix = "SECRETOPS_SECRET_";

    /// <summary>
    /// Stores <paramref name="value"/> as the secret's next version (creating the secret as version 1).
    /// Needs Write on the secret or its namespace; creating needs Write on the namespace.
    /// </summary>
    public SecretEntry SetSecret(string ns, string name, SecretValue value, SetSecretOptions? setOptions = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        setOptions ??= new SetSecretOptions();
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        if (setOptions.TimeToLive is { } ttl)
        {
            TimeToLive.Validate(ttl);
        }

        if (setOptions.ExpectedVersion is < 0)
        {
            throw new InvalidParameterException("expected-version", "The expected version cannot be negative.");
        }

        var metadata = setOptions.Metadata is null ? null : SecretMetadata.Validate(setOptions.Metadata);
        return Change(AuditActions.SecretSet, ns, name, (connection, transaction) =>
        {
            var (namespaceRecord, existing, held) = LookUpSecret(connection, transaction, ns, name);
            var now = DateTimeOffset.UtcNow;
            var expiresAt = setOptions.TimeToLive is { } t ? now + t : (DateTimeOffset?)null;
            if (setOptions.ExpectedVersion is { } expected && expected != (existing?.CurrentVersion ?? 0))
            {
                throw new ConflictException(existing is null
                    ? $"Secret '{name}' does not exist, but version {expected} was expected."
                    : $"Secret '{existing.Name}' is at version {existing.CurrentVersion}, not the expected {expected}.", name);
            }

            SecretRecord record;
            if (existing is null)
            {
                // Creating needs Write on the namespace itself: no secret grant exists yet.
                Require(held, Permissions.Write, $"namespace '{namespaceRecord.Name}'");
                record = CreateSecretRow(connection, transaction, namespaceRecord, name, value.Type, metadata, expiresAt, now);
            }
            else
            {
                Require(held, Permissions.Write, $"secret '{existing.Name}'");
                record = existing with
                {
                    Type = value.Type, CurrentVersion = existing.CurrentVersion + 1, ExpiresAt = expiresAt, Updated = now, UpdatedBy = ClientName,
                    Metadata = metadata is null ? existing.Metadata : SecretMetadata.Serialize(metadata),
                };
                StoreDatabase.Execute(connection, transaction,
                    "UPDATE secrets SET value_type = $type, current_version = $version, metadata = $metadata, expires_at = $expires, updated_at = $now, updated_by = $by WHERE id = $id",
                    ("$type", (int)record.Type), ("$version", record.CurrentVersion), ("$metadata", record.Metadata), ("$expires", record.ExpiresAt?.ToUnixMilliseconds()),
                    ("$now", now.ToUnixMilliseconds()), ("$by", ClientId.ToBlob()), ("$id", record.Id.ToBlob()));
            }

            WriteVersion(connection, transaction, namespaceRecord, record, value.Serialized, now);
            ApplyRetention(connection, transaction, namespaceRecord, record);
            return (ToEntry(namespaceRecord, record), (int?)record.CurrentVersion);
        });
    }

    /// <summary>
    /// Reads the current value (or <paramref name="version"/>). An expired secret throws
    /// <see cref="ExpiredException"/>, a missing one <see cref="NotFoundException"/>; anything altered in the
    /// store throws <see cref="TamperedException"/>, never a wrong value.
    /// </summary>
    public SecretReadResult GetSecret(string ns, string name, int? version = null)
    {
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        if (version is < 1)
        {
            throw new InvalidParameterException("version", "Versions start at 1.");
        }

        if (options.EnvironmentOverrides && version is null && Environment.GetEnvironmentVariable(OverrideVariable(ns, name)) is { } overridden)
        {
            Touch();
            RecordRead(Audit(AuditActions.SecretGet, ns, name, null, AuditRecord.Override));
            var now = DateTimeOffset.UtcNow;
            var entry = new SecretEntry(ns, name, SecretValueType.String, 0, now, "environment", now, "environment", null, false, new Dictionary<string, object>(), true);
            return new SecretReadResult(entry, 0, SecretValue.FromString(overridden));
        }

        return Query(AuditActions.SecretGet, ns, name, (connection, transaction) =>
        {
            var (namespaceRecord, record) = RequireSecret(connection, transaction, ns, name, Permissions.Read);
            if (version is null && IsExpired(record))
            {
                throw new ExpiredException($"Secret '{record.Name}' expired at {record.ExpiresAt:u}.", record.Name);
            }

            var wanted = version ?? record.CurrentVersion;
            var value = ReadVersion(connection, transaction, namespaceRecord, record, wanted);
            return (new SecretReadResult(ToEntry(namespaceRecord, record), wanted, value), (int?)wanted, AuditRecord.Ok);
        }, warm: connection => TryWarmRead(connection, ns, name, version));
    }

    /// <summary>
    /// A read this session can answer from one statement (its own snapshot, so no transaction): the client active,
    /// the secret readable and not expired, its version's key already unwrapped. Null for anything else, which
    /// the full read then handles, with its errors.
    /// </summary>
    private (SecretReadResult Result, int? Version)? TryWarmRead(SqliteConnection connection, string ns, string name, int? version)
    {
        var found = TryLookUpSecret(connection, null, ns, name, version);
        if (found is not { Status: ClientStatus.Active, Secret: { } record, Version: { } row }
            || (found.Held & Permissions.Read) == 0 || (version is null && IsExpired(record))
            || CachedKeyOrNull(ScopeKind.Secret, record.Id, row.KeyGeneration) is not { } key)
        {
            return null;
        }

        var value = OpenVersion(key, found.Namespace, record, row);
        return (new SecretReadResult(ToEntry(found.Namespace, record), row.Number, value), row.Number);
    }

    /// <summary>Removes one version (not the current one), or the whole secret with every version.</summary>
    public void RemoveSecret(string ns, string name, int? version = null)
    {
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        Change(AuditActions.SecretRemove, ns, name, (connection, transaction) =>
        {
            var (_, record) = RequireSecret(connection, transaction, ns, name, Permissions.Delete);
            if (version is null)
            {
                StoreDatabase.Execute(connection, transaction,
                    """
                    DELETE FROM stanzas WHERE scope_kind = 2 AND scope_id = $id;
                    DELETE FROM permissions WHERE scope_kind = 2 AND scope_id = $id;
                    DELETE FROM secrets WHERE id = $id;
                    """,
                    ("$id", record.Id.ToBlob()));
                return (0, (int?)null);
            }

            if (version == record.CurrentVersion)
            {
                throw new ConflictException($"Version {version} is the current version of '{record.Name}'; restore another version first, or remove the whole secret.", record.Name);
            }

            using var command = StoreDatabase.Command(connection, transaction, "DELETE FROM versions WHERE secret_id = $id AND version = $version",
                ("$id", record.Id.ToBlob()), ("$version", version));
            if (command.ExecuteNonQuery() == 0)
            {
                throw new NotFoundException($"Secret '{record.Name}' has no version {version}.", record.Name);
            }

            return (0, version);
        });
    }

    /// <summary>
    /// The secrets in a namespace this client can reach, whose names match <paramref name="filter"/>
    /// (see <see cref="WildcardFilter"/>). Expired secrets are left out unless asked for.
    /// </summary>
    public IReadOnlyList<SecretEntry> ListSecrets(string ns, string? filter = null, bool includeExpired = false)
    {
        Names.ValidateNamespaceName(ns);
        var match = new WildcardFilter(filter);
        return Query(AuditActions.SecretList, ns, filter, (connection, transaction) =>
        {
            var namespaceRecord = RequireNamespace(connection, transaction, ns);
            var namespaceFlags = EffectivePermissions(connection, transaction, namespaceRecord.Id, null);
            var reachable = namespaceFlags != Permissions.None ? null : SecretsGrantedIn(connection, transaction, namespaceRecord.Id);
            if (reachable is { Count: 0 })
            {
                throw new AccessDeniedException($"Client '{ClientName}' has no access to namespace '{namespaceRecord.Name}'.", namespaceRecord.Name);
            }

            var entries = new List<SecretEntry>();
            // Narrow with the (namespace_id, name_key) index where the filter allows: a filter without wildcard
            // characters can only match one name literally; "prefix*" (completion) is a range of keys.
            var literal = filter is not null && filter.IndexOfAny(['*', '?', '[', '`']) < 0 ? filter : null;
            var prefix = literal is null ? match.LiteralPrefix : null;
            using var command = StoreDatabase.Command(connection, transaction,
                $"SELECT {SecretColumns} FROM secrets s WHERE namespace_id = $ns AND ($key IS NULL OR name_key = $key) AND ($low IS NULL OR (name_key >= $low AND name_key < $high)) ORDER BY name",
                ("$ns", namespaceRecord.Id.ToBlob()), ("$key", literal is null ? null : NameKey(literal)),
                ("$low", prefix is null ? null : NameKey(prefix)), ("$high", prefix is null ? null : NameKey(prefix) + char.ConvertFromUtf32(0x10FFFF)));
            using var reader = command.ExecuteReader();
            var records = new List<SecretRecord>();
            while (reader.Read())
            {
                records.Add(ReadSecret(reader));
            }

            foreach (var record in records)
            {
                if ((reachable is null || reachable.Contains(record.Id)) && match.IsMatch(record.Name) && (includeExpired || !IsExpired(record)))
                {
                    entries.Add(ToEntry(namespaceRecord, record));
                }
            }

            return ((IReadOnlyList<SecretEntry>)entries, (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>
    /// One secret's entry (never its value) by exact name, ignoring case; needs any permission on the secret
    /// or its namespace. Cheap: one row, for lookups before a change and for completion.
    /// </summary>
    public SecretEntry GetEntry(string ns, string name, bool includeExpired = true)
    {
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        return Query(AuditActions.SecretEntry, ns, name, (connection, transaction) =>
        {
            var (namespaceRecord, record, held) = LookUpSecret(connection, transaction, ns, name);
            if (record is null || (!includeExpired && IsExpired(record)))
            {
                throw new NotFoundException($"Secret '{name}' does not exist in namespace '{namespaceRecord.Name}'.", name);
            }

            if (held == Permissions.None)
            {
                throw new AccessDeniedException($"Client '{ClientName}' has no access to secret '{record.Name}'.", record.Name);
            }

            return (ToEntry(namespaceRecord, record), (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>Every stored version of a secret, oldest first.</summary>
    public IReadOnlyList<SecretVersionInfo> GetHistory(string ns, string name)
    {
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        return Query(AuditActions.SecretHistory, ns, name, (connection, transaction) =>
        {
            var (namespaceRecord, record) = RequireSecret(connection, transaction, ns, name, Permissions.Read);
            using var command = StoreDatabase.Command(connection, transaction,
                "SELECT version, value_type, created_at, created_by FROM versions WHERE secret_id = $id ORDER BY version", ("$id", record.Id.ToBlob()));
            using var reader = command.ExecuteReader();
            var rows = new List<(int Version, SecretValueType Type, DateTimeOffset Created, Guid By)>();
            while (reader.Read())
            {
                rows.Add((reader.GetInt32(0), (SecretValueType)reader.GetInt32(1), reader.GetTime(2), reader.GetUuid(3)));
            }

            var history = rows.Select(r => new SecretVersionInfo(namespaceRecord.Name, record.Name, r.Version, r.Type, r.Created,
                ClientNameOf(connection, transaction, r.By), r.Version == record.CurrentVersion)).ToList();
            return ((IReadOnlyList<SecretVersionInfo>)history, (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>Makes an old version's value the newest version (history is never rewritten).</summary>
    public SecretEntry RestoreVersion(string ns, string name, int version)
    {
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        if (version < 1)
        {
            throw new InvalidParameterException("version", "Versions start at 1.");
        }

        return Change(AuditActions.SecretRestore, ns, name, (connection, transaction) =>
        {
            var (namespaceRecord, record) = RequireSecret(connection, transaction, ns, name, Permissions.Read | Permissions.Write);
            using var old = ReadVersion(connection, transaction, namespaceRecord, record, version);
            var now = DateTimeOffset.UtcNow;
            var updated = record with { Type = old.Type, CurrentVersion = record.CurrentVersion + 1, Updated = now, UpdatedBy = ClientName };
            StoreDatabase.Execute(connection, transaction,
                "UPDATE secrets SET value_type = $type, current_version = $version, updated_at = $now, updated_by = $by WHERE id = $id",
                ("$type", (int)updated.Type), ("$version", updated.CurrentVersion), ("$now", now.ToUnixMilliseconds()), ("$by", ClientId.ToBlob()), ("$id", record.Id.ToBlob()));
            WriteVersion(connection, transaction, namespaceRecord, updated, old.Serialized, now);
            ApplyRetention(connection, transaction, namespaceRecord, updated);
            return (ToEntry(namespaceRecord, updated), (int?)updated.CurrentVersion);
        });
    }

    /// <summary>The environment variable that overrides a secret: SECRETOPS_SECRET_&lt;NS&gt;_&lt;NAME&gt;, upper-cased, other characters as '_'.</summary>
    public static string OverrideVariable(string ns, string name)
    {
        static string Part(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_'));
        return OverridePrefix + Part(ns) + "_" + Part(name);
    }

    private SecretRecord CreateSecretRow(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, string name, SecretValueType type,
                                         IReadOnlyDictionary<string, object>? metadata, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        var record = new SecretRecord(Guid.NewGuid(), ns.Id, name, type, 1, 1, metadata is null ? null : SecretMetadata.Serialize(metadata), expiresAt, now, ClientName, now, ClientName);
        StoreDatabase.Execute(connection, transaction,
            "INSERT INTO secrets VALUES ($id, $ns, $name, $type, 1, 1, $metadata, $expires, $now, $by, $now, $by, $key)",
            ("$id", record.Id.ToBlob()), ("$ns", ns.Id.ToBlob()), ("$name", name), ("$key", NameKey(name)), ("$type", (int)type), ("$metadata", record.Metadata),
            ("$expires", expiresAt?.ToUnixMilliseconds()), ("$now", now.ToUnixMilliseconds()), ("$by", ClientId.ToBlob()));

        // A fresh secret key, wrapped under the namespace's current key. The creator gets every permission on
        // the secret; it reaches the key through the namespace (a stanza of its own follows only if it loses that).
        using var secretKey = SymmetricKey.Generate();
        var namespaceKey = NamespaceKey(connection, transaction, ns.Id, ns.KeyGeneration, $"namespace '{ns.Name}'");
        WrapSecretKey(connection, transaction, ns.Id, record.Id, 1, secretKey, namespaceKey, ns.KeyGeneration);
        WritePermission(connection, transaction, ClientId, ScopeKind.Secret, record.Id, Permissions.All);
        return record;
    }

    private void WriteVersion(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, SecretRecord record, ReadOnlySpan<byte> serialized, DateTimeOffset now)
    {
        var key = SecretKey(connection, transaction, ns.Id, record.Id, record.KeyGeneration, $"secret '{record.Name}'");
        var sealedValue = Aead.Seal(key, serialized, Contexts.Value(StoreId, ns.Id, ns.Name, record.Id, record.Name, record.CurrentVersion, record.KeyGeneration, record.Type));
        StoreDatabase.Execute(connection, transaction, "INSERT INTO versions VALUES ($id, $version, $generation, $type, $nonce, $ciphertext, $now, $by)",
            ("$id", record.Id.ToBlob()), ("$version", record.CurrentVersion), ("$generation", record.KeyGeneration), ("$type", (int)record.Type),
            ("$nonce", sealedValue.Nonce), ("$ciphertext", sealedValue.Ciphertext), ("$now", now.ToUnixMilliseconds()), ("$by", ClientId.ToBlob()));
    }

    private SecretValue ReadVersion(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, SecretRecord record, int version)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            "SELECT version, key_generation, value_type, nonce, ciphertext FROM versions WHERE secret_id = $id AND version = $version",
            ("$id", record.Id.ToBlob()), ("$version", version));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new NotFoundException($"Secret '{record.Name}' has no version {version}.", record.Name);
        }

        var row = ReadVersionRow(reader, 0);
        return OpenVersion(SecretKey(connection, transaction, ns.Id, record.Id, row.KeyGeneration, $"secret '{record.Name}'"), ns, record, row);
    }

    /// <summary>Decrypts a version row with its secret key, checking everything its associated data binds.</summary>
    private SecretValue OpenVersion(SymmetricKey key, NamespaceRecord ns, SecretRecord record, VersionRow row)
    {
        var what = $"Secret '{record.Name}' version {row.Number}";
        if (!Enum.IsDefined(row.Type))
        {
            throw new TamperedException(what);
        }

        var plaintext = Aead.Open(key, row.Value, Contexts.Value(StoreId, ns.Id, ns.Name, record.Id, record.Name, row.Number, row.KeyGeneration, row.Type), what);
        return SecretValue.Deserialize(plaintext, row.Type);
    }

    private static VersionRow ReadVersionRow(SqliteDataReader reader, int first) => new(
        reader.GetInt32(first), reader.GetInt32(first + 1), (SecretValueType)reader.GetInt32(first + 2), new SealedData(reader.GetBlob(first + 3), reader.GetBlob(first + 4)));

    private static void ApplyRetention(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, SecretRecord record)
    {
        if (ns.MaxVersions is { } keep)
        {
            StoreDatabase.Execute(connection, transaction, "DELETE FROM versions WHERE secret_id = $id AND version <= $oldest",
                ("$id", record.Id.ToBlob()), ("$oldest", record.CurrentVersion - keep));
        }
    }

    private (NamespaceRecord Namespace, SecretRecord Secret) RequireSecret(SqliteConnection connection, StoreTransaction transaction, string ns, string name, Permissions needed)
    {
        var (namespaceRecord, record, held) = LookUpSecret(connection, transaction, ns, name);
        if (record is null)
        {
            throw new NotFoundException($"Secret '{name}' does not exist in namespace '{namespaceRecord.Name}'.", name);
        }

        Require(held, needed, $"secret '{record.Name}'");
        return (namespaceRecord, record);
    }

    /// <summary>
    /// The namespace (which must exist), the secret (null when it does not) and the flags this client holds on
    /// either, in one statement: the lookup every single-secret command starts with.
    /// </summary>
    private (NamespaceRecord Namespace, SecretRecord? Secret, Permissions Held) LookUpSecret(SqliteConnection connection, StoreTransaction transaction, string ns, string name)
    {
        var found = TryLookUpSecret(connection, transaction, ns, name, version: null) ?? throw new NotFoundException($"Namespace '{ns}' does not exist.", ns);
        return (found.Namespace, found.Secret, found.Held);
    }

    /// <summary>
    /// One statement: the connected client's status, the namespace (null result when it does not exist), the
    /// secret, the flags held on either, and the row of <paramref name="version"/> (the current one when null).
    /// </summary>
    private SecretLookup? TryLookUpSecret(SqliteConnection connection, StoreTransaction? transaction, string ns, string name, int? version)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            $"""
            SELECT n.*, {SecretColumns},
                   (SELECT flags FROM permissions WHERE client_id = $client AND scope_kind = 1 AND scope_id = n.id),
                   (SELECT flags FROM permissions WHERE client_id = $client AND scope_kind = 2 AND scope_id = s.id),
                   (SELECT status FROM clients WHERE id = $client),
                   v.version, v.key_generation, v.value_type, v.nonce, v.ciphertext
            FROM namespaces n LEFT JOIN secrets s ON s.namespace_id = n.id AND s.name_key = $key
                 LEFT JOIN versions v ON v.secret_id = s.id AND v.version = coalesce($version, s.current_version)
            WHERE n.name = $ns
            """,
            ("$client", ClientId.ToBlob()), ("$key", NameKey(name)), ("$ns", ns), ("$version", version));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        const int SecretFirst = 7, FlagsFirst = SecretFirst + 14, StatusColumn = FlagsFirst + 2, VersionFirst = StatusColumn + 1;
        var held = (Permissions)((reader.GetNullableInt32(FlagsFirst) ?? 0) | (reader.GetNullableInt32(FlagsFirst + 1) ?? 0));
        return new SecretLookup(
            (ClientStatus?)reader.GetNullableInt32(StatusColumn), ReadNamespace(reader), reader.IsDBNull(SecretFirst) ? null : ReadSecret(reader, SecretFirst), held,
            reader.IsDBNull(VersionFirst) ? null : ReadVersionRow(reader, VersionFirst));
    }

    private static SecretRecord? FindSecret(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId, string name)
    {
        using var command = StoreDatabase.Command(connection, transaction, $"SELECT {SecretColumns} FROM secrets s WHERE namespace_id = $ns AND name_key = $key",
            ("$ns", namespaceId.ToBlob()), ("$key", NameKey(name)));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadSecret(reader) : null;
    }

    private HashSet<Guid> SecretsGrantedIn(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            "SELECT s.id FROM permissions p JOIN secrets s ON p.scope_kind = 2 AND p.scope_id = s.id WHERE p.client_id = $client AND s.namespace_id = $ns AND p.flags != 0",
            ("$client", ClientId.ToBlob()), ("$ns", namespaceId.ToBlob()));
        using var reader = command.ExecuteReader();
        var ids = new HashSet<Guid>();
        while (reader.Read())
        {
            ids.Add(reader.GetUuid(0));
        }

        return ids;
    }

    /// <summary>What <see cref="ReadSecret"/> reads: the row, and the client names an entry shows (no query per entry).</summary>
    private const string SecretColumns =
        "s.id, s.namespace_id, s.name, s.value_type, s.current_version, s.key_generation, s.metadata, s.expires_at, s.created_at, s.created_by, s.updated_at, s.updated_by, "
        + "(SELECT name FROM clients WHERE id = s.created_by), (SELECT name FROM clients WHERE id = s.updated_by)";

    private static SecretRecord ReadSecret(SqliteDataReader reader, int first = 0) => new(
        reader.GetUuid(first), reader.GetUuid(first + 1), reader.GetString(first + 2), (SecretValueType)reader.GetInt32(first + 3), reader.GetInt32(first + 4),
        reader.GetInt32(first + 5), reader.GetNullableString(first + 6), reader.GetNullableTime(first + 7), reader.GetTime(first + 8),
        reader.GetNullableString(first + 12) ?? reader.GetUuid(first + 9).ToString(), reader.GetTime(first + 10),
        reader.GetNullableString(first + 13) ?? reader.GetUuid(first + 11).ToString());

    /// <summary>
    /// What secret names are unique and looked up by: the name upper-cased with invariant (full Unicode) case
    /// rules, because SQLite's NOCASE folds only A–Z and would let "Émile" and "émile" be two secrets.
    /// </summary>
    internal static string NameKey(string name) => name.ToUpperInvariant();

    private static bool IsExpired(SecretRecord record) => record.ExpiresAt is { } at && at <= DateTimeOffset.UtcNow;

    private SecretEntry ToEntry(NamespaceRecord ns, SecretRecord record) => new(
        ns.Name, record.Name, record.Type, record.CurrentVersion, record.Created, record.CreatedBy,
        record.Updated, record.UpdatedBy, record.ExpiresAt, IsExpired(record),
        SecretMetadata.Deserialize(record.Metadata),
        options.EnvironmentOverrides && Environment.GetEnvironmentVariable(OverrideVariable(ns.Name, record.Name)) is not null);
}
