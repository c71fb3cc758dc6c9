using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Keys;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

/// <summary>
/// A client connected to a store: the facade every surface calls. Each command validates its input, then runs as one
/// read (<see cref="Query"/>) or one change (<see cref="Change"/>) through the store's backend: it reads, decides with
/// the client's keys (<see cref="KeyRing"/>), and hands the backend one batch. The connect and the reads are audited once
/// per command (<see cref="FlushAudit"/>, or on dispose), or with the next change: every change is audited in its own
/// transaction, after the entries still waiting.
/// </summary>
public sealed partial class Session : IDisposable
{
    private readonly KeyRing keys;
    private readonly ClientSigningKey signingKey;
    private readonly AuditSigner auditSigner;
    private readonly KeyRotation rotation;
    private readonly SessionOptions options;
    private readonly PendingAudit pendingAudit = new();
    private readonly object gate = new();
    private DateTimeOffset lastActivity = DateTimeOffset.UtcNow;
    private bool closed;

    internal Session(SecretStore store, ClientRecord client, Crypto.ClientPrivateKey privateKey, ClientSigningKey signingKey, SessionOptions options)
    {
        Store = store;
        Client = client;
        this.options = options;
        this.signingKey = signingKey;
        auditSigner = new AuditSigner(client.Id, signingKey);
        keys = new KeyRing(privateKey, store.StoreId, client.Id, client.Name);
        rotation = new KeyRotation(keys, store.StoreId);
    }

    /// <summary>The store.</summary>
    public SecretStore Store { get; }

    /// <summary>The connected client's id.</summary>
    public Guid ClientId => Client.Id;

    /// <summary>The connected client's name.</summary>
    public string ClientName => Client.Name;

    /// <summary>The connected client's role, as the control log last verified by this process has it.</summary>
    public ClientRole Role => Store.Control.Latest?.Client(ClientId)?.Role ?? Client.Role;

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

    private IStoreBackend Backend => Store.Backend;

    private bool IdleExpired => options.IdleTimeout != Timeout.InfiniteTimeSpan && DateTimeOffset.UtcNow - lastActivity > options.IdleTimeout;

