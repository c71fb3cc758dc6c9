using Microsoft.Data.Sqlite;
using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
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

        return Change(AuditActions.PermissionGrant, ns, Describe(client, secret, permissions), (connection, transaction) =>
        {
            var grantee = RequireClient(connection, transaction, client);
            if (grantee.Status == ClientStatus.Retired)
            {
                throw new ConflictException($"Client '{grantee.Name}' is retired.", grantee.Name);
            }

            var (namespaceRecord, secretRecord) = ResolveScope(connection, transaction, ns, secret);
            RequireGrantable(connection, transaction, namespaceRecord, secretRecord, permissions);
            if ((permissions & KeyFlags) != 0)
            {
                WrapScopeKeys(connection, transaction, grantee, namespaceRecord, secretRecord);
            }

            var kind = secretRecord is null ? ScopeKind.Namespace : ScopeKind.Secret;
            var scopeId = secretRecord?.Id ?? namespaceRecord.Id;
            var combined = HeldDirectly(connection, transaction, grantee.Id, kind, scopeId) | permissions;
            WritePermission(connection, transaction, grantee.Id, kind, scopeId, combined);
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

        return Change(AuditActions.PermissionRevoke, ns, Describe(client, secret, revoked), (connection, transaction) =>
        {
            var grantee = RequireClient(connection, transaction, client);
            var (namespaceRecord, secretRecord) = ResolveScope(connection, transaction, ns, secret);
            RequireGrantable(connection, transaction, namespaceRecord, secretRecord, revoked);
            var kind = secretRecord is null ? ScopeKind.Namespace : ScopeKind.Secret;
            var scopeId = secretRecord?.Id ?? namespaceRecord.Id;
            var held = HeldDirectly(connection, transaction, grantee.Id, kind, scopeId);
            var stray = held == Permissions.None && HasStanza(connection, transaction, grantee.Id, kind, scopeId);
            if (held == Permissions.None && !stray)
            {
                throw new NotFoundException($"Client '{grantee.Name}' holds no permission on {ScopeName(namespaceRecord, secretRecord)}.", grantee.Name);
            }

            var remaining = held & ~revoked;
            SetPermission(connection, transaction, grantee.Id, kind, scopeId, remaining);
            var keepsKeys = (remaining & KeyFlags) != 0;
            var losesKeys = stray || ((held & KeyFlags) != 0 && !keepsKeys);
            if (secretRecord is null && RevokeSecretGrantsIn(connection, transaction, grantee.Id, namespaceRecord, keepsKeys ? revoked : revoked | KeyFlags) && !keepsKeys)
            {
                // It held keys of secrets here directly: without the namespace's key it must not keep reaching them.
                losesKeys = true;
            }

            if (!losesKeys)
            {
                return ((RotationResult?)null, (int?)null);
            }

            // Rotating to a key nobody else holds would lock everyone out of the scope for good.
            var othersCanDecrypt = HasOtherHolder(connection, transaction, ScopeKind.Namespace, namespaceRecord.Id, grantee.Id)
                || (secretRecord is not null && HasOtherHolder(connection, transaction, ScopeKind.Secret, secretRecord.Id, grantee.Id));
            if (!othersCanDecrypt && !force)
            {
                throw new ConflictException($"'{grantee.Name}' is the last client able to decrypt {ScopeName(namespaceRecord, secretRecord)}; grant another client first, or force the revocation.", grantee.Name);
            }

            DeleteStanzas(connection, transaction, grantee.Id, kind, scopeId);
            if (!rotate)
            {
                return (null, null);
            }

            return ((RotationResult?)(secretRecord is null
                ? RotateNamespaceIn(connection, transaction, namespaceRecord, progress, grantee.Id)
                : RotateSecretIn(connection, transaction, namespaceRecord, secretRecord, grantee.Id)), (int?)null);
        });
    }

    /// <summary>
    /// Gives a namespace a new key generation, and every secret in it a new key generation wrapped under it,
    /// for the current holders (needs Permit on the namespace, or the System role). No value is re-encrypted.
    /// </summary>
    public RotationResult RotateNamespaceKey(string ns, IProgress<RotationProgress>? progress = null)
    {
        Names.ValidateNamespaceName(ns);
        return Change(AuditActions.NamespaceRotate, ns, null, (connection, transaction) =>
        {
            var namespaceRecord = RequireNamespace(connection, transaction, ns);
            if (Role != ClientRole.System)
            {
                Require(EffectivePermissions(connection, transaction, namespaceRecord.Id, null), Permissions.Permit, $"namespace '{namespaceRecord.Name}'");
            }

            return (RotateNamespaceIn(connection, transaction, namespaceRecord, progress, excluded: null), (int?)null);
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
    public ClientInfo RetireClient(string client, bool force = false, IProgress<RotationProgress>? progress = null) => Change(AuditActions.ClientRetire, null, client, (connection, transaction) =>
    {
        RequireAdmin("retire clients");
        var record = RequireClient(connection, transaction, client);
        if (record.Status == ClientStatus.Retired)
        {
            throw new ConflictException($"Client '{record.Name}' is already retired.", record.Name);
        }

        if (record.Role != ClientRole.Member && StoreDatabase.Scalar(connection, transaction,
                "SELECT 1 FROM clients WHERE id != $id AND role IN ($system, $admin) AND status = $active LIMIT 1",
                ("$id", record.Id.ToBlob()), ("$system", (int)ClientRole.System), ("$admin", (int)ClientRole.Admin), ("$active", (int)ClientStatus.Active)) is null)
        {
            throw new ConflictException($"'{record.Name}' is the last active administrator; make another client an admin first.", record.Name);
        }

        if (record.Role == ClientRole.System && StoreDatabase.Scalar(connection, transaction,
                "SELECT 1 FROM clients WHERE role = $admin AND status = $active LIMIT 1", ("$admin", (int)ClientRole.Admin), ("$active", (int)ClientStatus.Active)) is null)
        {
            throw new ConflictException("The System client can be retired only once an active admin exists; create one first.", record.Name);
        }

        var stanzas = StanzasOf(connection, transaction, record.Id);
        var namespaces = stanzas.Where(s => s.Kind == ScopeKind.Namespace).Select(s => s.ScopeId).Distinct().ToList();
        var orphaned = namespaces.Where(id => !HasOtherHolder(connection, transaction, ScopeKind.Namespace, id, record.Id))
            .Select(id => NamespaceName(connection, transaction, id)).Order().ToList();
        if (orphaned.Count > 0 && !force)
        {
            throw new ConflictException($"Retiring '{record.Name}' would leave no client able to read namespace(s) {string.Join(", ", orphaned.Select(n => $"'{n}'"))}; grant another client first, or force it.", record.Name);
        }

        // A secret whose key it holds directly, in a namespace it does not hold, gets a new key wrapped under the
        // namespace's current key: without that key, this client cannot rotate it, and must not retire and claim it did.
        var rotatedNamespaces = namespaces.ToHashSet();
        var secrets = stanzas.Where(s => s.Kind == ScopeKind.Secret).Select(s => LoadSecret(connection, transaction, s.ScopeId))
            .Where(s => !rotatedNamespaces.Contains(s.NamespaceId)).DistinctBy(s => s.Id).ToList();
        var unreachable = secrets.Select(s => (Secret: s, Namespace: LoadNamespace(connection, transaction, s.NamespaceId)))
            .Where(s => !HoldsKey(connection, transaction, ScopeKind.Namespace, s.Namespace.Id, s.Namespace.KeyGeneration))
            .Select(s => ScopeName(s.Namespace, s.Secret)).Order().ToList();
        if (unreachable.Count > 0)
        {
            throw new AccessDeniedException($"Client '{ClientName}' cannot retire '{record.Name}': it holds no key for the namespace of {string.Join(", ", unreachable)}, "
                + "so it cannot give them new keys. Nothing was changed; retire it as a client that holds those namespaces.", record.Name);
        }

        StoreDatabase.DeleteConfirmed(connection, transaction, "stanzas", "client_id = $id", "the retired client's keys", ("$id", record.Id.ToBlob()));
        StoreDatabase.Execute(connection, transaction, "DELETE FROM permissions WHERE client_id = $id; UPDATE clients SET status = $retired WHERE id = $id",
            ("$id", record.Id.ToBlob()), ("$retired", (int)ClientStatus.Retired));
        foreach (var namespaceId in namespaces)
        {
            RotateNamespaceIn(connection, transaction, LoadNamespace(connection, transaction, namespaceId), progress, record.Id);
        }

        foreach (var secretRecord in secrets)
        {
            RotateSecretIn(connection, transaction, LoadNamespace(connection, transaction, secretRecord.NamespaceId), secretRecord, record.Id);
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

        return Query(AuditActions.PermissionList, ns, secret ?? client, (connection, transaction) =>
        {
            Guid? clientId = client is null ? null : RequireClient(connection, transaction, client).Id;
            var (namespaceRecord, secretRecord) = ns is null ? (null, null) : ResolveScope(connection, transaction, ns, secret);
            var sql = """
                SELECT c.name, p.client_id, p.scope_kind, n.name, s.name, p.flags, g.name, p.granted_at, n.id
                FROM permissions p
                JOIN clients c ON c.id = p.client_id
                LEFT JOIN secrets s ON p.scope_kind = 2 AND s.id = p.scope_id
                JOIN namespaces n ON n.id = CASE p.scope_kind WHEN 1 THEN p.scope_id ELSE s.namespace_id END
                LEFT JOIN clients g ON g.id = p.granted_by
                WHERE ($client IS NULL OR p.client_id = $client)
                  AND ($ns IS NULL OR n.id = $ns)
                  AND ($secret IS NULL OR p.scope_kind = 1 OR p.scope_id = $secret)
                ORDER BY n.name, p.scope_kind, s.name, c.name
                """;
            using var command = StoreDatabase.Command(connection, transaction, sql,
                ("$client", clientId?.ToBlob()), ("$ns", namespaceRecord?.Id.ToBlob()), ("$secret", secretRecord?.Id.ToBlob()));
            using var reader = command.ExecuteReader();
            var rows = new List<(PermissionInfo Info, Guid NamespaceId)>();
            while (reader.Read())
            {
                rows.Add((new PermissionInfo(reader.GetString(0), reader.GetUuid(1), (ScopeType)reader.GetInt32(2), reader.GetString(3), reader.GetNullableString(4),
                    (Permissions)reader.GetInt32(5), reader.GetNullableString(6) ?? "", reader.GetTime(7)), reader.GetUuid(8)));
            }

            var visible = Role != ClientRole.Member
                ? rows.Select(r => r.Info).ToList()
                : rows.Where(r => r.Info.ClientId == ClientId || (EffectivePermissions(connection, transaction, r.NamespaceId, null) & Permissions.Permit) != 0).Select(r => r.Info).ToList();
            return ((IReadOnlyList<PermissionInfo>)visible, (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>
    /// Gives a namespace, and every secret in it, a new key generation for the current holders other than
    /// <paramref name="excluded"/> (the client being revoked or retired). Recipients come only from grants whose
    /// rows agree (see <see cref="Recipients"/>); a stanza without a grant refuses the whole rotation as tampered.
    /// </summary>
    private RotationResult RotateNamespaceIn(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, IProgress<RotationProgress>? progress, Guid? excluded)
    {
        RefuseUngrantedStanzas(connection, transaction, ns, null);
        var generation = ns.KeyGeneration + 1;
        using var namespaceKey = SymmetricKey.Generate();
        AddNamespaceKeyGeneration(connection, transaction, ns.Id, generation, namespaceKey);
        var publicKeys = new Dictionary<Guid, ClientPublicKey>();
        var holders = Recipients(connection, transaction, ScopeKind.Namespace, ns.Id, ns.KeyGeneration, excluded);
        foreach (var holder in holders)
        {
            WriteStanza(connection, transaction, holder, PublicKeyOf(connection, transaction, holder, publicKeys), ScopeKind.Namespace, ns.Id, generation, namespaceKey,
                Contexts.NamespaceKey(StoreId, ns.Id, generation));
        }

        var secrets = SecretsIn(connection, transaction, ns.Id);
        var secretHolders = SecretRecipientsIn(connection, transaction, ns.Id, excluded);
        for (var i = 0; i < secrets.Count; i++)
        {
            var (secretId, secretGeneration) = secrets[i];
            using var secretKey = SymmetricKey.Generate();
            WrapSecretKey(connection, transaction, ns.Id, secretId, secretGeneration + 1, secretKey, namespaceKey, generation);
            foreach (var holder in secretHolders.GetValueOrDefault((secretId, secretGeneration), []))
            {
                WriteStanza(connection, transaction, holder, PublicKeyOf(connection, transaction, holder, publicKeys), ScopeKind.Secret, secretId, secretGeneration + 1,
                    secretKey, Contexts.SecretKey(StoreId, secretId, secretGeneration + 1));
            }

            if ((i + 1) % 256 == 0 || i + 1 == secrets.Count)
            {
                progress?.Report(new RotationProgress(ns.Name, i + 1, secrets.Count));
            }
        }

        StoreDatabase.Execute(connection, transaction,
            "UPDATE secrets SET key_generation = key_generation + 1 WHERE namespace_id = $ns; UPDATE namespaces SET key_generation = $generation WHERE id = $ns",
            ("$ns", ns.Id.ToBlob()), ("$generation", generation));
        VerifyNamespaceKey(connection, transaction, ns, generation, namespaceKey);
        return new RotationResult($"namespace '{ns.Name}'", generation, secrets.Count, holders.Count);
    }

    /// <summary>Stores a secret key generation wrapped under a namespace key generation.</summary>
    private SealedData WrapSecretKey(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId, Guid secretId, int generation,
                                     SymmetricKey secretKey, SymmetricKey namespaceKey, int namespaceGeneration)
    {
        var wrapped = Aead.SealKey(namespaceKey, secretKey, Contexts.WrappedSecretKey(StoreId, namespaceId, secretId, generation, namespaceGeneration));
        StoreDatabase.Execute(connection, transaction, "INSERT INTO secret_keys VALUES ($id, $generation, $nsGeneration, $nonce, $key)",
            ("$id", secretId.ToBlob()), ("$generation", generation), ("$nsGeneration", namespaceGeneration), ("$nonce", wrapped.Nonce), ("$key", wrapped.Ciphertext));
        return wrapped;
    }

    /// <summary>Gives one secret a new key generation, wrapped under the namespace's current key, for its direct holders other than <paramref name="excluded"/>.</summary>
    private RotationResult RotateSecretIn(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, SecretRecord secret, Guid? excluded)
    {
        RefuseUngrantedStanzas(connection, transaction, ns, secret);
        // The new secret key must be wrapped under the namespace's current key, so the rotating client needs it.
        var namespaceKey = NamespaceKey(connection, transaction, ns.Id, ns.KeyGeneration, $"namespace '{ns.Name}' (needed to rotate secret '{secret.Name}')");
        var generation = secret.KeyGeneration + 1;
        using var secretKey = SymmetricKey.Generate();
        var wrapped = WrapSecretKey(connection, transaction, ns.Id, secret.Id, generation, secretKey, namespaceKey, ns.KeyGeneration);
        var publicKeys = new Dictionary<Guid, ClientPublicKey>();
        var holders = Recipients(connection, transaction, ScopeKind.Secret, secret.Id, secret.KeyGeneration, excluded);
        foreach (var holder in holders)
        {
            WriteStanza(connection, transaction, holder, PublicKeyOf(connection, transaction, holder, publicKeys), ScopeKind.Secret, secret.Id, generation, secretKey,
                Contexts.SecretKey(StoreId, secret.Id, generation));
        }

        StoreDatabase.Execute(connection, transaction, "UPDATE secrets SET key_generation = $generation WHERE id = $id", ("$generation", generation), ("$id", secret.Id.ToBlob()));
        using var check = Aead.OpenKey(namespaceKey, wrapped, Contexts.WrappedSecretKey(StoreId, ns.Id, secret.Id, generation, ns.KeyGeneration), "The new secret key");
        return new RotationResult($"secret '{secret.Name}'", generation, 1, holders.Count);
    }

    /// <summary>Reads back what a rotation wrote before the transaction commits: the canary and one wrapped secret key.</summary>
    private void VerifyNamespaceKey(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, int generation, SymmetricKey key)
    {
        using (var command = StoreDatabase.Command(connection, transaction, "SELECT canary_nonce, canary FROM namespace_keys WHERE namespace_id = $ns AND generation = $generation",
                   ("$ns", ns.Id.ToBlob()), ("$generation", generation)))
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            Aead.Open(key, new SealedData(reader.GetBlob(0), reader.GetBlob(1)), Contexts.Canary(StoreId, ns.Id, generation), "The new namespace key");
        }

        using var wrappedCommand = StoreDatabase.Command(connection, transaction,
            "SELECT secret_id, generation, nonce, wrapped_key FROM secret_keys WHERE namespace_generation = $generation AND secret_id IN (SELECT id FROM secrets WHERE namespace_id = $ns) LIMIT 1",
            ("$ns", ns.Id.ToBlob()), ("$generation", generation));
        using var wrappedReader = wrappedCommand.ExecuteReader();
        if (wrappedReader.Read())
        {
            using var opened = Aead.OpenKey(key, new SealedData(wrappedReader.GetBlob(2), wrappedReader.GetBlob(3)),
                Contexts.WrappedSecretKey(StoreId, ns.Id, wrappedReader.GetUuid(0), wrappedReader.GetInt32(1), generation), "A new secret key");
        }
    }

    /// <summary>
    /// A namespace revoke covers the grantee's grants on the secrets in it, those it created included: each loses
    /// <paramref name="revoked"/>, and the grantee's stanzas for a secret go with its last Read or Write there (all of
    /// them when <paramref name="revoked"/> holds both). True when a stanza went.
    /// </summary>
    private bool RevokeSecretGrantsIn(SqliteConnection connection, StoreTransaction transaction, Guid grantee, NamespaceRecord ns, Permissions revoked)
    {
        var grants = new List<(Guid Secret, Permissions Flags)>();
        using (var command = StoreDatabase.Command(connection, transaction,
                   "SELECT p.scope_id, p.flags FROM permissions p JOIN secrets s ON p.scope_kind = 2 AND p.scope_id = s.id WHERE p.client_id = $client AND s.namespace_id = $ns",
                   ("$client", grantee.ToBlob()), ("$ns", ns.Id.ToBlob())))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                grants.Add((reader.GetUuid(0), (Permissions)reader.GetInt32(1)));
            }
        }

        var removed = 0;
        foreach (var (secretId, flags) in grants)
        {
            SetPermission(connection, transaction, grantee, ScopeKind.Secret, secretId, flags & ~revoked);
            if ((flags & ~revoked & KeyFlags) == 0)
            {
                removed += DeleteStanzas(connection, transaction, grantee, ScopeKind.Secret, secretId);
            }
        }

        if ((revoked & KeyFlags) == KeyFlags)
        {
            removed += StoreDatabase.Execute(connection, transaction,
                "DELETE FROM stanzas WHERE client_id = $client AND scope_kind = 2 AND scope_id IN (SELECT id FROM secrets WHERE namespace_id = $ns)",
                ("$client", grantee.ToBlob()), ("$ns", ns.Id.ToBlob()));
        }

        return removed > 0;
    }

    /// <summary>Wraps every generation of the scope's key to the grantee (namespace keys, or one secret's keys).</summary>
    private void WrapScopeKeys(SqliteConnection connection, StoreTransaction transaction, ClientRecord grantee, NamespaceRecord ns, SecretRecord? secret)
    {
        for (var generation = 1; generation <= (secret?.KeyGeneration ?? ns.KeyGeneration); generation++)
        {
            if (secret is null)
            {
                var key = NamespaceKey(connection, transaction, ns.Id, generation, $"namespace '{ns.Name}'");
                WriteStanza(connection, transaction, grantee.Id, grantee.PublicKey, ScopeKind.Namespace, ns.Id, generation, key, Contexts.NamespaceKey(StoreId, ns.Id, generation));
            }
            else
            {
                var key = SecretKey(connection, transaction, ns.Id, secret.Id, generation, $"secret '{secret.Name}'");
                WriteStanza(connection, transaction, grantee.Id, grantee.PublicKey, ScopeKind.Secret, secret.Id, generation, key, Contexts.SecretKey(StoreId, secret.Id, generation));
            }
        }
    }

    private void RequireGrantable(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, SecretRecord? secret, Permissions permissions)
    {
        if (Role == ClientRole.System)
        {
            return;
        }

        var held = EffectivePermissions(connection, transaction, ns.Id, secret?.Id);
        var scope = ScopeName(ns, secret);
        Require(held, Permissions.Permit, scope);
        var missing = permissions & ~held;
        if (missing != Permissions.None)
        {
            throw new AccessDeniedException($"Client '{ClientName}' cannot grant or revoke {missing} on {scope}: it does not hold {missing} itself.", scope);
        }
    }

    private static (NamespaceRecord Namespace, SecretRecord? Secret) ResolveScope(SqliteConnection connection, StoreTransaction transaction, string ns, string? secret)
    {
        var namespaceRecord = RequireNamespace(connection, transaction, ns);
        if (secret is null)
        {
            return (namespaceRecord, null);
        }

        return (namespaceRecord, FindSecret(connection, transaction, namespaceRecord.Id, secret)
                                 ?? throw new NotFoundException($"Secret '{secret}' does not exist in namespace '{namespaceRecord.Name}'.", secret));
    }

    private static Permissions HeldDirectly(SqliteConnection connection, StoreTransaction transaction, Guid clientId, ScopeKind kind, Guid scopeId) =>
        StoreDatabase.Scalar(connection, transaction, "SELECT flags FROM permissions WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob())) is long flags ? (Permissions)flags : Permissions.None;

    /// <summary>Writes a client's flags on a scope, or removes the row when none are left.</summary>
    private void SetPermission(SqliteConnection connection, StoreTransaction transaction, Guid clientId, ScopeKind kind, Guid scopeId, Permissions flags)
    {
        if (flags != Permissions.None)
        {
            WritePermission(connection, transaction, clientId, kind, scopeId, flags);
            return;
        }

        StoreDatabase.Execute(connection, transaction, "DELETE FROM permissions WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob()));
    }

    private static bool HasStanza(SqliteConnection connection, StoreTransaction transaction, Guid clientId, ScopeKind kind, Guid scopeId) =>
        StoreDatabase.Scalar(connection, transaction, "SELECT 1 FROM stanzas WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope LIMIT 1",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob())) is not null;

    private static int DeleteStanzas(SqliteConnection connection, StoreTransaction transaction, Guid clientId, ScopeKind kind, Guid scopeId) =>
        StoreDatabase.DeleteConfirmed(connection, transaction, "stanzas", "client_id = $client AND scope_kind = $kind AND scope_id = $scope", "the revoked client's keys",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob()));

    // Without signatures (store format 1) a rotating client cannot prove who was granted what; it can insist that
    // the rows agree. A recipient of a new key generation is a client, not retired and not the one being revoked or
    // retired, that has a Read or Write permission row on the scope AND a stanza for its current generation. A stanza
    // with no such permission row is something no SecretOps command writes: the rotation is refused as tampered.
    private static readonly string GrantedStanza =
        $"JOIN clients c ON c.id = st.client_id JOIN permissions p ON p.client_id = st.client_id AND p.scope_kind = st.scope_kind AND p.scope_id = st.scope_id AND (p.flags & {(int)KeyFlags}) != 0 " +
        $"WHERE c.status != {(int)ClientStatus.Retired} AND ($excluded IS NULL OR st.client_id != $excluded)";

    /// <summary>The clients a new generation of this scope's key is wrapped to (see <see cref="GrantedStanza"/>).</summary>
    private static List<Guid> Recipients(SqliteConnection connection, StoreTransaction transaction, ScopeKind kind, Guid scopeId, int generation, Guid? excluded)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            $"SELECT st.client_id FROM stanzas st {GrantedStanza} AND st.scope_kind = $kind AND st.scope_id = $scope AND st.generation = $generation",
            ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$generation", generation), ("$excluded", excluded?.ToBlob()));
        using var reader = command.ExecuteReader();
        var recipients = new List<Guid>();
        while (reader.Read())
        {
            recipients.Add(reader.GetUuid(0));
        }

        return recipients;
    }

    /// <summary>The recipients of every secret's new key generation in a namespace, by (secret, current generation), in one query.</summary>
    private static Dictionary<(Guid Secret, int Generation), List<Guid>> SecretRecipientsIn(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId, Guid? excluded)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            $"SELECT st.scope_id, st.generation, st.client_id FROM stanzas st JOIN secrets s ON st.scope_kind = 2 AND st.scope_id = s.id AND st.generation = s.key_generation {GrantedStanza} AND s.namespace_id = $ns",
            ("$ns", namespaceId.ToBlob()), ("$excluded", excluded?.ToBlob()));
        using var reader = command.ExecuteReader();
        var recipients = new Dictionary<(Guid, int), List<Guid>>();
        while (reader.Read())
        {
            var key = (reader.GetUuid(0), reader.GetInt32(1));
            if (!recipients.TryGetValue(key, out var list))
            {
                recipients[key] = list = new List<Guid>();
            }

            list.Add(reader.GetUuid(2));
        }

        return recipients;
    }

    /// <summary>
    /// Refuses to rotate a scope (a namespace with its secrets, or one secret) holding a stanza for a client with no
    /// Read or Write permission row there, or a retired one: no command writes such a row, so someone altered the
    /// file, and wrapping the new key to it would hand the key to whoever planted it. Names the first such client.
    /// </summary>
    private static void RefuseUngrantedStanzas(SqliteConnection connection, StoreTransaction transaction, NamespaceRecord ns, SecretRecord? secret)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            """
            SELECT c.name, st.scope_kind, s.name FROM stanzas st
            JOIN clients c ON c.id = st.client_id
            LEFT JOIN secrets s ON st.scope_kind = 2 AND s.id = st.scope_id
            LEFT JOIN permissions p ON p.client_id = st.client_id AND p.scope_kind = st.scope_kind AND p.scope_id = st.scope_id AND (p.flags & $keyFlags) != 0
            WHERE (p.client_id IS NULL OR c.status = $retired)
              AND CASE WHEN $secret IS NULL THEN (st.scope_kind = 1 AND st.scope_id = $ns) OR s.namespace_id = $ns ELSE st.scope_kind = 2 AND st.scope_id = $secret END
            ORDER BY c.name LIMIT 1
            """,
            ("$ns", ns.Id.ToBlob()), ("$secret", secret?.Id.ToBlob()), ("$keyFlags", (int)KeyFlags), ("$retired", (int)ClientStatus.Retired));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return;
        }

        var client = reader.GetString(0);
        var scope = reader.GetInt32(1) == (int)ScopeKind.Namespace ? $"namespace '{ns.Name}'" : $"secret '{reader.GetString(2)}' in namespace '{ns.Name}'";
        var revoke = reader.GetInt32(1) == (int)ScopeKind.Namespace ? $"--namespace {ns.Name}" : $"--secret {reader.GetString(2)} --namespace {ns.Name}";
        throw new TamperedException(scope,
            $"Client '{client}' has a key stanza for {scope} but no grant there: a row no SecretOps command writes, so the store was altered. "
            + $"Nothing was rotated. Find out who wrote it (audit verify, store check), then remove it with 'secretops revoke {client} {revoke}' before rotating.");
    }

    private static List<(Guid Id, int KeyGeneration)> SecretsIn(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId)
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT id, key_generation FROM secrets WHERE namespace_id = $ns", ("$ns", namespaceId.ToBlob()));
        using var reader = command.ExecuteReader();
        var secrets = new List<(Guid, int)>();
        while (reader.Read())
        {
            secrets.Add((reader.GetUuid(0), reader.GetInt32(1)));
        }

        return secrets;
    }

    private static ClientPublicKey PublicKeyOf(SqliteConnection connection, StoreTransaction transaction, Guid clientId, Dictionary<Guid, ClientPublicKey> cache)
    {
        if (!cache.TryGetValue(clientId, out var key))
        {
            cache[clientId] = key = ClientPublicKey.FromSubjectPublicKeyInfo((byte[])StoreDatabase.Scalar(connection, transaction,
                "SELECT public_key FROM clients WHERE id = $id", ("$id", clientId.ToBlob()))!);
        }

        return key;
    }

    private static bool HasOtherHolder(SqliteConnection connection, StoreTransaction transaction, ScopeKind kind, Guid scopeId, Guid excluded) =>
        StoreDatabase.Scalar(connection, transaction,
            "SELECT 1 FROM stanzas s JOIN clients c ON c.id = s.client_id WHERE s.scope_kind = $kind AND s.scope_id = $scope AND s.client_id != $excluded AND c.status = $active LIMIT 1",
            ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$excluded", excluded.ToBlob()), ("$active", (int)ClientStatus.Active)) is not null;

    private bool HoldsKey(SqliteConnection connection, StoreTransaction transaction, ScopeKind kind, Guid scopeId, int generation) =>
        StoreDatabase.Scalar(connection, transaction, "SELECT 1 FROM stanzas WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope AND generation = $generation",
            ("$client", ClientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$generation", generation)) is not null;

    private static string NamespaceName(SqliteConnection connection, StoreTransaction transaction, Guid id) =>
        (string)StoreDatabase.Scalar(connection, transaction, "SELECT name FROM namespaces WHERE id = $id", ("$id", id.ToBlob()))!;

    private static NamespaceRecord LoadNamespace(SqliteConnection connection, StoreTransaction transaction, Guid id) =>
        RequireNamespace(connection, transaction, NamespaceName(connection, transaction, id));

    private static SecretRecord LoadSecret(SqliteConnection connection, StoreTransaction transaction, Guid id)
    {
        using var command = StoreDatabase.Command(connection, transaction, $"SELECT {SecretColumns} FROM secrets s WHERE id = $id", ("$id", id.ToBlob()));
        using var reader = command.ExecuteReader();
        reader.Read();
        return ReadSecret(reader);
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
