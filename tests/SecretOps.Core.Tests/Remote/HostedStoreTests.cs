using System.Reflection;
using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Crypto;
using SecretOps.Core.Remote;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;
using Log = SecretOps.Core.Control;
using ScopeKind = SecretOps.Core.Storage.ScopeKind;

namespace SecretOps.Core.Tests.Remote;

/// <summary>
/// <see cref="HostedStore"/> against an attacker who is a client of the hosted store and sends the server write batches
/// of its own making: the server holds no key, so it can only refuse what a verifying client would refuse, and every
/// refusal must leave the log and the replica exactly as they were (the next honest write applies at the same revision).
/// Honest batches are captured from real commands run on a copy of the hosted store at the revision they are sent at.
/// Tests marked <c>Skip = "HOLE: …"</c> would be attacks that succeed; the three these tests found are closed.
/// </summary>
/// <remarks>
/// The store, built through the API as a file and pushed by System: <c>admin</c> (Admin) creates namespace <c>prod</c>
/// with secret <c>db</c> = "v1"; members <c>alice</c> (Read on prod), <c>bob</c> (Read and Write on prod) and
/// <c>eve</c> (nothing). All have generated secrets.
/// </remarks>
[Trait("Backend", "SqliteOnly")]
public sealed class HostedStoreTests : IDisposable
{
    private readonly TempStore store = new();
    private readonly TempDirectory work = new("secretops-hosted-");
    private readonly Dictionary<string, string> generated = new();
    private readonly MemoryStoreLog log = new();
    private HostedStore? hosted;
    private byte[] pushed = [];

    public HostedStoreTests()
    {
        using (var system = store.ConnectSystem())
        {
            AddGenerated(system, "admin", ClientRole.Admin);
        }

        using var admin = ConnectFile("admin");
        foreach (var member in new[] { "alice", "bob", "eve" })
        {
            AddGenerated(admin, member, ClientRole.Member);
        }

        admin.CreateNamespace("prod");
        admin.SetSecret("prod", "db", SecretValue.FromString("v1"));
        admin.Grant("alice", "prod", null, Permissions.Read);
        admin.Grant("bob", "prod", null, Permissions.Read | Permissions.Write);
    }

    public void Dispose()
    {
        SecretStore.ReleaseConnections();
        work.Dispose();
        store.Dispose();
    }

    private HostedStore Hosted => hosted ?? throw new InvalidOperationException("Push the store first.");

    private string ReplicaDirectory => work.File("replica");

    // ---------------------------------------------------------------- 1. an honest write

    [Fact]
    public void HonestBatch_FromARealCommand_AppliesAtTheHead_AndChangesReturnsItByteForByte()
    {
        Host();
        var batches = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        Assert.NotEmpty(batches);
        Assert.Contains(batches, b => WriteBatchCodec.Decode(b).Changes.OfType<AppendControl>().Any());

        foreach (var batch in batches)
        {
            var head = log.Head();
            Assert.Equal(head + 1, Hosted.Write(IdOf("admin"), head, batch));
            Assert.Equal(head + 1, log.Head());
            var changes = Hosted.Changes(Admin, head);
            Assert.Equal(head + 1, changes.Head);
            var entry = Assert.Single(changes.Entries);
            Assert.Equal((head + 1, StoreLogEntryKind.Batch, IdOf("admin")), (entry.Revision, entry.Kind, entry.ClientId));
            Assert.Equal(batch, entry.Content);
        }

        Assert.Equal("v2", ReadHosted("admin", "db"));
        Assert.Equal("v2", ReadHosted("bob", "db"));
    }

    // ---------------------------------------------------------------- 2. a stale write