    /// <summary>Writes the audit entries of reads made so far (one transaction).</summary>
    public void FlushAudit()
    {
        var pending = pendingAudit.TakeAll();
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
            // Buffered: a read's entry reaches the store file before the value is returned, so a killed process keeps
            // it; only an operating-system crash before the next synced commit could lose it (SECURITY.md §6). A
            // change's own entry is always synced with the change.
            Backend.Write((reader, batch) =>
            {
                AuditLog.Append(reader, batch, StoreId, options.Surface, pending, auditSigner);
                return 0;
            }, CommitDurability.Buffered);
        }
        catch
        {
            pendingAudit.PutBack(pending);
            throw;
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
                if (Store.Control.Latest is { } latest)
                {
                    Store.SaveVerifiedHead(latest);
                }
            }
        }
        catch (SecretOpsException)
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

        Backend.Write((_, batch) =>
        {
            batch.Add(new NoteClientUse(ClientId, DateTimeOffset.UtcNow));
            return 0;
        });
    }

    /// <summary>
    /// Records the connect (<c>client.connect</c>, ok) with the session's next audit write, so connecting costs no
    /// transaction of its own. A read-only store records nothing, as for a failed connect.
    /// </summary>
    internal void RecordConnect()
    {
        if (!Store.IsReadOnly)
        {
            pendingAudit.Add(Audit(AuditActions.ClientConnect, null, null, null));
        }
    }

    /// <summary>Checks the session is usable and records activity; an idle-expired session locks itself.</summary>
    private void Touch()
    {
        lock (gate)
        {
            if (!closed && IdleExpired)
            {
                keys.Dispose();
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
            keys.Dispose();
            signingKey.Dispose();
            closed = true;
        }
    }

    private AuditRecord Audit(string action, string? ns, string? target, int? version, string outcome = AuditRecord.Ok, string? errorId = null) =>
        new(ClientId, ClientName, action, ns, target, version, outcome, errorId);

    /// <summary>
    /// Runs a change: <paramref name="body"/> reads and fills the batch, which the backend commits with the change's
    /// audit entry, after the entries still waiting (the connect, reads not yet flushed). When it fails for a reason
    /// worth recording (denied, conflict, missing, tampered), the failure is audited in a transaction of its own, and the
    /// waiting entries keep waiting.
    /// </summary>
    private T Change<T>(string action, string? ns, string? target, Func<IStoreReader, WriteBatch, (T Result, int? Version)> body)
    {
        Touch();
        var pending = pendingAudit.TakeAll();
        var written = false;
        try
        {
            AccessState? committed = null;
            var changed = Backend.Write((reader, batch) =>
            {
                var verified = Verified(reader);
                EnsureStillActive(verified);
                var (result, version) = body(verified, batch);
                AuditLog.Append(verified, batch, StoreId, options.Surface, [.. pending, Audit(action, ns, target, version)], auditSigner);
                committed = verified.Pending;
                return result;
            });
            written = true;
            Store.Control.Adopt(committed!);
            return changed;
        }
        catch (SecretOpsException e) when (e.Category != SecretOpsErrorCategory.InvalidArgument)
        {
            Store.TryAudit(options.Surface, Audit(action, ns, target, null, Outcome(e), e.ErrorId), auditSigner);
            throw;
        }
        finally
        {
            if (!written)
            {
                pendingAudit.PutBack(pending);
            }
        }
    }

    /// <summary>
    /// Runs a read in one snapshot; its audit entry (success or failure) waits for <see cref="FlushAudit"/>. When
    /// given, <paramref name="warm"/> is tried first without a transaction: one lookup is its own snapshot, so a warm
    /// read that one lookup answers skips BEGIN and COMMIT; it returns null to leave the read (and any error) to
    /// <paramref name="body"/>.
    /// </summary>
    private T Query<T>(string action, string? ns, string? target, Func<IStoreReader, (T Result, int? Version, string Outcome)> body,
                       Func<VerifiedReader, (T Result, int? Version)?>? warm = null)
    {
        Touch();
        try
        {
            if (warm is not null && Store.Control.Latest is { } known
                && Backend.TryReadOnce(reader => warm(new VerifiedReader(reader, known, ClientId, null, Store.Control.Versions))) is { } answered)
            {
                pendingAudit.Add(Audit(action, ns, target, answered.Version));
                return answered.Result;
            }

            var (result, version, outcome) = Backend.Read(reader =>
            {
                var verified = Verified(reader);
                EnsureStillActive(verified);
                return body(verified);
            });
            pendingAudit.Add(Audit(action, ns, target, version, outcome));
            return result;
        }
        catch (SecretOpsException e) when (e.Category != SecretOpsErrorCategory.InvalidArgument)
        {
            pendingAudit.Add(Audit(action, ns, target, null, Outcome(e), e.ErrorId));
            throw;
        }
    }

    /// <summary>
    /// A client disabled or retired while this session was open stops here, at its next operation, not at
    /// its next connect: the check reads one row inside the operation's own snapshot.
    /// </summary>
    private void EnsureStillActive(IStoreReader reader)
    {
        var status = reader.ClientStatus(ClientId);
        if (status != ClientStatus.Active)
        {
            var now = status is { } known ? known.ToString().ToLowerInvariant() : "removed";
            throw new AuthenticationFailedException($"Client '{ClientName}' is {now}; this session can no longer be used.", ClientName);
        }
    }

    /// <summary>The reader a command decides from: the snapshot's control log verified, rows checked against it.</summary>
    private VerifiedReader Verified(IStoreReader reader) => new(reader, Store.Control.Read(reader, Store.Path), ClientId, signingKey, Store.Control.Versions);

    /// <summary>Signs <paramref name="entry"/> into the control log within the command whose reader this is.</summary>
    private static void Sign(IStoreReader reader, WriteBatch batch, ControlEntry entry) => ((VerifiedReader)reader).Append(batch, entry);

    private static string Outcome(SecretOpsException e) =>
        e.Category == SecretOpsErrorCategory.AccessDenied ? AuditRecord.Denied : AuditRecord.Failed;

    private void Require(Permissions held, Permissions needed, string what)
    {
        if ((held & needed) != needed)
        {
            throw new AccessDeniedException($"Client '{ClientName}' lacks {needed} permission on {what}.", what);
        }
    }

    /// <summary>Writes a client's flags on a scope, or removes the grant when none are left.</summary>
    private void SetPermission(WriteBatch batch, Guid clientId, ScopeKind kind, Guid scopeId, Permissions flags) =>
        batch.Add(flags == Permissions.None
            ? new RemovePermission(clientId, kind, scopeId)
            : new PutPermission(clientId, kind, scopeId, flags, ClientId, DateTimeOffset.UtcNow));
}
