using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Keys;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

public sealed partial class Session
{
    private const Permissions KeyFlags = Permissions.Read | Permissions.Write;

    /// <summary>
    /// Grants <paramref name="permissions"/> on a namespace, or on one secret when <paramref name="secret"/> is
    /// given. The granter needs Permit and every flag it grants (the System client needs neither, only the key).
    /// Read or Write wraps the scope's keys to the grantee: every namespace key generation (one stanza each,
    /// however many secrets the namespace holds), or every generation of the secret's key.
    /// </summary>
    public PermissionInfo Grant(string client, string ns, string? secret, Permissions permissions)
    {
        ValidateFlags(permissions);
        Names.ValidateNamespaceName(ns);
        if (secret is not null)
        {
            Names.ValidateSecretName(secret);
        }

        return Change(AuditActions.PermissionGrant, ns, Describe(client, secret, permissions), (reader, batch) =>
        {
            var grantee = RequireClient(reader, client);
            if (grantee.Status == ClientStatus.Retired)
            {
                throw new ConflictException($"Client '{grantee.Name}' is retired.", grantee.Name);
            }

            var (namespaceRecord, secretRecord) = ResolveScope(reader, ns, secret);
            RequireGrantable(reader, namespaceRecord, secretRecord, permissions);
            if ((permissions & KeyFlags) != 0)
            {
                WrapScopeKeys(reader, batch, grantee, namespaceRecord, secretRecord);
            }

            var kind = secretRecord is null ? ScopeKind.Namespace : ScopeKind.Secret;
            var scopeId = secretRecord?.Id ?? namespaceRecord.Id;
            var combined = reader.Flags(grantee.Id, kind, scopeId) | permissions;
            SetPermission(batch, grantee.Id, kind, scopeId, combined);
            Sign(reader, batch, new Control.Grant(grantee.Id, kind, scopeId, permissions));
            return (new PermissionInfo(grantee.Name, grantee.Id, (ScopeType)kind, namespaceRecord.Name, secretRecord?.Name, combined, ClientName, DateTimeOffset.UtcNow), (int?)null);
        });
    }

    /// <summary>
    /// Revokes <paramref name="permissions"/> (all when null). On a namespace it also takes them from the grantee's
    /// grants on secrets in it (those it created included), and once the grantee holds neither Read nor Write on the
    /// namespace it loses them on every secret there too. When the grantee loses both Read and Write on the scope its
    /// stanzas go, and unless <paramref name="rotate"/> is false the scope gets a new key generation wrapped only for
    /// the remaining holders (never the grantee), so nothing written afterwards can be decrypted with what the
    /// grantee may have kept. Old versions stay readable by the remaining holders. All in one transaction.
    /// Revoking the last client able to decrypt the scope is refused unless <paramref name="force"/>. A client that
    /// holds no grant on the scope but has a stanza for it (a row someone planted) can be revoked: the stanza goes and
    /// the scope is rotated without it.
    /// </summary>
    public RotationResult? Revoke(string client, string ns, string? secret, Permissions? permissions = null, bool rotate = true,
                                  IProgress<RotationProgress>? progress = null, bool force = false)
    {
        var revoked = permissions ?? Permissions.All;
        ValidateFlags(revoked);
        Names.ValidateNamespaceName(ns);
        if (secret is not null)
        {
            Names.ValidateSecretName(secret);
        }

        return Change(AuditActions.PermissionRevoke, ns, Describe(client, secret, revoked), (reader, batch) =>
        {
            var grantee = RequireClient(reader, client);
            var (namespaceRecord, secretRecord) = ResolveScope(reader, ns, secret);
            RequireGrantable(reader, namespaceRecord, secretRecord, revoked);
            var kind = secretRecord is null ? ScopeKind.Namespace : ScopeKind.Secret;
            var scopeId = secretRecord?.Id ?? namespaceRecord.Id;
            var held = reader.Flags(grantee.Id, kind, scopeId);
            var stray = held == Permissions.None && reader.HasStanza(grantee.Id, kind, scopeId);
            if (held == Permissions.None && !stray)
            {
                throw new NotFoundException($"Client '{grantee.Name}' holds no permission on {ScopeName(namespaceRecord, secretRecord)}.", grantee.Name);
            }

            var remaining = held & ~revoked;
            SetPermission(batch, grantee.Id, kind, scopeId, remaining);
            if (!stray)
            {
                Sign(reader, batch, new Control.Revoke(grantee.Id, kind, scopeId, revoked));
            }

            var keepsKeys = (remaining & KeyFlags) != 0;
            var losesKeys = stray || ((held & KeyFlags) != 0 && !keepsKeys);
            if (secretRecord is null && RevokeSecretGrantsIn(reader, batch, grantee.Id, namespaceRecord, keepsKeys ? revoked : revoked | KeyFlags) && !keepsKeys)
            {
                // It held keys of secrets here directly: without the namespace's key it must not keep reaching them.
                losesKeys = true;
            }

            if (!losesKeys)
            {
                return ((RotationResult?)null, (int?)null);
            }

            // Rotating to a key nobody else holds would lock everyone out of the scope for good.
            var othersCanDecrypt = reader.HasOtherActiveHolder(ScopeKind.Namespace, namespaceRecord.Id, grantee.Id)
                || (secretRecord is not null && reader.HasOtherActiveHolder(ScopeKind.Secret, secretRecord.Id, grantee.Id));
            if (!othersCanDecrypt && !force)
            {
                throw new ConflictException($"'{grantee.Name}' is the last client able to decrypt {ScopeName(namespaceRecord, secretRecord)}; grant another client first, or force the revocation.", grantee.Name);
            }

            batch.Add(new RemoveStanzas(grantee.Id, kind, scopeId));
            if (!rotate)
            {
                return (null, null);
            }

            return ((RotationResult?)(secretRecord is null
                ? rotation.RotateNamespace(reader, batch, namespaceRecord, progress, grantee.Id)
                : rotation.RotateSecret(reader, batch, namespaceRecord, secretRecord, grantee.Id)), (int?)null);
        });
    }

