using SecretOps.Core.Audit;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

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
        return Change(AuditActions.NamespaceCreate, name, null, (reader, batch) =>
        {
            if (Role == ClientRole.Member)
            {
                throw new AccessDeniedException($"Client '{ClientName}' is a member; only admins create namespaces.", name);
            }

            var record = CreateNamespaceIn(reader, batch, name, description, maxVersions);
            return (new NamespaceInfo(record.Name, record.Description, record.MaxVersions, 0, record.KeyGeneration, record.Created, ClientName), (int?)null);
        });
    }

    /// <summary>The namespaces this client can reach (all of them for System and Admin clients).</summary>
    public IReadOnlyList<NamespaceInfo> ListNamespaces() => Query(AuditActions.NamespaceList, null, null, reader =>
    {
        var visible = reader.Namespaces()
            .Where(record => Role != ClientRole.Member || reader.EffectiveFlags(ClientId, record.Id, null) != Permissions.None || reader.SecretGrantsIn(ClientId, record.Id).Count > 0)
            .Select(record => ToInfo(reader, record))
            .ToList();
        return ((IReadOnlyList<NamespaceInfo>)visible, (int?)null, AuditRecord.Ok);
    });

    /// <summary>Changes a namespace's description and retention; lowering retention prunes old versions now.</summary>
    public NamespaceInfo SetNamespace(string name, string? description, int? maxVersions, bool clearRetention = false)
    {
        Names.ValidateNamespaceName(name);
        ValidateRetention(maxVersions);
        ValidateDescription(description);
        return Change(AuditActions.NamespaceUpdate, name, null, (reader, batch) =>
        {
            var ns = RequireNamespace(reader, name);
            Require(reader.EffectiveFlags(ClientId, ns.Id, null), Permissions.Delete, $"namespace '{ns.Name}'");
            var updated = ns with { Description = description ?? ns.Description, MaxVersions = clearRetention ? null : maxVersions ?? ns.MaxVersions };
            batch.Add(new UpdateNamespace(ns.Id, updated.Description, updated.MaxVersions));
            if (updated.MaxVersions is { } keep)
            {
                batch.Add(new PruneVersionsIn(ns.Id, keep));
            }

            return (ToInfo(reader, updated), (int?)null);
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

        Change(AuditActions.NamespaceRemove, name, null, (reader, batch) =>
        {
            var ns = RequireNamespace(reader, name);
            Require(reader.EffectiveFlags(ClientId, ns.Id, null), Permissions.Delete, $"namespace '{ns.Name}'");
            var secrets = reader.CountSecrets(ns.Id);
            if (secrets > 0 && !force)
            {
                throw new ConflictException($"Namespace '{ns.Name}' holds {secrets} secret(s); remove them first or force the removal.", ns.Name);
            }

            batch.Add(new RemoveNamespace(ns.Id));
            Sign(reader, batch, new Control.RemoveNamespace(ns.Id));
            return (0, (int?)null);
        });
    }

    /// <summary>Adds the namespace, its first key generation (with canary), and the creator's stanza and permissions to the batch.</summary>
    internal NamespaceRecord CreateNamespaceIn(IStoreReader reader, WriteBatch batch, string name, string? description, int? maxVersions)
    {
        if (reader.FindNamespace(name) is not null)
        {
            throw new ConflictException($"Namespace '{name}' already exists.", name);
        }

        var now = DateTimeOffset.UtcNow;
        var record = new NamespaceRecord(Guid.NewGuid(), name, description, 1, maxVersions, now, ClientId);
        batch.Add(new InsertNamespace(record));
        using var key = SymmetricKey.Generate();
        keys.AddNamespaceKey(batch, record.Id, 1, key);
        Sign(reader, batch, new Control.CreateNamespace(record.Id, name));
        Sign(reader, batch, new Control.NamespaceKeyGeneration(record.Id, 1, Control.KeyCommitment.Of(ScopeKind.Namespace, record.Id, 1, key)));
        keys.PutStanza(batch, ClientId, keys.PublicKey, new KeyScope(ScopeKind.Namespace, record.Id, 1), key);
        batch.Add(new PutPermission(ClientId, ScopeKind.Namespace, record.Id, Permissions.All, ClientId, now));
        return record;
    }

    private static NamespaceRecord RequireNamespace(IStoreReader reader, string name) =>
        reader.FindNamespace(name) ?? throw new NotFoundException($"Namespace '{name}' does not exist.", name);

    private static NamespaceInfo ToInfo(IStoreReader reader, NamespaceRecord record) =>
        new(record.Name, record.Description, record.MaxVersions, reader.CountSecrets(record.Id), record.KeyGeneration, record.Created, ClientNameOf(reader, record.CreatedBy));

    private static string ClientNameOf(IStoreReader reader, Guid id) => reader.ClientName(id) ?? id.ToString();

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
