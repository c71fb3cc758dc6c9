using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Remote;

/// <summary>
/// The store a server hosts (docs/SERVER-PROTOCOL.md §11): its log, and this instance's replica built from it. The server
/// holds no client's key, so it cannot read a value or sign an entry; what it can do is refuse what a verifying client
/// would refuse, before anyone else sees it. A write is applied only at the revision it was decided on, only from an
/// active client of the store, only with control entries that client signed and had the authority for (replayed on the
/// server's own verified view of the control log), and only with audit entries in its own name. A client the store has
/// disabled or retired, or does not hold, is served nothing at all: neither its changes nor a write.
/// </summary>
public sealed class HostedStore
{
    /// <summary>Entries one answer carries at most (a client asks again for the rest).</summary>
    public const int MaxEntriesPerAnswer = 512;

    /// <summary>The content one answer carries at most, except that one entry always goes.</summary>
    public const long MaxBytesPerAnswer = 16L << 20;

    private const string Location = "the hosted store";

    private readonly object gate = new();
    private readonly IStoreLog log;
    private readonly StoreReplica replica;
    private readonly TimeProvider time;
    private ControlView control = new();

    // The verified control state at the replica's revision, published after each catch-up and write so that a read checks
    // its client against it without the gate unless the log has moved on.
    private VerifiedRevision? verified;

    private HostedStore(IStoreLog log, StoreReplica replica, TimeProvider time)
    {
        this.log = log;
        this.replica = replica;
        this.time = time;
    }

    /// <summary>
    /// Opens the hosted store over <paramref name="log"/>, with this instance's replica in <paramref name="replicaDirectory"/>;
    /// one rebuilt from the log at every start need not be <paramref name="durableReplica"/> (no fsync of it per write).
    /// </summary>
    public static HostedStore Open(IStoreLog log, string replicaDirectory, TimeProvider? time = null, bool durableReplica = true)
    {
        ArgumentNullException.ThrowIfNull(log);
        // The directory is this instance's alone: nothing else changes the replica, so it is read once, here.
        var replica = StoreReplica.Open(replicaDirectory, durableReplica);
        replica.Refresh();
        return new HostedStore(log, replica, time ?? TimeProvider.System);
    }

    /// <summary>
    /// The changes after <paramref name="after"/> for <paramref name="clientId"/>: from 0, a snapshot of the whole store at
    /// the newest revision; otherwise the log's entries. A client ahead of the log holds another history:
    /// <see cref="ConflictException"/>. Only an active client of the store is served (<see cref="AuthenticationFailedException"/>);
    /// before a push there is nothing to hide, and the answer is empty.
    /// </summary>
    public StoreChanges Changes(Guid clientId, long after)
    {
        if (after < 0)
        {
            throw new InvalidParameterException("after", "'after' must be a revision, 0 or more.");
        }

        if (after > 0)
        {
            var head = log.Head();
            if (after > head)
            {
                throw new ConflictException($"The client's copy is at revision {after}, ahead of the server's {head}: it belongs to another history.", after);
            }

            RequireActiveClient(StateAt(head), clientId);

            // A writer may append between the two reads: the answer stops at the head it names.
            return new StoreChanges(head, log.Read(after, MaxEntriesPerAnswer, MaxBytesPerAnswer).Where(entry => entry.Revision <= head).ToList());
        }

        lock (gate)
        {
            CatchUp();
            if (replica.Backend is not { } backend)
            {
                return new StoreChanges(0, []);
            }

            RequireActiveClient(Verify(backend), clientId);
            using var work = Storage.StoreFiles.CreatePrivateDirectory();
            var copy = work.File("snapshot.db");
            Storage.StoreFiles.CreateOwnerOnlyFile(copy).Dispose();
            backend.BackupTo(copy);
            var snapshot = new StoreLogEntry(replica.Revision, StoreLogEntryKind.Snapshot, Guid.Empty, time.GetUtcNow(), File.ReadAllBytes(copy));
            return new StoreChanges(replica.Revision, [snapshot]);
        }
    }