    /// <summary>
    /// Gives a namespace a new key generation, and every secret in it a new key generation wrapped under it,
    /// for the current holders (needs Permit on the namespace, or the System role). No value is re-encrypted.
    /// </summary>
    public RotationResult RotateNamespaceKey(string ns, IProgress<RotationProgress>? progress = null)
    {
        Names.ValidateNamespaceName(ns);
        return Change(AuditActions.NamespaceRotate, ns, null, (reader, batch) =>
        {
            var namespaceRecord = RequireNamespace(reader, ns);
            if (Role != ClientRole.System)
            {
                Require(reader.EffectiveFlags(ClientId, namespaceRecord.Id, null), Permissions.Permit, $"namespace '{namespaceRecord.Name}'");
            }

            return (rotation.RotateNamespace(reader, batch, namespaceRecord, progress, excluded: null), (int?)null);
        });
    }

    /// <summary>
    /// Retires a client: every namespace and secret it can decrypt is rotated without it, its stanzas and
    /// permissions are removed, and it can never connect again; its audit history stays. Refused, with the list,
    /// when a namespace would be left with no other holder, unless <paramref name="force"/> (the namespace is then
    /// rotated to a key nobody holds). Refused, with the list, when it holds a secret's key in a namespace whose key
    /// this client does not hold, since that secret's new key could not be wrapped: retire it as a client that holds
    /// those namespaces. The System client can be retired once an active admin exists.
    /// </summary>
    public ClientInfo RetireClient(string client, bool force = false, IProgress<RotationProgress>? progress = null) => Change(AuditActions.ClientRetire, null, client, (reader, batch) =>
    {
        RequireAdmin("retire clients");
        var record = RequireClient(reader, client);
        if (record.Status == ClientStatus.Retired)
        {
            throw new ConflictException($"Client '{record.Name}' is already retired.", record.Name);
        }

        if (record.Role != ClientRole.Member && !reader.AnyActiveClient([ClientRole.System, ClientRole.Admin], except: record.Id))
        {
            throw new ConflictException($"'{record.Name}' is the last active administrator; make another client an admin first.", record.Name);
        }

        if (record.Role == ClientRole.System && !reader.AnyActiveClient([ClientRole.Admin], except: null))
        {
            throw new ConflictException("The System client can be retired only once an active admin exists; create one first.", record.Name);
        }

        if (record.Id == ClientId)
        {
            throw new ConflictException("A client cannot retire itself; another administrator retires it.", record.Name);
        }

        var stanzas = reader.StanzasOf(record.Id);
        var namespaces = stanzas.Where(s => s.Kind == ScopeKind.Namespace).Select(s => s.ScopeId).Distinct()
            .Select(id => reader.GetNamespace(id) ?? throw new TamperedException($"A key stanza of client '{record.Name}'")).ToList();
        var orphaned = namespaces.Where(ns => !reader.HasOtherActiveHolder(ScopeKind.Namespace, ns.Id, record.Id)).Select(ns => ns.Name).Order().ToList();
        if (orphaned.Count > 0 && !force)
        {
            throw new ConflictException($"Retiring '{record.Name}' would leave no client able to read namespace(s) {string.Join(", ", orphaned.Select(n => $"'{n}'"))}; grant another client first, or force it.", record.Name);
        }

        // A secret whose key it holds directly, in a namespace it does not hold, gets a new key wrapped under the
        // namespace's current key: without that key, this client cannot rotate it, and must not retire and claim it did.
        var rotatedNamespaces = namespaces.Select(ns => ns.Id).ToHashSet();
        var secrets = stanzas.Where(s => s.Kind == ScopeKind.Secret).Select(s => s.ScopeId).Distinct()
            .Select(id => reader.GetSecret(id) ?? throw new TamperedException($"A key stanza of client '{record.Name}'"))
            .Where(s => !rotatedNamespaces.Contains(s.NamespaceId))
            .Select(s => (Secret: s, Namespace: reader.GetNamespace(s.NamespaceId)!)).ToList();
        var unreachable = secrets
            .Where(s => reader.Stanza(ClientId, new KeyScope(ScopeKind.Namespace, s.Namespace.Id, s.Namespace.KeyGeneration)) is null)
            .Select(s => ScopeName(s.Namespace, s.Secret)).Order().ToList();
        if (unreachable.Count > 0)
        {
            throw new AccessDeniedException($"Client '{ClientName}' cannot retire '{record.Name}': it holds no key for the namespace of {string.Join(", ", unreachable)}, "
                + "so it cannot give them new keys. Nothing was changed; retire it as a client that holds those namespaces.", record.Name);
        }

        batch.Add(new RemoveStanzas(record.Id));
        batch.Add(new RemovePermissionsOf(record.Id));
        batch.Add(new SetClientStatus(record.Id, ClientStatus.Retired));
        // The rotations follow the retirement entry at once: it allows them even where this client holds no Permit.
        Sign(reader, batch, new Control.RetireClient(record.Id));
        foreach (var ns in namespaces)
        {
            rotation.RotateNamespace(reader, batch, ns, progress, record.Id);
        }

        foreach (var (secretRecord, ns) in secrets)
        {
            rotation.RotateSecret(reader, batch, ns, secretRecord, record.Id);
        }

        return (ToInfo(record with { Status = ClientStatus.Retired }), (int?)null);
    });

