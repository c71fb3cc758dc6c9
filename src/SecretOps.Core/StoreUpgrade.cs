using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Crypto;
using SecretOps.Core.Keys;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

/// <summary>
/// Upgrades a format-1 store (its tables migrated, its control log empty) to format 2. An administrator checks the store as
/// format 1 can be checked (the storage's integrity, the audit chain, no key stanza without a grant) and then signs what it
/// holds as the control log's baseline: clients, namespaces and their key generations, secrets with every kept version
/// pinned by its value digest, grants, statuses. The baseline trusts what format 1 held: anyone who could write the file
/// before the upgrade may have shaped it. Every namespace is then rotated, so everything written afterwards goes under key
/// generations the log commits to. All in one transaction.
/// </summary>
/// <remarks>
/// The upgrading client makes every client's signing key (it needs only their public keys) and signs the baseline as the
/// System client; until a client re-keys, the upgrading administrator could sign as it. Format 1's key generations have no
/// commitment (their keys may be ones the administrator does not hold): the log records them as unknown, which only a
/// baseline may; their versions are still pinned by digest.
/// </remarks>
internal sealed class StoreUpgrade(SecretStore store, Surface surface)
{
    private readonly List<ControlEntry> baseline = [];
    private readonly Dictionary<Guid, ClientSigningKey> signingKeys = [];
    private int versions;
    private int grants;

    public StoreUpgradeResult Run(string client, ClientCredential credential) => store.Backend.Write((reader, batch) =>
    {
        if (reader.ControlHead() != 0)
        {
            throw new ConflictException($"'{store.Path}' is already in format 2; there is nothing to upgrade.", store.Path);
        }

        var upgrader = RequireAdministrator(reader, client);
        using var privateKey = store.UnlockPrivateKey(upgrader, credential, null);
        Check(reader);
        try
        {
            return Upgrade(reader, batch, upgrader, privateKey, credential);
        }
        finally
        {
            foreach (var key in signingKeys.Values)
            {
                key.Dispose();
            }

            signingKeys.Clear();
            baseline.Clear();
        }
    });

    private StoreUpgradeResult Upgrade(IStoreReader reader, WriteBatch batch, ClientRecord upgrader, ClientPrivateKey privateKey, ClientCredential credential)
    {
        var clients = reader.Clients();
        var system = clients.SingleOrDefault(c => c.Role == ClientRole.System)
            ?? throw new TamperedException("the clients", "The store does not have exactly one System client: it was altered. Nothing was upgraded.");
        foreach (var c in clients)
        {
            var (key, stanza) = SigningKeyStanza.Create(store.StoreId, c.Id, c.PublicKey);
            signingKeys[c.Id] = key;
            batch.Add(new PutSigningKey(stanza));
        }

        // The baseline, in an order its replay accepts: clients, namespaces with their generations, secrets with their
        // versions, grants; then (below) the rotations and the statuses.
        foreach (var c in clients.Where(c => c.Id != system.Id).OrderBy(c => c.Created))
        {
            baseline.Add(new Control.AddClient(c.Id, c.Name, c.Kind, c.Role, c.PublicKey.ExportSubjectPublicKeyInfo(), SpkiOf(c.Id)));
        }

        var namespaces = reader.Namespaces();
        var secretCount = 0;
        foreach (var ns in namespaces)
        {
            baseline.Add(new Control.CreateNamespace(ns.Id, ns.Name));
            for (var generation = 1; generation <= ns.KeyGeneration; generation++)
            {
                baseline.Add(new Control.NamespaceKeyGeneration(ns.Id, generation, new byte[KeyCommitment.Size]));
            }

            foreach (var secret in reader.Secrets(ns.Id))
            {
                AddSecret(reader, ns, secret);
                secretCount++;
            }
        }

        var permissionRows = reader.Permissions(null, null, null);
        var statuses = clients.Where(c => c.Status != ClientStatus.Active && c.Id != system.Id).ToList();
        var systemStatus = system.Status == ClientStatus.Active ? null : system;

        // Signing needs the count first: the genesis entry names how many entries the baseline holds.
        var state = SignBaseline(reader, batch, system, reader.LastAuditEntry()?.Sequence ?? 0, permissionRows, namespaces.Count, statuses.Count + (systemStatus is null ? 0 : 1));

        // Every namespace gets a generation the log commits to, for the holders format 1 granted, before any status change.
        var verified = new VerifiedReader(reader, state, system.Id, signingKeys[system.Id]);
        using (var keys = new KeyRing(privateKey.Clone(), store.StoreId, upgrader.Id, upgrader.Name))
        {
            var rotation = new KeyRotation(keys, store.StoreId);
            foreach (var ns in namespaces)
            {
                rotation.RotateNamespace(verified, batch, ns, null, excluded: null);
            }
        }

        state = verified.Pending;
        foreach (var c in statuses)
        {
            state = Append(batch, state, system.Id, c.Status == ClientStatus.Retired ? new Control.RetireClient(c.Id) : new Control.SetClientStatus(c.Id, c.Status));
        }

        if (systemStatus is not null)
        {
            // Nobody changes its own status: an active administrator signs the System client's.
            var admin = clients.FirstOrDefault(c => c.Role == ClientRole.Admin && c.Status == ClientStatus.Active)
                ?? throw new TamperedException("the clients", "The System client is not active, and no admin is: the store was altered. Nothing was upgraded.");
            state = Append(batch, state, admin.Id,
                systemStatus.Status == ClientStatus.Retired ? new Control.RetireClient(system.Id) : new Control.SetClientStatus(system.Id, systemStatus.Status));
        }

        // The upgrading client's envelope is bound to the new identity now; the others' when they next connect.
        if (upgrader.Protection is { } protection)
        {
            var kdf = protection.Kdf ?? store.Kdf;
            batch.Add(new ReplaceClientKey(upgrader.Id, upgrader.Kind, upgrader.PublicKey,
                ClientKeyProtection.Seal(privateKey, credential, kdf, new KeyBinding(store.StoreId, state.GenesisHash), upgrader.Id)));
        }

        AuditLog.Append(reader, batch, store.StoreId, surface, [new AuditRecord(upgrader.Id, upgrader.Name, AuditActions.StoreUpgrade, null, store.Path, null, AuditRecord.Ok, null)],
                        new AuditSigner(upgrader.Id, signingKeys[upgrader.Id]));
        store.Control.Adopt(state);
        return new StoreUpgradeResult(clients.Count, namespaces.Count, secretCount, versions, grants, state.Sequence);
    }

