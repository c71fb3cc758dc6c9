using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

/// <summary>What a key is for: a namespace's key or one secret's key.</summary>
internal enum ScopeKind
{
    Namespace = 1,
    Secret = 2,
}

/// <summary>
/// A client connected to a store: its private key unlocked, the namespace and secret keys it has
/// unwrapped cached, until <see cref="Dispose"/> or the idle timeout wipes them. The connect and the reads
/// are audited once per command (<see cref="FlushAudit"/>, or on dispose), or with the next change: every
/// change is audited in its own transaction, after the entries still waiting.
/// </summary>
public sealed partial class Session : IDisposable
{
    private readonly ClientPrivateKey privateKey;
    private readonly SessionOptions options;
    private readonly Dictionary<(ScopeKind Kind, Guid Id, int Generation), SymmetricKey> keys = new();
    private readonly List<AuditRecord> pendingAudit = new();
    private readonly object gate = new();
    private DateTimeOffset lastActivity = DateTimeOffset.UtcNow;
    private bool closed;

    internal Session(SecretStore store, ClientRecord client, ClientPrivateKey privateKey, SessionOptions options)
    {
        Store = store;
        Client = client;
        this.privateKey = privateKey;
        this.options = options;
    }

    /// <summary>The store.</summary>
    public SecretStore Store { get; }

    /// <summary>The connected client's id.</summary>
    public Guid ClientId => Client.Id;

    /// <summary>The connected client's name.</summary>
    public string ClientName => Client.Name;

    /// <summary>The connected client's role.</summary>
    public ClientRole Role => Client.Role;

    /// <summary>The namespace to use when a command names none (from the connection's profile or flags).</summary>
    public string DefaultNamespace => options.DefaultNamespace;

    /// <summary>Idle time after which the session locks itself.</summary>
    public TimeSpan IdleTimeout => options.IdleTimeout;

    /// <summary>False once disposed or timed out.</summary>
    public bool IsOpen
    {
        get
        {
            lock (gate)
            {
                return !closed && !IdleExpired;
            }
        }
    }

    internal ClientRecord Client { get; }

    private Guid StoreId => Store.StoreId;

    private bool IdleExpired => options.IdleTimeout != Timeout.InfiniteTimeSpan && DateTimeOffset.UtcNow - lastActivity > options.IdleTimeout;

    /// <summary>Writes the audit entries of reads made so far (one transaction).</summary>
    public void FlushAudit()
    {
        var pending = TakePending();
        if (pending.Length == 0)
        {
            return;
        }

        if (Store.IsReadOnly)
        {
            throw StoreUnavailableException.ReadOnly($"The store is read-only: {pending.Length} read(s) could not be recorded in the audit log.", Store.Path);
        }

        try
        {
            Store.Database.Write((connection, transaction) =>
            {
                AuditLog.Append(connection, transaction, StoreId, options.Surface, pending);
                return 0;
            });
        }
        catch (SqliteException e)
        {
            throw SecretStore.Unusable(Store.Path, e);
        }
    }

