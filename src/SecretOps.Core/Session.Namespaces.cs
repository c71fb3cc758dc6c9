using Microsoft.Data.Sqlite;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;
using SecretOps.Core.Audit;

namespace SecretOps.Core;

/// <summary>A row of the namespaces table.</summary>
internal sealed record NamespaceRecord(Guid Id, string Name, string? Description, int KeyGeneration, int? MaxVersions, DateTimeOffset Created, Guid CreatedBy);

public sealed partial class Session
{
    /// <summary>Most versions a namespace's retention may keep.</summary>
    public const int MaxRetention = 100_000;

    /// <summary>Creates a namespace (System and Admin clients only); its creator gets every permission on it.</summary>
    public NamespaceInfo CreateNamespace(string name, string? description = null, int? maxVersions = null)
    {
        Names.ValidateNamespaceName(name);
        ValidateRetention(maxVersions);
        ValidateDescription(description);
        return Change(AuditActions.NamespaceCreate, name, null, (connection, transaction) =>
        {
            if (Role == ClientRole.Member)
            {
                throw new AccessDeniedException($"Client '{ClientName}' is a member; only admins create namespaces.", name);
            }

            var record = CreateNamespaceIn(connection, transaction, name, description, maxVersions);
            return (ToInfo(connection, transaction, record), (int?)null);
        });
    }

    /// <summary>The namespaces this client can reach (all of them for System and Admin clients).</summary>
    public IReadOnlyList<NamespaceInfo> ListNamespaces() => Query(AuditActions.NamespaceList, null, null, (connection, transaction) =>
    {
        var visible = new List<NamespaceInfo>();
        foreach (var record in AllNamespaces(connection, transaction))
        {
            if (Role != ClientRole.Member || EffectivePermissions(connection, transaction, record.Id, null) != Permissions.None || HasSecretGrantsIn(connection, transaction, record.Id))
            {
                visible.Add(ToInfo(connection, transaction, record));
            }
        }

        return ((IReadOnlyList<NamespaceInfo>)visible, (int?)null, SecretOps.Core.Audit.AuditRecord.Ok);
    });

    /// <summary>Changes a namespace's description and retention; lowering retention prunes old versions now.</summary>
    public NamespaceInfo SetNamespace(string name, string? description, int? maxVersions, bool clearRetention = false)
    {
        Names.ValidateNamespaceName(name);
        ValidateRetention(maxVersions);
        ValidateDescription(description);
        return Change(AuditActions.NamespaceUpdate, name, null, (connection, transaction) =>
        {
            var ns = RequireNamespace(connection, transaction, name);
            Require(EffectivePermissions(connection, transaction, ns.Id, null), Permissions.Delete, $"namespace '{ns.Name}'");
            var retention = clearRetention ? null : maxVersions ?? ns.MaxVersions;
            StoreDatabase.Execute(connection, transaction, "UPDATE namespaces SET description = $description, max_versions = $max WHERE id = $id",
                ("$description", description ?? ns.Description), ("$max", retention), ("$id", ns.Id.ToBlob()));
            if (retention is { } keep)
            {
                StoreDatabase.Execute(connection, transaction,
                    "DELETE FROM versions WHERE secret_id IN (SELECT id FROM secrets WHERE namespace_id = $ns) AND version <= (SELECT current_version FROM secrets WHERE id = versions.secret_id) - $keep",
                    ("$ns", ns.Id.ToBlob()), ("$keep", keep));
            }

            return (ToInfo(connection, transaction, RequireNamespace(connection, transaction, name)), (int?)null);
        });
    }