    /// <summary>The secret's creation, then each kept version under its key generation (format 1's versions are in generation order).</summary>
    private void AddSecret(IStoreReader reader, NamespaceRecord ns, SecretRecord secret)
    {
        var nameKey = Names.LookupKey(secret.Name);
        baseline.Add(new Control.CreateSecret(secret.Id, ns.Id, nameKey, new byte[KeyCommitment.Size]));
        var generation = 1;
        var kept = reader.Versions(secret.Id);
        if (kept.Count == 0 || kept[^1].Number != secret.CurrentVersion)
        {
            throw new TamperedException($"secret '{secret.Name}'", $"Secret '{secret.Name}' in namespace '{ns.Name}' has no row for its current version {secret.CurrentVersion}: the store was altered. Nothing was upgraded.");
        }

        foreach (var summary in kept)
        {
            var row = reader.Version(secret.Id, summary.Number)!;
            if (row.KeyGeneration < generation || row.KeyGeneration > secret.KeyGeneration)
            {
                throw new TamperedException($"secret '{secret.Name}'", $"Version {row.Number} of secret '{secret.Name}' names key generation {row.KeyGeneration}, out of order: the store was altered. Nothing was upgraded.");
            }

            for (; generation < row.KeyGeneration; generation++)
            {
                baseline.Add(new Control.SecretKeyGeneration(secret.Id, generation + 1, new byte[KeyCommitment.Size]));
            }

            var current = row.Number == secret.CurrentVersion;
            baseline.Add(new Control.PutVersion(secret.Id, row.Number, row.KeyGeneration, row.Type, KeyCommitment.OfValue(row.Value),
                current ? secret.Metadata : null, current ? secret.ExpiresAt?.ToUnixTimeMilliseconds() : null, summary.Created.ToUnixTimeMilliseconds(), 0));
            versions++;
        }

        for (; generation < secret.KeyGeneration; generation++)
        {
            baseline.Add(new Control.SecretKeyGeneration(secret.Id, generation + 1, new byte[KeyCommitment.Size]));
        }
    }

    /// <summary>
    /// Signs the genesis entry and the baseline as the System client (creating namespaces and secrets gave it every
    /// permission on them), then brings every grant to what format 1's rows hold, the System client's own included.
    /// </summary>
    private AccessState SignBaseline(IStoreReader reader, WriteBatch batch, ClientRecord system, long auditEntries, IReadOnlyList<PermissionRow> rows, int rotations, int statusChanges)
    {
        // The grant entries depend on the state the baseline reaches, and the genesis entry names how many entries the
        // baseline holds: a first replay (its length unknown, so unbounded) finds them, then the log is signed for good.
        var desired = rows.ToDictionary(r => (r.ClientId, new GrantScope(r.Kind, r.Kind == ScopeKind.Namespace ? r.NamespaceId : SecretIdOf(reader, r))), r => r.Flags);
        var probe = Sign(null, system, new UpgradeBaseline(int.MaxValue, auditEntries), baseline);
        baseline.AddRange(GrantEntries(probe, system.Id, signingKeys[system.Id], desired));
        grants = desired.Count;
        return Sign(batch, system, new UpgradeBaseline(baseline.Count + rotations + statusChanges, auditEntries), baseline);
    }

