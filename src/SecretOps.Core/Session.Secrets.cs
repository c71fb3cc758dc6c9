using System.Text;
using SecretOps.Core.Audit;
using SecretOps.Core.Crypto;
using SecretOps.Core.Keys;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

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
        return Change(AuditActions.SecretSet, ns, name, (reader, batch) =>
        {
            var (namespaceRecord, existing, held) = LookUpSecret(reader, ns, name);
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
                record = CreateSecret(reader, batch, namespaceRecord, name, value.Type, metadata, expiresAt, now);
            }
            else
            {
                Require(held, Permissions.Write, $"secret '{existing.Name}'");
                record = existing with
                {
                    Type = value.Type, CurrentVersion = existing.CurrentVersion + 1, ExpiresAt = expiresAt, Updated = now, UpdatedBy = ClientName,
                    Metadata = metadata is null ? existing.Metadata : SecretMetadata.Serialize(metadata),
                };
                batch.Add(new UpdateSecret(record, existing.CurrentVersion, ClientId));
            }

            AddVersion(reader, batch, namespaceRecord, record, value.Serialized, now);
            return (ToEntry(namespaceRecord.Name, record), (int?)record.CurrentVersion);
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
            pendingAudit.Add(Audit(AuditActions.SecretGet, ns, name, null, AuditRecord.Override));
            var now = DateTimeOffset.UtcNow;
            var entry = new SecretEntry(ns, name, SecretValueType.String, 0, now, "environment", now, "environment", null, false, new Dictionary<string, object>(), true);
            return new SecretReadResult(entry, 0, SecretValue.FromString(overridden));
        }

        return Query(AuditActions.SecretGet, ns, name, reader =>
        {
            var (namespaceRecord, record) = RequireSecret(reader, ns, name, Permissions.Read);
            if (version is null && IsExpired(record))
            {
                throw new ExpiredException($"Secret '{record.Name}' expired at {record.ExpiresAt:u}.", record.Name);
            }

            var wanted = version ?? record.CurrentVersion;
            var value = ReadVersion(reader, namespaceRecord, record, wanted);
            return (new SecretReadResult(ToEntry(namespaceRecord.Name, record), wanted, value), (int?)wanted, AuditRecord.Ok);
        }, warm: reader => TryWarmRead(reader, ns, name, version));
    }

    /// <summary>
    /// A read this session can answer from one lookup (its own snapshot, so no transaction): the client active,
    /// the secret readable and not expired, its version's key already unwrapped. Null for anything else, which
    /// the full read then handles, with its errors.
    /// </summary>
    private (SecretReadResult Result, int? Version)? TryWarmRead(Control.VerifiedReader reader, string ns, string name, int? version)
    {
        if (reader.LookUpReadable(ClientId, ns, Names.LookupKey(name), version) is not { } found
            || (version is null && IsExpired(found.Secret))
            || keys.CachedOrNull(new KeyScope(ScopeKind.Secret, found.Secret.Id, found.Version.KeyGeneration)) is not { } key)
        {
            return null;
        }

        var value = OpenVersion(key, found.NamespaceId, found.NamespaceName, found.Secret, found.Version);
        return (new SecretReadResult(ToEntry(found.NamespaceName, found.Secret), found.Version.Number, value), found.Version.Number);
    }

    /// <summary>Removes one version (not the current one), or the whole secret with every version.</summary>
    public void RemoveSecret(string ns, string name, int? version = null)
    {
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        Change(AuditActions.SecretRemove, ns, name, (reader, batch) =>
        {
            var (_, record) = RequireSecret(reader, ns, name, Permissions.Delete);
            if (version is null)
            {
                batch.Add(new RemoveSecret(record.Id));
                Sign(reader, batch, new Control.RemoveSecret(record.Id));
                return (0, (int?)null);
            }

            if (version == record.CurrentVersion)
            {
                throw new ConflictException($"Version {version} is the current version of '{record.Name}'; restore another version first, or remove the whole secret.", record.Name);
            }

            if (reader.Version(record.Id, version.Value) is null)
            {
                throw new NotFoundException($"Secret '{record.Name}' has no version {version}.", record.Name);
            }

            batch.Add(new RemoveVersion(record.Id, version.Value));
            Sign(reader, batch, new Control.RemoveVersion(record.Id, version.Value));
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
        return Query(AuditActions.SecretList, ns, filter, reader =>
        {
            var namespaceRecord = RequireNamespace(reader, ns);
            var namespaceFlags = reader.EffectiveFlags(ClientId, namespaceRecord.Id, null);
            var reachable = namespaceFlags != Permissions.None ? null : SecretsGrantedIn(reader, namespaceRecord.Id);
            if (reachable is { Count: 0 })
            {
                throw new AccessDeniedException($"Client '{ClientName}' has no access to namespace '{namespaceRecord.Name}'.", namespaceRecord.Name);
            }

            // Narrow the lookup where the filter allows: a filter without wildcard characters can only match one name
            // literally; "prefix*" (completion) is a range of name keys.
            var literal = filter is not null && filter.IndexOfAny(['*', '?', '[', '`']) < 0 ? filter : null;
            var prefix = literal is null ? match.LiteralPrefix : null;
            var records = reader.Secrets(namespaceRecord.Id, literal is null ? null : Names.LookupKey(literal), prefix is null ? null : Names.LookupKey(prefix));
            var entries = records
                .Where(record => (reachable is null || reachable.Contains(record.Id)) && match.IsMatch(record.Name) && (includeExpired || !IsExpired(record)))
                .Select(record => ToEntry(namespaceRecord.Name, record))
                .ToList();
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
        return Query(AuditActions.SecretEntry, ns, name, reader =>
        {
            var (namespaceRecord, record, held) = LookUpSecret(reader, ns, name);
            if (record is null || (!includeExpired && IsExpired(record)))
            {
                throw new NotFoundException($"Secret '{name}' does not exist in namespace '{namespaceRecord.Name}'.", name);
            }

            if (held == Permissions.None)
            {
                throw new AccessDeniedException($"Client '{ClientName}' has no access to secret '{record.Name}'.", record.Name);
            }

            return (ToEntry(namespaceRecord.Name, record), (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>Every stored version of a secret, oldest first.</summary>
    public IReadOnlyList<SecretVersionInfo> GetHistory(string ns, string name)
    {
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        return Query(AuditActions.SecretHistory, ns, name, reader =>
        {
            var (namespaceRecord, record) = RequireSecret(reader, ns, name, Permissions.Read);
            var history = reader.Versions(record.Id).Select(v => new SecretVersionInfo(namespaceRecord.Name, record.Name, v.Number, v.Type, v.Created,
                ClientNameOf(reader, v.CreatedBy), v.Number == record.CurrentVersion)).ToList();
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

        return Change(AuditActions.SecretRestore, ns, name, (reader, batch) =>
        {
            var (namespaceRecord, record) = RequireSecret(reader, ns, name, Permissions.Read | Permissions.Write);
            using var old = ReadVersion(reader, namespaceRecord, record, version);
            var now = DateTimeOffset.UtcNow;
            var updated = record with { Type = old.Type, CurrentVersion = record.CurrentVersion + 1, Updated = now, UpdatedBy = ClientName };
            batch.Add(new UpdateSecret(updated, record.CurrentVersion, ClientId));
            AddVersion(reader, batch, namespaceRecord, updated, old.Serialized, now);
            return (ToEntry(namespaceRecord.Name, updated), (int?)updated.CurrentVersion);
        });
    }

    /// <summary>The environment variable that overrides a secret: SECRETOPS_SECRET_&lt;NS&gt;_&lt;NAME&gt;, upper-cased, other characters as '_'.</summary>
    public static string OverrideVariable(string ns, string name)
    {
        static string Part(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_'));
        return OverridePrefix + Part(ns) + "_" + Part(name);
    }

    /// <summary>
    /// A new secret at version 1 with a fresh key, wrapped under the namespace's current key. The creator gets every
    /// permission on the secret; it reaches the key through the namespace (a stanza of its own follows only if it loses that).
    /// </summary>
    private SecretRecord CreateSecret(IStoreReader reader, WriteBatch batch, NamespaceRecord ns, string name, SecretValueType type,
                                      IReadOnlyDictionary<string, object>? metadata, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        var record = new SecretRecord(Guid.NewGuid(), ns.Id, name, type, 1, 1, metadata is null ? null : SecretMetadata.Serialize(metadata), expiresAt, now, ClientName, now, ClientName);
        batch.Add(new InsertSecret(record, ClientId));
        using var secretKey = SymmetricKey.Generate();
        Sign(reader, batch, new Control.CreateSecret(record.Id, ns.Id, Names.LookupKey(name), Control.KeyCommitment.Of(ScopeKind.Secret, record.Id, 1, secretKey)));
        var namespaceKey = keys.NamespaceKey(reader, ns.Id, ns.KeyGeneration, $"namespace '{ns.Name}'");
        keys.AddSecretKey(batch, ns.Id, record.Id, 1, secretKey, namespaceKey, ns.KeyGeneration);
        // The first version is sealed in this same command, before the key is stored.
        keys.Remember(new KeyScope(ScopeKind.Secret, record.Id, 1), secretKey);
        batch.Add(new PutPermission(ClientId, ScopeKind.Secret, record.Id, Permissions.All, ClientId, now));
        return record;
    }

    /// <summary>Seals the record's current version and adds it, then prunes what the namespace's retention no longer keeps.</summary>
    private void AddVersion(IStoreReader reader, WriteBatch batch, NamespaceRecord ns, SecretRecord record, ReadOnlySpan<byte> serialized, DateTimeOffset now)
    {
        var key = keys.SecretKey(reader, ns.Id, record.Id, record.KeyGeneration, $"secret '{record.Name}'");
        var sealedValue = Aead.Seal(key, serialized, Contexts.Value(StoreId, ns.Id, ns.Name, record.Id, record.Name, record.CurrentVersion, record.KeyGeneration, record.Type));
        batch.Add(new InsertVersion(record.Id, new VersionRow(record.CurrentVersion, record.KeyGeneration, record.Type, sealedValue), now, ClientId));
        if (ns.MaxVersions is { } keep)
        {
            batch.Add(new PruneVersions(record.Id, record.CurrentVersion - keep));
        }

        var keepFrom = ns.MaxVersions is { } kept ? Math.Max(0, record.CurrentVersion - kept + 1) : 0;
        Sign(reader, batch, new Control.PutVersion(record.Id, record.CurrentVersion, record.KeyGeneration, record.Type, Control.KeyCommitment.OfValue(sealedValue),
            record.Metadata, record.ExpiresAt?.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), keepFrom));
    }

    private SecretValue ReadVersion(IStoreReader reader, NamespaceRecord ns, SecretRecord record, int version)
    {
        var row = reader.Version(record.Id, version) ?? throw new NotFoundException($"Secret '{record.Name}' has no version {version}.", record.Name);
        return OpenVersion(keys.SecretKey(reader, ns.Id, record.Id, row.KeyGeneration, $"secret '{record.Name}'"), ns.Id, ns.Name, record, row);
    }

    /// <summary>Decrypts a version with its secret key, checking everything its associated data binds.</summary>
    private SecretValue OpenVersion(SymmetricKey key, Guid namespaceId, string namespaceName, SecretRecord record, VersionRow row)
    {
        var what = $"Secret '{record.Name}' version {row.Number}";
        if (!Enum.IsDefined(row.Type))
        {
            throw new TamperedException(what);
        }

        var plaintext = Aead.Open(key, row.Value, Contexts.Value(StoreId, namespaceId, namespaceName, record.Id, record.Name, row.Number, row.KeyGeneration, row.Type), what);
        return SecretValue.Deserialize(plaintext, row.Type);
    }

    private (NamespaceRecord Namespace, SecretRecord Secret) RequireSecret(IStoreReader reader, string ns, string name, Permissions needed)
    {
        var (namespaceRecord, record, held) = LookUpSecret(reader, ns, name);
        if (record is null)
        {
            throw new NotFoundException($"Secret '{name}' does not exist in namespace '{namespaceRecord.Name}'.", name);
        }

        Require(held, needed, $"secret '{record.Name}'");
        return (namespaceRecord, record);
    }

    /// <summary>The namespace (which must exist), the secret (null when it does not) and the flags this client holds on either.</summary>
    private (NamespaceRecord Namespace, SecretRecord? Secret, Permissions Held) LookUpSecret(IStoreReader reader, string ns, string name)
    {
        var found = reader.LookUpSecret(ClientId, ns, Names.LookupKey(name), version: null) ?? throw new NotFoundException($"Namespace '{ns}' does not exist.", ns);
        return (found.Namespace, found.Secret, found.Held);
    }

    private HashSet<Guid> SecretsGrantedIn(IStoreReader reader, Guid namespaceId) =>
        reader.SecretGrantsIn(ClientId, namespaceId).Where(g => g.Flags != Permissions.None).Select(g => g.SecretId).ToHashSet();

    private static bool IsExpired(SecretRecord record) => record.ExpiresAt is { } at && at <= DateTimeOffset.UtcNow;

    private SecretEntry ToEntry(string namespaceName, SecretRecord record) => new(
        namespaceName, record.Name, record.Type, record.CurrentVersion, record.Created, record.CreatedBy,
        record.Updated, record.UpdatedBy, record.ExpiresAt, IsExpired(record),
        SecretMetadata.Deserialize(record.Metadata),
        options.EnvironmentOverrides && Environment.GetEnvironmentVariable(OverrideVariable(namespaceName, record.Name)) is not null);
}