    /// <summary>Removes a namespace; one holding secrets only when <paramref name="force"/>. <c>default</c> cannot be removed.</summary>
    public void RemoveNamespace(string name, bool force)
    {
        Names.ValidateNamespaceName(name);
        if (string.Equals(name, SecretStore.DefaultNamespace, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidParameterException("namespace", "The default namespace cannot be removed.");
        }

        Change(AuditActions.NamespaceRemove, name, null, (connection, transaction) =>
        {
            var ns = RequireNamespace(connection, transaction, name);
            Require(EffectivePermissions(connection, transaction, ns.Id, null), Permissions.Delete, $"namespace '{ns.Name}'");
            var secrets = (long)StoreDatabase.Scalar(connection, transaction, "SELECT count(*) FROM secrets WHERE namespace_id = $id", ("$id", ns.Id.ToBlob()))!;
            if (secrets > 0 && !force)
            {
                throw new ConflictException($"Namespace '{ns.Name}' holds {secrets} secret(s); remove them first or force the removal.", ns.Name);
            }

            StoreDatabase.Execute(connection, transaction,
                """
                DELETE FROM stanzas WHERE scope_kind = 2 AND scope_id IN (SELECT id FROM secrets WHERE namespace_id = $id);
                DELETE FROM permissions WHERE scope_kind = 2 AND scope_id IN (SELECT id FROM secrets WHERE namespace_id = $id);
                DELETE FROM secrets WHERE namespace_id = $id;
                DELETE FROM stanzas WHERE scope_kind = 1 AND scope_id = $id;
                DELETE FROM permissions WHERE scope_kind = 1 AND scope_id = $id;
                DELETE FROM namespaces WHERE id = $id;
                """,
                ("$id", ns.Id.ToBlob()));
            return (0, (int?)null);
        });
    }

    /// <summary>Creates the namespace row, its first key generation (with canary), and the creator's stanza and permissions.</summary>
    internal NamespaceRecord CreateNamespaceIn(SqliteConnection connection, StoreTransaction transaction, string name, string? description, int? maxVersions)
    {
        if (FindNamespace(connection, transaction, name) is not null)
        {
            throw new ConflictException($"Namespace '{name}' already exists.", name);
        }

        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        StoreDatabase.Execute(connection, transaction,
            "INSERT INTO namespaces VALUES ($id, $name, $description, 1, $max, $now, $by)",
            ("$id", id.ToBlob()), ("$name", name), ("$description", description), ("$max", maxVersions),
            ("$now", now.ToUnixMilliseconds()), ("$by", ClientId.ToBlob()));
        using var key = SymmetricKey.Generate();
        AddNamespaceKeyGeneration(connection, transaction, id, 1, key);
        WriteStanza(connection, transaction, ClientId, privateKey.PublicKey, ScopeKind.Namespace, id, 1, key, Contexts.NamespaceKey(StoreId, id, 1));
        WritePermission(connection, transaction, ClientId, ScopeKind.Namespace, id, Permissions.All);
        return new NamespaceRecord(id, name, description, 1, maxVersions, now, ClientId);
    }

    private void AddNamespaceKeyGeneration(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId, int generation, SymmetricKey key)
    {
        var canary = Aead.Seal(key, Contexts.CanaryPlaintext, Contexts.Canary(StoreId, namespaceId, generation));
        StoreDatabase.Execute(connection, transaction, "INSERT INTO namespace_keys VALUES ($ns, $generation, $nonce, $canary, $now)",
            ("$ns", namespaceId.ToBlob()), ("$generation", generation), ("$nonce", canary.Nonce), ("$canary", canary.Ciphertext),
            ("$now", DateTimeOffset.UtcNow.ToUnixMilliseconds()));
    }

    internal static NamespaceRecord? FindNamespace(SqliteConnection connection, StoreTransaction transaction, string name)
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT * FROM namespaces WHERE name = $name", ("$name", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadNamespace(reader) : null;
    }

    private static NamespaceRecord RequireNamespace(SqliteConnection connection, StoreTransaction transaction, string name) =>
        FindNamespace(connection, transaction, name) ?? throw new NotFoundException($"Namespace '{name}' does not exist.", name);

    private static List<NamespaceRecord> AllNamespaces(SqliteConnection connection, StoreTransaction transaction)
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT * FROM namespaces ORDER BY name");
        using var reader = command.ExecuteReader();
        var all = new List<NamespaceRecord>();
        while (reader.Read())
        {
            all.Add(ReadNamespace(reader));
        }

        return all;
    }

    private bool HasSecretGrantsIn(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId) =>
        StoreDatabase.Scalar(connection, transaction,
            "SELECT 1 FROM permissions p JOIN secrets s ON p.scope_kind = 2 AND p.scope_id = s.id WHERE p.client_id = $client AND s.namespace_id = $ns LIMIT 1",
            ("$client", ClientId.ToBlob()), ("$ns", namespaceId.ToBlob())) is not null;

    private static NamespaceRecord ReadNamespace(SqliteDataReader reader) => new(
        reader.GetUuid(0), reader.GetString(1), reader.GetNullableString(2), reader.GetInt32(3), reader.GetNullableInt32(4), reader.GetTime(5), reader.GetUuid(6));

    private static NamespaceInfo ToInfo(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord record)
    {
        var count = (long)StoreDatabase.Scalar(connection, transaction, "SELECT count(*) FROM secrets WHERE namespace_id = $id", ("$id", record.Id.ToBlob()))!;
        return new NamespaceInfo(record.Name, record.Description, record.MaxVersions, (int)count, record.KeyGeneration, record.Created, ClientNameOf(connection, transaction, record.CreatedBy));
    }

    internal static string ClientNameOf(SqliteConnection connection, StoreTransaction transaction, Guid id) =>
        StoreDatabase.Scalar(connection, transaction, "SELECT name FROM clients WHERE id = $id", ("$id", id.ToBlob())) as string ?? id.ToString();

    private static void ValidateRetention(int? maxVersions)
    {
        if (maxVersions is < 1 or > MaxRetention)
        {
            throw new InvalidParameterException("max-versions", $"Retention keeps 1–{MaxRetention} versions; got {maxVersions}.");
        }
    }

    private static void ValidateDescription(string? description)
    {
        if (description is { Length: > 1024 } || description?.Any(c => char.IsControl(c) && c != '\n' && c != '\t') == true)
        {
            throw new InvalidParameterException("description", "A description is at most 1024 characters, without control characters.");
        }
    }
}