    /// <summary>Signs the genesis entry and <paramref name="entries"/> as the System client; adds them to the batch when one is given.</summary>
    private AccessState Sign(WriteBatch? batch, ClientRecord system, UpgradeBaseline marker, IEnumerable<ControlEntry> entries)
    {
        var genesis = new Genesis(store.StoreId, ControlReplay.Format, new KdfFloor(store.Kdf.MemoryKiB, store.Kdf.Iterations, store.Kdf.Parallelism),
            new GenesisClient(system.Id, system.Name, system.Kind, system.PublicKey.ExportSubjectPublicKeyInfo(), SpkiOf(system.Id)), marker);
        var state = Append(batch, null, system.Id, genesis);
        foreach (var entry in entries)
        {
            state = Append(batch, state, system.Id, entry);
        }

        return state;
    }

    /// <summary>The grant and revoke entries that take the System-authored baseline's grants to <paramref name="desired"/>.</summary>
    private static List<ControlEntry> GrantEntries(AccessState state, Guid systemId, ClientSigningKey key, Dictionary<(Guid Client, GrantScope Scope), Permissions> desired)
    {
        var entries = new List<ControlEntry>();
        var current = state;
        void Add(ControlEntry entry)
        {
            entries.Add(entry);
            (_, current) = ControlLog.Append(current, systemId, key, entry);
        }

        // The System client first takes off what it holds only as creator: namespace scopes, then each secret's.
        foreach (var kind in new[] { ScopeKind.Namespace, ScopeKind.Secret })
        {
            var held = current.Grants.GetValueOrDefault(systemId)?.Keys.Where(scope => scope.Kind == kind).ToList() ?? [];
            foreach (var scope in held)
            {
                var extra = current.Flags(systemId, scope.Kind, scope.ScopeId) & ~desired.GetValueOrDefault((systemId, scope), Permissions.None);
                if (extra != Permissions.None)
                {
                    Add(new Control.Revoke(systemId, scope.Kind, scope.ScopeId, extra));
                }
            }
        }

        foreach (var ((client, scope), flags) in desired.OrderBy(d => d.Key.Scope.Kind))
        {
            var missing = flags & ~current.Flags(client, scope.Kind, scope.ScopeId);
            if (missing != Permissions.None)
            {
                Add(new Control.Grant(client, scope.Kind, scope.ScopeId, missing));
            }
        }

        return entries;
    }

    private AccessState Append(WriteBatch? batch, AccessState? state, Guid author, ControlEntry entry)
    {
        var (signed, next) = ControlLog.Append(state, author, signingKeys[author], entry);
        batch?.Add(new AppendControl(signed.Sequence, signed.Encode()));
        return next;
    }

    private static Guid SecretIdOf(IStoreReader reader, PermissionRow row) =>
        (reader.FindSecret(row.NamespaceId, Names.LookupKey(row.Secret!)) ?? throw new TamperedException("a grant", $"A grant names secret '{row.Secret}', which does not exist.")).Id;

    private byte[] SpkiOf(Guid clientId) => signingKeys[clientId].VerifyingKey.ExportSubjectPublicKeyInfo();

    private static ClientRecord RequireAdministrator(IStoreReader reader, string client)
    {
        var record = reader.FindClient(client) ?? throw new AuthenticationFailedException($"There is no client '{Names.Printable(client)}' in this store.", client);
        if (record.Status != ClientStatus.Active || record.Role == ClientRole.Member)
        {
            throw new AccessDeniedException($"Client '{record.Name}' cannot upgrade the store: only an active administrator (System or Admin) signs its baseline.", record.Name);
        }

        return record;
    }

    /// <summary>What format 1 lets an administrator check before it vouches for the store.</summary>
    private void Check(IStoreReader reader)
    {
        if (reader.IntegrityCheck() is var integrity && integrity != "ok")
        {
            throw new StoreUnavailableException($"'{store.Path}' fails SQLite's integrity check ({integrity}); nothing was upgraded.", store.Path, corrupt: true);
        }

        if (AuditLog.Verify(reader, store.StoreId) is { IsValid: false } audit)
        {
            throw new TamperedException("the audit log", $"The audit chain is broken ({audit.Problem}): the store was altered. Nothing was upgraded; restore a backup you trust.");
        }

        foreach (var ns in reader.Namespaces())
        {
            if (reader.FirstUngrantedStanza(ns.Id, null, null) is { } stray)
            {
                throw new TamperedException($"namespace '{ns.Name}'",
                    $"Client '{stray.Client}' has a key stanza in namespace '{ns.Name}' but no grant there, a row no SecretOps command writes: the store was altered. Nothing was upgraded.");
            }
        }
    }
}