    /// <summary>
    /// Applies <paramref name="encodedBatch"/> from <paramref name="clientId"/>, decided at <paramref name="baseRevision"/>;
    /// returns the new revision, or null when the store has moved on (the client syncs and decides again). A batch the
    /// client may not write is refused (<see cref="AccessDeniedException"/>, <see cref="TamperedException"/>).
    /// </summary>
    public long? Write(Guid clientId, long baseRevision, byte[] encodedBatch)
    {
        ArgumentNullException.ThrowIfNull(encodedBatch);
        WriteBatch batch;
        try
        {
            batch = WriteBatchCodec.Decode(encodedBatch);
        }
        catch (FormatException e)
        {
            throw new InvalidParameterException("batch", $"The request body is not a write batch: {e.Message}");
        }

        lock (gate)
        {
            CatchUp();
            if (replica.Backend is not { } backend)
            {
                throw new NotFoundException("The server hosts no store yet: push one first.", null);
            }

            if (baseRevision != replica.Revision)
            {
                return null;
            }

            var before = Verify(backend);
            CheckAuthorship(before, clientId, batch, backend.Read(reader => reader.LastAuditEntry()));
            var revision = baseRevision + 1;
            AccessState? after = null;
            try
            {
                replica.Apply(revision, batch,
                    check: reader =>
                    {
                        // A view of its own: the batch's entries are adopted only once it commits.
                        var view = new ControlView();
                        view.Adopt(before);
                        after = view.Read(reader, Location);
                        if (BatchCoverage.Problem(batch, after, clientId) is { } problem)
                        {
                            throw new AccessDeniedException($"Client {clientId:D} sent a change its control entries do not vouch for: {problem}.", clientId);
                        }
                    },
                    beforeCommit: () =>
                    {
                        if (!log.TryAppend(new StoreLogEntry(revision, StoreLogEntryKind.Batch, clientId, time.GetUtcNow(), encodedBatch)))
                        {
                            throw new RevisionTakenException();
                        }
                    });
            }
            catch (RevisionTakenException)
            {
                // Another instance wrote this revision first; this replica catches up on the next call.
                return null;
            }

            control.Adopt(after!);
            Volatile.Write(ref verified, new VerifiedRevision(revision, after!));
            return revision;
        }
    }

    /// <summary>
    /// Starts the hosted store from a whole store file (<c>secretops store push</c>): only into an empty log, only a store
    /// that passes every check a restore makes, and only from an active System or Admin client of that store.
    /// </summary>
    public long Push(Guid clientId, byte[] storeFile)
    {
        ArgumentNullException.ThrowIfNull(storeFile);
        lock (gate)
        {
            if (log.Head() != 0)
            {
                throw new ConflictException("The server already hosts a store; it is never replaced by a push.", null);
            }

            using (var work = Storage.StoreFiles.CreatePrivateDirectory())
            {
                var file = work.File("pushed.db");
                using (var stream = Storage.StoreFiles.CreateOwnerOnlyFile(file))
                {
                    stream.Write(storeFile);
                }

                SecretStore.VerifyBackup(file);
            }

            replica.Install(1, storeFile);
            try
            {
                var view = new ControlView();
                var state = replica.Backend!.Read(reader => view.Read(reader, Location));
                if (state.Client(clientId) is not { Status: ClientStatus.Active, Role: ClientRole.System or ClientRole.Admin })
                {
                    throw new AccessDeniedException($"Client {clientId:D} is not an active System or Admin client of the pushed store: only one may start a hosted store.", clientId);
                }

                if (!log.TryAppend(new StoreLogEntry(1, StoreLogEntryKind.Snapshot, clientId, time.GetUtcNow(), storeFile)))
                {
                    throw new ConflictException("Another push started the hosted store first.", null);
                }

                control = view;
                Volatile.Write(ref verified, new VerifiedRevision(1, state));
                return 1;
            }
            catch
            {
                replica.Clear();
                throw;
            }
        }
    }