    /// <summary>
    /// Who holds what. With a secret: everyone who can reach it, directly or through its namespace. With a
    /// namespace: grants on it and on its secrets. With a client: everything it holds. Members see only their
    /// own permissions and scopes on which they hold Permit.
    /// </summary>
    public IReadOnlyList<PermissionInfo> ListPermissions(string? client = null, string? ns = null, string? secret = null)
    {
        if (secret is not null && ns is null)
        {
            throw new InvalidParameterException("namespace", "Name the namespace of the secret.");
        }

        return Query(AuditActions.PermissionList, ns, secret ?? client, reader =>
        {
            Guid? clientId = client is null ? null : RequireClient(reader, client).Id;
            var (namespaceRecord, secretRecord) = ns is null ? (null, null) : ResolveScope(reader, ns, secret);
            var rows = reader.Permissions(clientId, namespaceRecord?.Id, secretRecord?.Id);
            var visible = rows
                .Where(r => Role != ClientRole.Member || r.ClientId == ClientId || (reader.EffectiveFlags(ClientId, r.NamespaceId, null) & Permissions.Permit) != 0)
                .Select(r => new PermissionInfo(r.Client, r.ClientId, (ScopeType)r.Kind, r.Namespace, r.Secret, r.Flags, r.GrantedBy, r.GrantedAt))
                .ToList();
            return ((IReadOnlyList<PermissionInfo>)visible, (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>
    /// A namespace revoke covers the grantee's grants on the secrets in it, those it created included: each loses
    /// <paramref name="revoked"/>, and the grantee's stanzas for a secret go with its last Read or Write there (all of
    /// them when <paramref name="revoked"/> holds both). True when a stanza goes.
    /// </summary>
    private bool RevokeSecretGrantsIn(IStoreReader reader, WriteBatch batch, Guid grantee, NamespaceRecord ns, Permissions revoked)
    {
        var removed = false;
        foreach (var (secretId, flags) in reader.SecretGrantsIn(grantee, ns.Id))
        {
            SetPermission(batch, grantee, ScopeKind.Secret, secretId, flags & ~revoked);
            if ((flags & ~revoked & KeyFlags) == 0 && reader.HasStanza(grantee, ScopeKind.Secret, secretId))
            {
                batch.Add(new RemoveStanzas(grantee, ScopeKind.Secret, secretId));
                removed = true;
            }
        }

        if ((revoked & KeyFlags) == KeyFlags && reader.HasSecretStanzasIn(grantee, ns.Id))
        {
            batch.Add(new RemoveSecretStanzasIn(grantee, ns.Id));
            removed = true;
        }

        return removed;
    }

    /// <summary>Wraps every generation of the scope's key to the grantee (namespace keys, or one secret's keys).</summary>
    private void WrapScopeKeys(IStoreReader reader, WriteBatch batch, ClientRecord grantee, NamespaceRecord ns, SecretRecord? secret)
    {
        for (var generation = 1; generation <= (secret?.KeyGeneration ?? ns.KeyGeneration); generation++)
        {
            var key = secret is null
                ? keys.NamespaceKey(reader, ns.Id, generation, $"namespace '{ns.Name}'")
                : keys.SecretKey(reader, ns.Id, secret.Id, generation, $"secret '{secret.Name}'");
            keys.PutStanza(batch, grantee.Id, grantee.PublicKey, new KeyScope(secret is null ? ScopeKind.Namespace : ScopeKind.Secret, secret?.Id ?? ns.Id, generation), key);
        }
    }

    private void RequireGrantable(IStoreReader reader, NamespaceRecord ns, SecretRecord? secret, Permissions permissions)
    {
        if (Role == ClientRole.System)
        {
            return;
        }

        var held = reader.EffectiveFlags(ClientId, ns.Id, secret?.Id);
        var scope = ScopeName(ns, secret);
        Require(held, Permissions.Permit, scope);
        var missing = permissions & ~held;
        if (missing != Permissions.None)
        {
            throw new AccessDeniedException($"Client '{ClientName}' cannot grant or revoke {missing} on {scope}: it does not hold {missing} itself.", scope);
        }
    }

    private static (NamespaceRecord Namespace, SecretRecord? Secret) ResolveScope(IStoreReader reader, string ns, string? secret)
    {
        var namespaceRecord = RequireNamespace(reader, ns);
        if (secret is null)
        {
            return (namespaceRecord, null);
        }

        return (namespaceRecord, reader.FindSecret(namespaceRecord.Id, Names.LookupKey(secret))
                                 ?? throw new NotFoundException($"Secret '{secret}' does not exist in namespace '{namespaceRecord.Name}'.", secret));
    }

    private static string ScopeName(NamespaceRecord ns, SecretRecord? secret) =>
        secret is null ? $"namespace '{ns.Name}'" : $"secret '{secret.Name}' in namespace '{ns.Name}'";

    private static string Describe(string client, string? secret, Permissions permissions) =>
        $"{Names.Printable(client)}: {permissions}{(secret is null ? "" : $" on '{Names.Printable(secret)}'")}";

    private static void ValidateFlags(Permissions permissions)
    {
        if (permissions == Permissions.None || (permissions & ~Permissions.All) != 0)
        {
            throw new InvalidParameterException("permissions", "Permissions are one or more of read, write, delete, permit.");
        }
    }
}