    [Fact]
    public void BatchDecidedAtAnOldRevision_IsAConflict_NothingApplied_AndTheClientDecidesAgain()
    {
        Host();
        var fromAdmin = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("admin-v2")));
        var fromAlice = Capture("alice", alice => alice.GetSecret("prod", "db").Dispose());
        Assert.NotEmpty(fromAlice);
        ApplyAll("admin", fromAdmin);

        var before = State();
        Assert.Null(Hosted.Write(IdOf("alice"), 1, fromAlice[0]));
        Assert.Null(Hosted.Write(IdOf("alice"), log.Head() - 1, fromAlice[0]));
        Assert.Null(Hosted.Write(IdOf("alice"), log.Head() + 1, fromAlice[0]));
        AssertUnchanged(before);

        // Synced and decided again, the same command applies.
        ApplyAll("alice", Capture("alice", alice => alice.GetSecret("prod", "db").Dispose()));
        Assert.Equal("admin-v2", ReadHosted("admin", "db"));
    }

    // ---------------------------------------------------------------- 3. authority, checked by the server

    [Fact]
    public void MemberSigningAGrantToItself_WithItsRealKey_IsRefusedAsTampered_ForLackingPermit()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var eve = IdOf("eve");
        var forged = WithSession("eve", session =>
            Encode(Sign(eve, SigningKeyOf(session), new Log.Grant(eve, ScopeKind.Namespace, NamespaceId("prod"), Permissions.All))));

        var before = State();
        var error = Assert.Throws<TamperedException>(() => Hosted.Write(eve, log.Head(), forged));
        Assert.Contains("'eve' lacks Permit", error.Message);
        AssertUnchanged(before);

        // Promoting herself is refused the same way.
        var promoted = WithSession("eve", session => Encode(Sign(eve, SigningKeyOf(session), new Log.UpdateClient(eve, "eve", ClientRole.Admin))));
        Assert.Throws<TamperedException>(() => Hosted.Write(eve, log.Head(), promoted));
        AssertUnchanged(before);

        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
        Assert.Throws<AccessDeniedException>(() => ReadHosted("eve", "db"));
    }

    // ---------------------------------------------------------------- 4. authorship: the sender's own entries only

    [Fact]
    public void EntrySignedByTheAdmin_SentByEve_IsRefused_TheAuthorIsNotTheSender()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var eve = IdOf("eve");
        var admin = IdOf("admin");
        // An entry the admin really signed (a grant to eve: the attacker has it from another history, or asked for it).
        var signedByAdmin = WithSession("admin", session =>
            Encode(Sign(admin, SigningKeyOf(session), new Log.Grant(eve, ScopeKind.Namespace, NamespaceId("prod"), Permissions.All))));

        var before = State();
        foreach (var batch in honest.Append(signedByAdmin))
        {
            if (!WriteBatchCodec.Decode(batch).Changes.OfType<AppendControl>().Any())
            {
                continue;
            }

            var error = Assert.Throws<AccessDeniedException>(() => Hosted.Write(eve, log.Head(), batch));
            Assert.Contains("is not signed by client 'eve'", error.Message);
            AssertUnchanged(before);
        }

        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
    }

    // ---------------------------------------------------------------- 5. audit in another's name

    [Fact]
    public void AuditEntryInAnotherClientsName_IsRefused()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var audits = honest.SelectMany(b => WriteBatchCodec.Decode(b).Changes.OfType<AppendAudit>())
            .Where(a => a.Entries.Any(e => e.Entry.ClientId == IdOf("admin")))
            .ToList();
        Assert.NotEmpty(audits);

        var before = State();
        foreach (var audit in audits)
        {
            var error = Assert.Throws<AccessDeniedException>(() => Hosted.Write(IdOf("eve"), log.Head(), Encode(audit)));
            Assert.Contains("names another client than its sender", error.Message);
            AssertUnchanged(before);
        }

        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
    }

    // ---------------------------------------------------------------- 6. a disabled or retired client

    [Fact]
    public void DisabledClient_IsServedNothing_NotEvenItsOwnAuditEntries_UntilEnabledAgain()
    {
        using (var admin = ConnectFile("admin"))
        {
            admin.DisableClient("bob");
        }

        Host();
        var bob = IdOf("bob");
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var refusedConnect = Capture("bob", _ => Assert.Fail("a disabled client connected"), expectConnectRefused: true);
        var before = State();

        // Not the store, not the log after any revision, not a row, not his own control entry, not his own audit entries.
        foreach (var after in new long[] { 0, 1, log.Head() })
        {
            Assert.Contains("'bob' is disabled", Assert.Throws<AuthenticationFailedException>(() => Hosted.Changes(bob, after)).Message);
        }

        foreach (var batch in honest.Concat(refusedConnect).Append(Encode(new NoteClientUse(bob, DateTimeOffset.UtcNow))))
        {
            Assert.Contains("'bob' is disabled", Assert.Throws<AuthenticationFailedException>(() => Hosted.Write(bob, log.Head(), batch)).Message);
            AssertUnchanged(before);
        }

        // Enabled again (through the server), he is served from the next request on.
        ApplyAll("admin", Capture("admin", admin => admin.EnableClient("bob")));
        Assert.Equal(log.Head(), Hosted.Changes(bob, 1).Head);
        Assert.Equal("v1", ReadHosted("bob", "db"));
    }

    [Fact]
    public void ClientDisabledOrRetiredThroughTheServer_IsRefusedFromItsNextRequest()
    {
        Host();
        var alice = IdOf("alice");
        var bob = IdOf("bob");
        Assert.Equal(1, Hosted.Changes(alice, 0).Head);
        Assert.Empty(Hosted.Changes(bob, 1).Entries);

        ApplyAll("admin", Capture("admin", admin => admin.DisableClient("alice")));
        ApplyAll("admin", Capture("admin", admin => admin.RetireClient("bob")));

        Assert.Contains("'alice' is disabled", Assert.Throws<AuthenticationFailedException>(() => Hosted.Changes(alice, 1)).Message);
        Assert.Contains("'bob' is retired", Assert.Throws<AuthenticationFailedException>(() => Hosted.Changes(bob, 1)).Message);
        Assert.Contains("'bob' is retired", Assert.Throws<AuthenticationFailedException>(() => Hosted.Changes(bob, 0)).Message);

        // A second instance over the same log, not yet caught up, refuses them too: it catches up before it answers.
        var other = HostedStore.Open(log, work.File("other-replica"));
        Assert.Throws<AuthenticationFailedException>(() => other.Changes(alice, log.Head()));
        Assert.Equal(log.Head(), other.Changes(Admin, log.Head()).Head);
    }

    // ---------------------------------------------------------------- 7. a stranger

    [Fact]
    public void ClientIdNotInTheStore_IsServedNothing()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var stranger = Guid.NewGuid();
        var before = State();
        Assert.Contains("is not a client of the hosted store", Assert.Throws<AuthenticationFailedException>(() => Hosted.Changes(stranger, 0)).Message);
        Assert.Throws<AuthenticationFailedException>(() => Hosted.Changes(stranger, 1));
        foreach (var batch in honest.Append(Encode()).Append(Encode(new NoteClientUse(stranger, DateTimeOffset.UtcNow))))
        {
            var error = Assert.Throws<AuthenticationFailedException>(() => Hosted.Write(stranger, log.Head(), batch));
            Assert.Contains("is not a client of the hosted store", error.Message);
            AssertUnchanged(before);
        }

        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
    }

    // ---------------------------------------------------------------- 8. a malformed body

    [Fact]
    public void MalformedBody_IsAnInvalidParameter_NothingApplied()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var before = State();
        byte[][] bodies =
        [
            [],
            "not a batch"u8.ToArray(),
            honest[0][..^1],
            [.. honest[0], 0],
            new byte[4096],
        ];
        foreach (var body in bodies)
        {
            var error = Assert.Throws<InvalidParameterException>(() => Hosted.Write(IdOf("admin"), log.Head(), body));
            Assert.Contains("not a write batch", error.Message);
            AssertUnchanged(before);
        }

        // A well-formed batch carrying a control entry that does not decode is refused as tampered.
        var broken = Encode(new AppendControl(Replay().Sequence + 1, [1, 2, 3]));
        Assert.Throws<TamperedException>(() => Hosted.Write(IdOf("admin"), log.Head(), broken));
        AssertUnchanged(before);

        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
    }

    // ---------------------------------------------------------------- 9. push

    [Fact]
    public void Push_IntoANonEmptyLog_IsAConflict()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var before = State();
        Assert.Throws<ConflictException>(() => Hosted.Push(IdOf(SecretStore.SystemClientName), pushed));
        using (var other = new TempStore())
        {
            Assert.Throws<ConflictException>(() => Hosted.Push(IdOf(SecretStore.SystemClientName), StoreFile(other)));
        }

        AssertUnchanged(before);
        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
    }

    [Fact]
    public void Push_ByAMemberOrAStranger_IsRefused_AndTheLogStaysEmpty()
    {
        hosted = HostedStore.Open(log, ReplicaDirectory);
        var file = StoreFile(store);
        foreach (var client in new[] { IdOf("alice"), IdOf("eve"), Guid.NewGuid() })
        {
            var error = Assert.Throws<AccessDeniedException>(() => Hosted.Push(client, file));
            Assert.Contains("not an active System or Admin client", error.Message);
            AssertEmpty();
        }

        // An admin who was disabled may not either.
        using (var system = store.ConnectSystem())
        {
            system.DisableClient("admin");
        }

        var disabled = StoreFile(store);
        Assert.Throws<AccessDeniedException>(() => Hosted.Push(IdOf("admin"), disabled));
        AssertEmpty();

        Assert.Equal(1, Hosted.Push(IdOf(SecretStore.SystemClientName), disabled));
        Assert.Equal(1, log.Head());
    }

    [Fact]
    public void Push_OfSomethingNotASoundStore_IsRefused_AndTheLogStaysEmpty()
    {
        hosted = HostedStore.Open(log, ReplicaDirectory);
        var system = IdOf(SecretStore.SystemClientName);
        var sound = StoreFile(store);

        // Not a store at all; a store cut short.
        Assert.NotNull(Record.Exception(() => Hosted.Push(system, "SQLite format 3\0 but not really"u8.ToArray())));
        AssertEmpty();
        Assert.NotNull(Record.Exception(() => Hosted.Push(system, sound[..(sound.Length / 2)])));
        AssertEmpty();

        // An audit row rewritten with raw SQL: the backup check (the audit chain) refuses it.
        var audited = AlteredCopy(db => RawDb.Execute(db, "UPDATE audit SET client_name = 'mallory' WHERE sequence = (SELECT max(sequence) FROM audit)"));
        Assert.IsType<StoreUnavailableException>(Record.Exception(() => Hosted.Push(system, audited)));
        AssertEmpty();

        // A control log entry altered with raw SQL: the server's own replay of the log refuses it.
        var controlled = AlteredCopy(db => RawDb.FlipByte(db, "control_log", "entry", "sequence = (SELECT max(sequence) FROM control_log)", -1));
        Assert.IsType<TamperedException>(Record.Exception(() => Hosted.Push(system, controlled)));
        AssertEmpty();

        Assert.Equal(1, Hosted.Push(system, sound));
        Assert.Equal("v1", ReadHosted("admin", "db"));
    }

    // ---------------------------------------------------------------- 10. changes

    [Fact]
    public void ChangesFromZero_IsOneSnapshotThatOpensAsTheStore_AndAClientAheadIsAConflict()
    {
        hosted = HostedStore.Open(log, ReplicaDirectory);
        Assert.Equal((0L, 0), (Hosted.Changes(Admin, 0).Head, Hosted.Changes(Admin, 0).Entries.Count));
        Host();

        var first = Hosted.Changes(Admin, 0);
        Assert.Equal(1, first.Head);
        var snapshot = Assert.Single(first.Entries);
        Assert.Equal((1L, StoreLogEntryKind.Snapshot), (snapshot.Revision, snapshot.Kind));
        Assert.Equal("v1", ReadFrom(snapshot.Content, "alice", "db"));

        ApplyAll("admin", Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2"))));
        var head = log.Head();
        var later = Hosted.Changes(Admin, 0);
        Assert.Equal(head, later.Head);
        var newer = Assert.Single(later.Entries);
        Assert.Equal((head, StoreLogEntryKind.Snapshot), (newer.Revision, newer.Kind));
        Assert.Equal("v2", ReadFrom(newer.Content, "bob", "db"));
        Assert.Equal(later.Encode(), StoreChanges.Decode(later.Encode()).Encode());

        var ahead = Assert.Throws<ConflictException>(() => Hosted.Changes(Admin, head + 1));
        Assert.Contains("another history", ahead.Message);
        Assert.Throws<InvalidParameterException>(() => Hosted.Changes(Admin, -1));
        Assert.Empty(Hosted.Changes(Admin, head).Entries);
        Assert.Equal(head - 1, Hosted.Changes(Admin, 1).Entries.Count);
    }

    // ---------------------------------------------------------------- 11. the replica after a crash, a restarted server

    /// <summary>The replica directory read as the server reads it at start.</summary>
    private StoreReplica RefreshedReplica()
    {
        var replica = StoreReplica.Open(ReplicaDirectory);
        replica.Refresh();
        return replica;
    }

    [Fact]
    public void Replica_WithAChangeCutOff_OpensEmpty_AndIsRebuiltFromTheLog()
    {
        Host();
        ApplyAll("admin", Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2"))));
        var head = log.Head();
        var before = State();
        SecretStore.ReleaseConnections();
        hosted = null;

        // A change was cut off part way: the marker is there.
        File.WriteAllText(Path.Combine(ReplicaDirectory, "applying"), "1");
        Assert.Equal(0, RefreshedReplica().Revision);

        File.WriteAllText(Path.Combine(ReplicaDirectory, "applying"), "1");
        hosted = HostedStore.Open(log, ReplicaDirectory);
        Assert.Equal(before, State());
        Assert.Equal(head, RefreshedReplica().Revision);
        Assert.False(File.Exists(Path.Combine(ReplicaDirectory, "applying")));

        ApplyAll("admin", Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v3"))));
        Assert.Equal("v3", ReadHosted("bob", "db"));
    }

    [Fact]
    public void RestartedServer_OverTheSameLog_CatchesUpToTheHead_AndAcceptsTheNextWrite()
    {
        Host();
        ApplyAll("admin", Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2"))));
        var first = Hosted;
        var before = State();

        // Another instance (a restart, or a second server on the same database) with a replica of its own.
        hosted = HostedStore.Open(log, work.File("replica-2"));
        Assert.Equal(before, State());
        var next = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v3")));
        ApplyAll("admin", next);
        Assert.Equal("v3", ReadHosted("alice", "db"));

        // The first instance catches up before it decides anything: a write decided at its old head is a conflict.
        Assert.Null(first.Write(IdOf("admin"), log.Head() - next.Count, next[0]));
        hosted = first;
        Assert.Equal("v3", ReadHosted("alice", "db"));
        ApplyAll("admin", Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v4"))));
        Assert.Equal("v4", ReadHosted("alice", "db"));
    }

    // ---------------------------------------------------------------- another instance takes the revision

    [Fact]
    public void RevisionTakenByAnotherInstance_BetweenCheckAndAppend_ReturnsNull_AndTheReplicaRollsBack()
    {
        Host();
        var fromAdmin = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var fromAlice = Capture("alice", alice => alice.GetSecret("prod", "db").Dispose());
        var head = log.Head();

        // While this instance applies alice's batch, another instance appends the admin's first batch at the same revision.
        log.BeforeAppend = entry =>
        {
            log.BeforeAppend = null;
            Assert.True(log.TryAppend(new StoreLogEntry(entry.Revision, StoreLogEntryKind.Batch, IdOf("admin"), DateTimeOffset.UtcNow, fromAdmin[0])));
        };
        Assert.Null(Hosted.Write(IdOf("alice"), head, fromAlice[0]));
        Assert.Equal(1, log.Refused);
        Assert.Equal(head + 1, log.Head());
        Assert.Equal(fromAdmin[0], log.Entries[^1].Content);
        Assert.False(File.Exists(Path.Combine(ReplicaDirectory, "applying")));

        // The replica holds the other instance's revision, not alice's: it caught up from the log.
        foreach (var batch in fromAdmin.Skip(1))
        {
            Assert.Equal(log.Head() + 1, Hosted.Write(IdOf("admin"), log.Head(), batch));
        }

        Assert.Equal("v2", ReadHosted("alice", "db"));
        Assert.DoesNotContain(log.Entries, e => e.ClientId == IdOf("alice"));
        ApplyAll("alice", Capture("alice", alice => alice.GetSecret("prod", "db").Dispose()));
    }

    // ---------------------------------------------------------------- holes found by these tests, now closed

    /// <summary>
    /// Row changes with no control entry: an active member with no grant at all tries to remove the admin's secret (every
    /// version with its value), the admin's key stanzas and a namespace from the hosted store every client syncs from.
    /// The server refuses each: the control log with the batch applied still holds what the rows would remove.
    /// </summary>
    [Fact]
    public void MemberWithNoGrant_SendingRowChangesAlone_CannotDeleteAnothersSecret()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var before = State();
        foreach (var change in new StoreChange[] { new SecretOps.Core.Storage.RemoveSecret(SecretId("db")), new RemoveStanzas(IdOf("admin")), new SecretOps.Core.Storage.RemoveNamespace(NamespaceId("prod")) })
        {
            var error = Record.Exception(() => Hosted.Write(IdOf("eve"), log.Head(), Encode(change)));
            Assert.True(error is AccessDeniedException or TamperedException,
                $"eve's {change.GetType().Name} was {(error is null ? "applied" : "refused as " + error.GetType().Name)}; the admin now reads: {Describe(() => ReadHosted("admin", "db"))}");
            AssertUnchanged(before);
        }

        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
    }

    /// <summary>
    /// The server checks that an audit entry is in the sender's name and links to the end of the log, but not that its
    /// hash is the hash of its contents (nor its signature): any client appends an entry whose contents were changed after
    /// hashing, and the hosted store's audit chain is broken for good: every copy of it fails the check a restore or a
    /// push makes.
    /// </summary>
    [Fact]
    public void AuditEntryWhoseContentsDoNotMatchItsHash_IsRefused_EvenInTheSendersName()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var read = Capture("bob", bob => bob.GetSecret("prod", "db").Dispose())
            .SelectMany(batch => WriteBatchCodec.Decode(batch).Changes.OfType<AppendAudit>())
            .First();
        var real = read.Entries[0];
        var forged = Encode(new AppendAudit([real with { Entry = real.Entry with { Action = "secret.delete", Namespace = "prod", Target = "db", Outcome = "ok", ErrorId = null } }]));

        var before = State();
        var error = Record.Exception(() => Hosted.Write(IdOf("bob"), log.Head(), forged));
        Assert.True(error is AccessDeniedException or TamperedException,
            $"bob's forged audit entry was {(error is null ? "applied" : "refused as " + error.GetType().Name)}; the hosted store's backup check now says: {Describe(() => VerifyHostedBackup())}");
        AssertUnchanged(before);

        ApplyAll("admin", honest);
        VerifyHostedBackup();
    }

    /// <summary>
    /// An audit entry that names no client id passes the server's check whoever sends it, whatever client name it
    /// carries: eve appends, correctly chained, an entry saying the admin deleted prod/db. It needs no signature (it names
    /// no client id), so the hosted store's audit chain verifies with it, counted only as unsigned.
    /// </summary>
    [Fact]
    public void AuditEntryWithNoClientId_InAnotherClientsName_IsRefused()
    {
        Host();
        var honest = Capture("admin", admin => admin.SetSecret("prod", "db", SecretValue.FromString("v2")));
        var next = honest.SelectMany(b => WriteBatchCodec.Decode(b).Changes.OfType<AppendAudit>()).First().Entries[0];
        var entry = new AuditEntry(next.Entry.Sequence, DateTimeOffset.UtcNow, null, "admin", "secret.delete", "prod", "db", null, "ok", null,
                                   next.Entry.Host, next.Entry.OsUser, next.Entry.ProcessId, next.Entry.Surface);
        var hash = (byte[])typeof(Audit.AuditLog).GetMethod("Hash", BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [entry, next.PreviousHash])!;
        var forged = Encode(new AppendAudit([new ChainedAuditEntry(entry, next.PreviousHash, hash, null)]));

        var before = State();
        var error = Record.Exception(() => Hosted.Write(IdOf("eve"), log.Head(), forged));
        Assert.True(error is AccessDeniedException,
            $"eve's audit entry in the admin's name was {(error is null ? "applied" : "refused as " + error.GetType().Name)}; the hosted store's backup check now says: {Describe(() => VerifyHostedBackup())}");
        AssertUnchanged(before);

        ApplyAll("admin", honest);
        Assert.Equal("v2", ReadHosted("admin", "db"));
    }

    [Fact]
    public void MemoryStoreLog_KeepsTheStoreLogContract()
    {
        var memory = new MemoryStoreLog();
        Assert.Equal((0L, 0L), (memory.Head(), memory.LatestSnapshot()));
        Assert.Empty(memory.Read(0, 10, 10));
        Assert.Throws<ArgumentException>(() => memory.TryAppend(new StoreLogEntry(2, StoreLogEntryKind.Batch, Guid.Empty, DateTimeOffset.UtcNow, [1])));
        Assert.True(memory.TryAppend(new StoreLogEntry(1, StoreLogEntryKind.Snapshot, Guid.Empty, DateTimeOffset.UtcNow, [1, 2, 3])));
        Assert.False(memory.TryAppend(new StoreLogEntry(1, StoreLogEntryKind.Batch, Guid.Empty, DateTimeOffset.UtcNow, [9])));
        Assert.True(memory.TryAppend(new StoreLogEntry(2, StoreLogEntryKind.Batch, Guid.Empty, DateTimeOffset.UtcNow, [4, 5])));
        Assert.True(memory.TryAppend(new StoreLogEntry(3, StoreLogEntryKind.Batch, Guid.Empty, DateTimeOffset.UtcNow, [6])));
        Assert.Equal((3L, 1L, 1), (memory.Head(), memory.LatestSnapshot(), memory.Refused));
        Assert.Equal([1, 2, 3], memory.Read(0, 10, 1000)[0].Content);
        Assert.Equal([2L, 3L], memory.Read(1, 10, 1000).Select(e => e.Revision));
        Assert.Equal([2L], memory.Read(1, 1, 1000).Select(e => e.Revision));
        // At least one entry however small the byte limit; then only what fits.
        Assert.Equal([1L], memory.Read(0, 10, 1).Select(e => e.Revision));
        Assert.Equal([1L, 2L], memory.Read(0, 10, 5).Select(e => e.Revision));
        Assert.Empty(memory.Read(3, 10, 1000));
    }

    private static string Describe(Func<object?> read)
    {
        try
        {
            return $"'{read()}'";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private string VerifyHostedBackup()
    {
        var path = work.File($"verify-{Guid.NewGuid():N}.db");
        File.WriteAllBytes(path, Assert.Single(Hosted.Changes(Admin, 0).Entries).Content);
        SecretStore.VerifyBackup(path);
        return "sound";
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Pushes the store file, checkpointed, as System into a hosted store over the in-memory log.</summary>
    private void Host()
    {
        pushed = StoreFile(store);
        hosted = HostedStore.Open(log, ReplicaDirectory);
        Assert.Equal(1, Hosted.Push(IdOf(SecretStore.SystemClientName), pushed));
        Assert.Equal(1, log.Head());
    }

    /// <summary>The whole store file, checkpointed: what <c>store push</c> sends.</summary>
    private static byte[] StoreFile(TempStore source)
    {
        RawDb.Checkpoint(source.Path);
        return File.ReadAllBytes(source.Path);
    }

    /// <summary>A copy of the store file, altered with raw SQL by <paramref name="alter"/>.</summary>
    private byte[] AlteredCopy(Action<Microsoft.Data.Sqlite.SqliteConnection> alter)
    {
        var path = work.File($"altered-{Guid.NewGuid():N}.db");
        File.WriteAllBytes(path, StoreFile(store));
        using (var connection = RawDb.Open(path))
        {
            alter(connection);
        }

        RawDb.Checkpoint(path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Applies <paramref name="batches"/> from <paramref name="client"/> one by one at the head.</summary>
    private void ApplyAll(string client, IReadOnlyList<byte[]> batches)
    {
        Assert.NotEmpty(batches);
        foreach (var batch in batches)
        {
            var head = log.Head();
            Assert.Equal(head + 1, Hosted.Write(IdOf(client), head, batch));
        }
    }

    /// <summary>The log's head and entries, and every row of the hosted replica (from a snapshot of it).</summary>
    private (long Head, string Log, string Replica) State()
    {
        var entries = string.Join('\n', log.Entries.Select(e => $"{e.Revision} {e.Kind} {e.ClientId} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(e.Content))}"));
        var changes = Hosted.Changes(Admin, 0);
        var snapshot = Assert.Single(changes.Entries);
        Assert.Equal(log.Head(), changes.Head);
        var path = work.File($"state-{Guid.NewGuid():N}.db");
        File.WriteAllBytes(path, snapshot.Content);
        return (log.Head(), entries, RawDb.Fingerprint(path));
    }

    private void AssertUnchanged((long Head, string Log, string Replica) before)
    {
        Assert.Equal(before.Head, log.Head());
        Assert.False(File.Exists(Path.Combine(ReplicaDirectory, "applying")), "a refused write left the replica's marker");
        var after = State();
        Assert.Equal(before.Log, after.Log);
        Assert.Equal(before.Replica, after.Replica);
    }

    private void AssertEmpty()
    {
        Assert.Equal(0, log.Head());
        Assert.Empty(log.Entries);
        Assert.Equal(0, Hosted.Changes(Admin, 0).Head);
        Assert.Empty(Hosted.Changes(Admin, 0).Entries);
    }

    /// <summary>
    /// Runs <paramref name="command"/> as <paramref name="client"/> on a copy of the hosted store at its head, and returns
    /// the encoded batches it wrote, in order: what that client's machine would send.
    /// </summary>
    private List<byte[]> Capture(string client, Action<Session> command, bool expectConnectRefused = false)
    {
        var captured = new List<byte[]>();
        WithCopy(copy =>
        {
            var backend = new EncodingBackend(copy, (batch, encoded) =>
            {
                if (batch.Changes.Count > 0)
                {
                    captured.Add(encoded);
                }
            });
            var secretStore = NewStore(backend);
            using var credential = Credential(client);
            if (expectConnectRefused)
            {
                Assert.IsAssignableFrom<SecretOpsException>(Record.Exception(() => secretStore.Connect(client, credential).Dispose()));
                return 0;
            }

            using var session = secretStore.Connect(client, credential);
            command(session);
            return 0;
        });
        return captured;
    }

    /// <summary>Runs <paramref name="body"/> with a session of <paramref name="client"/> on a copy of the hosted store (for its keys).</summary>
    private T WithSession<T>(string client, Func<Session, T> body) => WithCopy(copy =>
    {
        using var credential = Credential(client);
        using var session = NewStore(copy).Connect(client, credential);
        return body(session);
    });

    private T WithCopy<T>(Func<SqliteBackend, T> body)
    {
        var path = work.File($"copy-{Guid.NewGuid():N}.db");
        File.WriteAllBytes(path, Assert.Single(Hosted.Changes(Admin, 0).Entries).Content);
        var backend = SqliteBackend.Open(path, shared: false).Backend;
        try
        {
            return body(backend);
        }
        finally
        {
            backend.ReleaseConnections();
        }
    }

    private static SecretStore NewStore(IStoreBackend backend)
    {
        var header = backend.Read(reader => reader.Header()) ?? throw new InvalidOperationException("no header");
        return (SecretStore)typeof(SecretStore).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, [typeof(IStoreBackend), typeof(StoreHeader)])!
            .Invoke([backend, header]);
    }

    private string ReadHosted(string client, string secret) => ReadFrom(Assert.Single(Hosted.Changes(Admin, 0).Entries).Content, client, secret);

    private string ReadFrom(byte[] storeFile, string client, string secret)
    {
        var path = work.File($"read-{Guid.NewGuid():N}.db");
        File.WriteAllBytes(path, storeFile);
        using var credential = Credential(client);
        using var session = SecretStore.Open(path).Connect(client, credential);
        using var read = session.GetSecret("prod", secret);
        return read.Value.GetString();
    }

    private ClientCredential Credential(string client) => client == SecretStore.SystemClientName
        ? ClientCredential.FromPassphrase(TempStore.Passphrase)
        : ClientCredential.FromGeneratedSecret(generated[client]);

    /// <summary>The control state of the hosted store's head, replayed from its log.</summary>
    private AccessState Replay()
    {
        var path = work.File($"replay-{Guid.NewGuid():N}.db");
        File.WriteAllBytes(path, Assert.Single(Hosted.Changes(Admin, 0).Entries).Content);
        using var connection = RawDb.Open(path, readOnly: true);
        using var command = RawDb.Command(connection, "SELECT sequence, entry FROM control_log ORDER BY sequence");
        using var reader = command.ExecuteReader();
        var rows = new List<SignedControlEntry>();
        while (reader.Read())
        {
            rows.Add(ControlView.Decode(reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return ControlReplay.ReplayAll(rows);
    }

    /// <summary>A control entry signed as <paramref name="author"/> with <paramref name="key"/>, next after the hosted store's head.</summary>
    private AppendControl Sign(Guid author, ClientSigningKey key, ControlEntry entry)
    {
        var signed = ControlLog.Sign(Replay(), author, key, entry);
        return new AppendControl(signed.Sequence, signed.Encode());
    }

    private static byte[] Encode(params StoreChange[] changes)
    {
        var batch = new WriteBatch();
        foreach (var change in changes)
        {
            batch.Add(change);
        }

        return WriteBatchCodec.Encode(batch);
    }

    /// <summary>The signing key a connected session holds (the attacker's own, for a client it controls).</summary>
    private static ClientSigningKey SigningKeyOf(Session session) =>
        (ClientSigningKey)typeof(Session).GetField("signingKey", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(session)!;

    private Guid Admin => IdOf("admin");

    private Guid IdOf(string client) => RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT id FROM clients WHERE name = $n", ("$n", client))!);

    private Guid SecretId(string name) => RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT id FROM secrets WHERE name = $n", ("$n", name))!);

    private Guid NamespaceId(string name) => RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT id FROM namespaces WHERE name = $n", ("$n", name))!);

    private void AddGenerated(Session session, string name, ClientRole role) =>
        generated[name] = session.AddClient(name, new ClientCredentialSpec { Kind = ClientKind.Generated }, role).ClientSecret!;

    private Session ConnectFile(string name)
    {
        using var credential = Credential(name);
        return SecretStore.Open(store.Path).Connect(name, credential);
    }
}