    /// <summary>Flushes pending audit entries (best effort) and wipes every key this session holds.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (closed)
            {
                return;
            }
        }

        try
        {
            if (!Store.IsReadOnly)
            {
                FlushAudit();
            }
        }
        catch (Exception e) when (e is SqliteException or SecretOpsException)
        {
            // Disposal must still wipe the keys.
        }
        finally
        {
            Lock();
        }
    }

    /// <summary>Updates last-used at most once a minute, so reads do not each cost a write.</summary>
    internal void NoteUse()
    {
        if (Store.IsReadOnly || Client.LastUsed is { } last && DateTimeOffset.UtcNow - last < TimeSpan.FromMinutes(1))
        {
            return;
        }

        Store.Database.Write((connection, transaction) =>
        {
            StoreDatabase.Execute(connection, transaction, "UPDATE clients SET last_used_at = $now WHERE id = $id",
                ("$now", DateTimeOffset.UtcNow.ToUnixMilliseconds()), ("$id", ClientId.ToBlob()));
            return 0;
        });
    }

    /// <summary>Checks the session is usable and records activity; an idle-expired session locks itself.</summary>
    private void Touch()
    {
        lock (gate)
        {
            if (!closed && IdleExpired)
            {
                WipeKeys();
                privateKey.Dispose();
                closed = true;
                throw new StoreLockedException($"The session for client '{ClientName}' was idle longer than {options.IdleTimeout} and has been locked; connect again.", ClientName);
            }

            if (closed)
            {
                throw new StoreLockedException($"The session for client '{ClientName}' is closed; connect again.", ClientName);
            }

            lastActivity = DateTimeOffset.UtcNow;
        }
    }

    private void Lock()
    {
        lock (gate)
        {
            WipeKeys();
            privateKey.Dispose();
            closed = true;
        }
    }

    private void WipeKeys()
    {
        foreach (var key in keys.Values)
        {
            key.Dispose();
        }

        keys.Clear();
    }

    /// <summary>
    /// Records the connect (<c>client.connect</c>, ok) with the session's next audit write, so connecting costs no
    /// transaction of its own. A read-only store records nothing, as for a failed connect.
    /// </summary>
    internal void RecordConnect()
    {
        if (!Store.IsReadOnly)
        {
            RecordRead(Audit("client.connect", null, null, null));
        }
    }

    private void RecordRead(AuditRecord record)
    {
        lock (gate)
        {
            pendingAudit.Add(record);
        }
    }

    /// <summary>Takes the entries waiting to be written; <see cref="ReturnPending"/> puts them back if the write fails.</summary>
    private AuditRecord[] TakePending()
    {
        lock (gate)
        {
            AuditRecord[] pending = [.. pendingAudit];
            pendingAudit.Clear();
            return pending;
        }
    }

    private void ReturnPending(AuditRecord[] pending)
    {
        lock (gate)
        {
            pendingAudit.InsertRange(0, pending);
        }
    }

    private AuditRecord Audit(string action, string? ns, string? target, int? version, string outcome = AuditRecord.Ok, string? errorId = null) =>
        new(ClientId, ClientName, action, ns, target, version, outcome, errorId);

    /// <summary>
    /// Runs a change in one write transaction, its audit entry inside it, after the entries still waiting (the
    /// connect, reads not yet flushed). When it fails for a reason worth recording (denied, conflict, missing,
    /// tampered), the failure is audited in a transaction of its own, and the waiting entries keep waiting.
    /// </summary>
    private T Change<T>(string action, string? ns, string? target, Func<SqliteConnection, StoreTransaction, (T Result, int? Version)> body)
    {
        Touch();
        var pending = TakePending();
        var written = false;
        try
        {
            var changed = Store.Database.Write((connection, transaction) =>
            {
                EnsureStillActive(connection, transaction);
                var (result, version) = body(connection, transaction);
                AuditLog.Append(connection, transaction, StoreId, options.Surface, [.. pending, Audit(action, ns, target, version)]);
                return result;
            });
            written = true;
            return changed;
        }
        catch (SecretOpsException e) when (e.Category != SecretOpsErrorCategory.InvalidArgument)
        {
            Store.TryAudit(options.Surface, Audit(action, ns, target, null, Outcome(e), e.ErrorId));
            throw;
        }
        catch (SqliteException e)
        {
            throw SecretStore.Unusable(Store.Path, e);
        }
        finally
        {
            if (!written)
            {
                ReturnPending(pending);
            }
        }
    }

    /// <summary>
    /// Runs a read in one snapshot; its audit entry (success or failure) waits for <see cref="FlushAudit"/>. When
    /// given, <paramref name="warm"/> is tried first outside a transaction: a single statement is its own
    /// snapshot, so a warm read that one statement answers skips BEGIN and COMMIT; it returns null to leave the
    /// read (and any error) to <paramref name="body"/>.
    /// </summary>
    private T Query<T>(string action, string? ns, string? target, Func<SqliteConnection, StoreTransaction, (T Result, int? Version, string Outcome)> body,
                       Func<SqliteConnection, (T Result, int? Version)?>? warm = null)
    {
        Touch();
        try
        {
            if (warm is not null && TryWarm(warm) is { } answered)
            {
                RecordRead(Audit(action, ns, target, answered.Version));
                return answered.Result;
            }

            var (result, version, outcome) = Store.Database.Read((connection, transaction) =>
            {
                EnsureStillActive(connection, transaction);
                return body(connection, transaction);
            });
            RecordRead(Audit(action, ns, target, version, outcome));
            return result;
        }
        catch (SecretOpsException e) when (e.Category != SecretOpsErrorCategory.InvalidArgument)
        {
            RecordRead(Audit(action, ns, target, null, Outcome(e), e.ErrorId));
            throw;
        }
        catch (SqliteException e)
        {
            throw SecretStore.Unusable(Store.Path, e);
        }
    }

    /// <summary>A warm attempt; a busy file leaves the read to the full path, which waits and retries.</summary>
    private TResult? TryWarm<TResult>(Func<SqliteConnection, TResult?> warm)
        where TResult : struct
    {
        try
        {
            return Store.Database.Use(warm);
        }
        catch (SqliteException e) when (StoreDatabase.IsBusy(e))
        {
            return null;
        }
    }

    /// <summary>
    /// A client disabled or retired while this session was open stops here, at its next operation, not at
    /// its next connect: the check reads one row inside the operation's own transaction.
    /// </summary>
    private void EnsureStillActive(SqliteConnection connection, StoreTransaction transaction)
    {
        var status = StoreDatabase.Scalar(connection, transaction, "SELECT status FROM clients WHERE id = $id", ("$id", ClientId.ToBlob()));
        if (status is not long value || (ClientStatus)value != ClientStatus.Active)
        {
            var now = status is long known ? ((ClientStatus)known).ToString().ToLowerInvariant() : "removed";
            throw new AuthenticationFailedException($"Client '{ClientName}' is {now}; this session can no longer be used.", ClientName);
        }
    }

    private static string Outcome(SecretOpsException e) =>
        e.Category == SecretOpsErrorCategory.AccessDenied ? AuditRecord.Denied : AuditRecord.Failed;

    /// <summary>The flags the client holds on a namespace and, when given, on a secret in it.</summary>
    private Permissions EffectivePermissions(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId, Guid? secretId)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            "SELECT flags FROM permissions WHERE client_id = $client AND ((scope_kind = 1 AND scope_id = $ns) OR (scope_kind = 2 AND scope_id = $secret))",
            ("$client", ClientId.ToBlob()), ("$ns", namespaceId.ToBlob()), ("$secret", secretId?.ToBlob()));
        using var reader = command.ExecuteReader();
        var flags = Permissions.None;
        while (reader.Read())
        {
            flags |= (Permissions)reader.GetInt32(0);
        }

        return flags;
    }

    private void Require(Permissions held, Permissions needed, string what)
    {
        if ((held & needed) != needed)
        {
            throw new AccessDeniedException($"Client '{ClientName}' lacks {needed} permission on {what}.", what);
        }
    }

    /// <summary>A namespace key generation, unwrapped from this client's stanza (cached).</summary>
    private SymmetricKey NamespaceKey(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId, int generation, string what) =>
        CachedKey(ScopeKind.Namespace, namespaceId, generation, () =>
            UnwrapOwnStanza(connection, transaction, ScopeKind.Namespace, namespaceId, generation, Contexts.NamespaceKey(StoreId, namespaceId, generation))
            ?? throw new AccessDeniedException($"Client '{ClientName}' holds no key for {what}.", what));

    /// <summary>
    /// A secret key generation: from this client's own stanza for the secret, or unwrapped with the
    /// namespace key generation that wrapped it.
    /// </summary>
    private SymmetricKey SecretKey(SqliteConnection connection, StoreTransaction transaction, Guid namespaceId, Guid secretId, int generation, string what) =>
        CachedKey(ScopeKind.Secret, secretId, generation, () =>
        {
            var own = UnwrapOwnStanza(connection, transaction, ScopeKind.Secret, secretId, generation, Contexts.SecretKey(StoreId, secretId, generation));
            if (own is not null)
            {
                return own;
            }

            using var command = StoreDatabase.Command(connection, transaction,
                "SELECT namespace_generation, nonce, wrapped_key FROM secret_keys WHERE secret_id = $id AND generation = $generation",
                ("$id", secretId.ToBlob()), ("$generation", generation));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                throw new TamperedException($"The key of {what}");
            }

            var namespaceGeneration = reader.GetInt32(0);
            // A generation the namespace never had is an altered row, not a key this client lacks.
            using var generationExists = StoreDatabase.Command(connection, transaction, "SELECT 1 FROM namespace_keys WHERE namespace_id = $ns AND generation = $generation",
                ("$ns", namespaceId.ToBlob()), ("$generation", namespaceGeneration));
            if (generationExists.ExecuteScalar() is null)
            {
                throw new TamperedException($"The key of {what}");
            }

            var namespaceKey = NamespaceKey(connection, transaction, namespaceId, namespaceGeneration, what);
            return Aead.OpenKey(namespaceKey, new SealedData(reader.GetBlob(1), reader.GetBlob(2)),
                                Contexts.WrappedSecretKey(StoreId, namespaceId, secretId, generation, namespaceGeneration), $"The key of {what}");
        });

    /// <summary>A key generation this session has already unwrapped, or null.</summary>
    private SymmetricKey? CachedKeyOrNull(ScopeKind kind, Guid id, int generation)
    {
        lock (gate)
        {
            return keys.GetValueOrDefault((kind, id, generation));
        }
    }

    private SymmetricKey CachedKey(ScopeKind kind, Guid id, int generation, Func<SymmetricKey> unwrap)
    {
        if (CachedKeyOrNull(kind, id, generation) is { } cached)
        {
            return cached;
        }

        var key = unwrap();
        lock (gate)
        {
            if (keys.TryAdd((kind, id, generation), key))
            {
                return key;
            }
        }

        key.Dispose();
        lock (gate)
        {
            return keys[(kind, id, generation)];
        }
    }

    private SymmetricKey? UnwrapOwnStanza(SqliteConnection connection, StoreTransaction transaction, ScopeKind kind, Guid scopeId, int generation, AssociatedData context)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            "SELECT algorithm, header, nonce, wrapped_key FROM stanzas WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope AND generation = $generation",
            ("$client", ClientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$generation", generation));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var stanza = new Stanza(ClientId, (StanzaAlgorithm)reader.GetInt32(0), reader.GetBlob(1), reader.GetBlob(2), reader.GetBlob(3));
        return stanza.Unwrap(privateKey, context);
    }

    /// <summary>Wraps a key to a client and stores the stanza.</summary>
    private static void WriteStanza(SqliteConnection connection, StoreTransaction transaction, Guid clientId, ClientPublicKey recipient, ScopeKind kind, Guid scopeId, int generation, SymmetricKey key, AssociatedData context)
    {
        var stanza = Stanza.Wrap(key, clientId, recipient, context);
        StoreDatabase.Execute(connection, transaction,
            "INSERT OR REPLACE INTO stanzas VALUES ($client, $kind, $scope, $generation, $algorithm, $header, $nonce, $key)",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$generation", generation),
            ("$algorithm", (int)stanza.Algorithm), ("$header", stanza.Header), ("$nonce", stanza.Nonce), ("$key", stanza.Ciphertext));
    }

    private void WritePermission(SqliteConnection connection, StoreTransaction transaction, Guid clientId, ScopeKind kind, Guid scopeId, Permissions flags) =>
        StoreDatabase.Execute(connection, transaction,
            "INSERT OR REPLACE INTO permissions VALUES ($client, $kind, $scope, $flags, $by, $now)",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$flags", (int)flags),
            ("$by", ClientId.ToBlob()), ("$now", DateTimeOffset.UtcNow.ToUnixMilliseconds()));

}