    /// <summary>
    /// The verified control state at <paramref name="head"/> or later: the published one, or, when another instance moved
    /// the log on, this replica caught up and verified.
    /// </summary>
    private AccessState StateAt(long head)
    {
        if (Volatile.Read(ref verified) is { } known && known.Revision >= head)
        {
            return known.State;
        }

        lock (gate)
        {
            CatchUp();
            return Verify(replica.Backend ?? throw new StoreUnavailableException("The server's store log has entries but its replica holds no store; it is damaged.", Location, corrupt: true));
        }
    }

    /// <summary>The control log verified at the replica's revision, and published (call holding the gate, caught up).</summary>
    private AccessState Verify(IStoreBackend backend)
    {
        var state = backend.Read(reader => control.Read(reader, Location));
        Volatile.Write(ref verified, new VerifiedRevision(replica.Revision, state));
        return state;
    }

    /// <summary>
    /// The store serves only its active clients: a disabled, retired or unknown one is refused every request, from its next
    /// one, as a file store refuses its connect (the server's request audit records the refusal).
    /// </summary>
    private static ClientState RequireActiveClient(AccessState state, Guid clientId)
    {
        var client = state.Client(clientId)
            ?? throw new AuthenticationFailedException($"Client {clientId:D} is not a client of the hosted store: the server serves it nothing.", clientId);
        if (client.Status != ClientStatus.Active)
        {
            throw new AuthenticationFailedException($"Client '{client.Name}' is {client.Status.ToString().ToLowerInvariant()} in the hosted store: the server serves it nothing.", clientId);
        }

        return client;
    }

    /// <summary>
    /// What the server checks before a batch touches its replica: the writer is an active client of the store, every control
    /// entry is its own, and the audit entries follow the log's end, are its own and are signed as a verifying client
    /// requires (<see cref="Audit.AuditLog.ProblemWithAppended"/>).
    /// </summary>
    private static void CheckAuthorship(AccessState state, Guid clientId, WriteBatch batch, AuditLink? lastAudit)
    {
        var client = RequireActiveClient(state, clientId);
        foreach (var change in batch.Changes)
        {
            switch (change)
            {
                case AppendControl(var sequence, var entry) when ControlView.Decode(sequence, entry).AuthorId != clientId:
                    throw new AccessDeniedException($"Control entry {sequence} is not signed by client '{client.Name}', who sent it.", clientId);
                case AppendAudit(var entries) when Audit.AuditLog.ProblemWithAppended(lastAudit, entries, state.StoreId, state, clientId) is { } problem:
                    throw new AccessDeniedException($"Client '{client.Name}' sent audit entries the log would not verify. {problem}", clientId);
                case AppendAudit(var entries):
                    lastAudit = new AuditLink(entries[^1].Entry.Sequence, entries[^1].Hash);
                    break;
            }
        }
    }

    /// <summary>Brings the replica to the log's head: from the newest snapshot when it is empty, then each run of batches at once.</summary>
    private void CatchUp()
    {
        var head = log.Head();
        while (replica.Revision < head)
        {
            var from = replica.Revision;
            if (from == 0)
            {
                var snapshot = log.LatestSnapshot();
                if (snapshot == 0)
                {
                    throw new StoreUnavailableException("The server's store log has entries but no snapshot to start from; it is damaged.", Location, corrupt: true);
                }

                from = snapshot - 1;
            }

            var entries = log.Read(from, MaxEntriesPerAnswer, MaxBytesPerAnswer);
            if (entries.Count == 0)
            {
                throw new StoreUnavailableException($"The server's store log ends before its head ({head}); it is damaged.", Location, corrupt: true);
            }

            if (replica.Follow(entries, DecodeLogged))
            {
                control = new ControlView();
            }
        }
    }

    private static WriteBatch DecodeLogged(StoreLogEntry entry)
    {
        try
        {
            return WriteBatchCodec.Decode(entry.Content);
        }
        catch (FormatException e)
        {
            throw new StoreUnavailableException($"Revision {entry.Revision} of the server's store log is not a write batch; the log is damaged.", Location, corrupt: true, e);
        }
    }

    private sealed record VerifiedRevision(long Revision, AccessState State);

    /// <summary>Thrown inside the replica's transaction so that it rolls back when another instance took the revision.</summary>
    private sealed class RevisionTakenException : Exception
    {
    }
}
