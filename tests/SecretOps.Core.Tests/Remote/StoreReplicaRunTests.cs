using System.Reflection;
using SecretOps.Core.Clients;
using SecretOps.Core.Remote;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Remote;

/// <summary>
/// <see cref="StoreReplica"/> applying a run of consecutive log batches as one change, on real store files. The batches
/// are captured from real commands run one after another on a copy of the store: System sets <c>prod/db</c> twice (each
/// set expects the version the one before left), then reads it.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public sealed class StoreReplicaRunTests : IDisposable
{
    private readonly TempStore store = new();
    private readonly TempDirectory work = new("secretops-replica-run-");
    private readonly byte[] snapshot;
    private readonly List<WriteBatch> batches;

    public StoreReplicaRunTests()
    {
        using (var system = store.ConnectSystem())
        {
            system.CreateNamespace("prod");
            system.SetSecret("prod", "db", SecretValue.FromString("v1"));
        }

        SecretStore.ReleaseConnections();
        RawDb.Checkpoint(store.Path);
        snapshot = File.ReadAllBytes(store.Path);
        batches = Capture(session =>
        {
            session.SetSecret("prod", "db", SecretValue.FromString("v2"));
            session.SetSecret("prod", "db", SecretValue.FromString("v3"));
            session.GetSecret("prod", "db").Dispose();
        });
    }

    public void Dispose()
    {
        SecretStore.ReleaseConnections();
        work.Dispose();
        store.Dispose();
    }

    [Fact]
    public void RunApplied_AtOnce_EqualsTheSameBatchesAppliedOneByOne_AtTheSameRevision()
    {
        Assert.True(batches.Count >= 3, $"the commands wrote {batches.Count} batches");
        var oneByOne = Installed("one-by-one");
        for (var index = 0; index < batches.Count; index++)
        {
            oneByOne.Apply(2 + index, batches[index]);
        }

        var atOnce = Installed("at-once");
        atOnce.Apply(2, batches);

        var head = 1 + batches.Count;
        Assert.Equal((head, head), (oneByOne.Revision, atOnce.Revision));
        Assert.Equal(head, Reopened("at-once").Revision);
        Assert.Equal(RawDb.Fingerprint(oneByOne.StorePath), RawDb.Fingerprint(atOnce.StorePath));
        Assert.Equal("v3", Read(atOnce));
    }

    [Fact]
    public void LaterBatch_ExpectsTheVersionTheEarlierBatchInTheSameRunLeft()
    {
        var (first, second) = SecretUpdates();
        Assert.True(first < second);
        Assert.Equal(batches[first].Changes.OfType<UpdateSecret>().Single().Secret.CurrentVersion, batches[second].Changes.OfType<UpdateSecret>().Single().ExpectedVersion);

        // The second set alone does not apply: what it expects is only there once the first set is.
        var alone = Installed("alone");
        Assert.IsType<StoreUnavailableException>(Record.Exception(() => alone.Apply(2, [batches[second]])));

        // In one run, the second set meets the first one's effect inside the same transaction.
        var run = Installed("run");
        run.Apply(2, batches[..(second + 1)]);
        Assert.Equal(2 + second, run.Revision);
        Assert.Equal("v3", Read(run));
    }

    [Fact]
    public void RunWhoseThirdBatchFails_LeavesTheReplicaAtItsRevision_RowsUnchanged_NoMarker_AndTheNextRunApplies()
    {
        var (first, second) = SecretUpdates();
        Assert.Equal((0, 1), (first, second));
        var replica = Installed("replica");
        var before = RawDb.Fingerprint(replica.StorePath);

        // Both sets apply, then the first set again: the version it expects is gone.
        var error = Record.Exception(() => replica.Apply(2, [batches[0], batches[1], batches[0]]));

        Assert.IsType<StoreUnavailableException>(error);
        Assert.Equal(1, replica.Revision);
        Assert.Equal(1, Reopened("replica").Revision);
        Assert.False(File.Exists(Marker("replica")), "a failed run left the replica's marker");
        Assert.Equal(before, RawDb.Fingerprint(replica.StorePath));

        replica.Apply(2, batches);
        Assert.Equal(1 + batches.Count, replica.Revision);
        Assert.Equal("v3", Read(replica));
    }

    [Fact]
    public void RunCutOffPartWay_LeavesItsMarker_AndTheReplicaStartsAgainFromNothing()
    {
        var replica = Installed("replica");
        var crashed = work.File("crashed");

        // Inside the run's transaction, just before it commits: what a crash there would leave on disk.
        replica.Apply(2, batches, beforeCommit: () => CopyDirectory(Path.Combine(work.Path, "replica"), crashed));

        Assert.True(File.Exists(Path.Combine(crashed, "applying")), "no marker while the run was being applied");
        var cutOff = StoreReplica.Open(crashed);
        cutOff.Refresh();
        Assert.Equal(0, cutOff.Revision);
        Assert.Null(cutOff.Backend);
        Assert.False(File.Exists(cutOff.StorePath));

        // The replica that finished is whole, until a marker is found in it too.
        Assert.Equal(1 + batches.Count, Reopened("replica").Revision);
        File.WriteAllText(Marker("replica"), "1");
        Assert.Equal(0, Reopened("replica").Revision);
    }

    [Fact]
    public void Follow_SkipsWhatTheReplicaHolds_AppliesEachRunAroundASnapshot_AndEndsWhereOneByOneEnds()
    {
        var oneByOne = Installed("one-by-one");
        for (var index = 0; index < batches.Count; index++)
        {
            oneByOne.Apply(2 + index, batches[index]);
        }

        // Revisions 2.. are the batches, then a snapshot (the store as at revision 1) and the same batches after it.
        var afterSnapshot = 2 + batches.Count;
        List<StoreLogEntry> entries =
        [
            Entry(1, StoreLogEntryKind.Snapshot, snapshot),
            .. batches.Select((batch, index) => Entry(2 + index, StoreLogEntryKind.Batch, WriteBatchCodec.Encode(batch))),
            Entry(afterSnapshot, StoreLogEntryKind.Snapshot, snapshot),
            .. batches.Select((batch, index) => Entry(afterSnapshot + 1 + index, StoreLogEntryKind.Batch, WriteBatchCodec.Encode(batch))),
        ];
        var follower = Installed("follower");

        Assert.True(follower.Follow(entries, entry => WriteBatchCodec.Decode(entry.Content)));
        Assert.Equal(afterSnapshot + batches.Count, follower.Revision);
        Assert.Equal(RawDb.Fingerprint(oneByOne.StorePath), RawDb.Fingerprint(follower.StorePath));
        Assert.False(follower.Follow(entries, _ => throw new InvalidOperationException("an entry the replica holds was decoded")));
    }

    [Fact]
    public void Follow_OfARunWhoseThirdBatchFails_LeavesTheReplicaWhereItWas()
    {
        var replica = Installed("replica");
        var before = RawDb.Fingerprint(replica.StorePath);
        var entries = new[] { batches[0], batches[1], batches[0] }
            .Select((batch, index) => Entry(2 + index, StoreLogEntryKind.Batch, WriteBatchCodec.Encode(batch)));

        Assert.IsType<StoreUnavailableException>(Record.Exception(() => replica.Follow(entries, entry => WriteBatchCodec.Decode(entry.Content))));
        Assert.Equal(1, replica.Revision);
        Assert.Equal(before, RawDb.Fingerprint(replica.StorePath));
    }

    private static StoreLogEntry Entry(long revision, StoreLogEntryKind kind, byte[] content) =>
        new(revision, kind, Guid.Empty, DateTimeOffset.UnixEpoch, content);

    /// <summary>The indexes of the two batches that set <c>prod/db</c>.</summary>
    private (int First, int Second) SecretUpdates()
    {
        var updates = Enumerable.Range(0, batches.Count).Where(index => batches[index].Changes.OfType<UpdateSecret>().Any()).ToList();
        Assert.Equal(2, updates.Count);
        return (updates[0], updates[1]);
    }

    /// <summary>A replica in <paramref name="name"/> holding the store file as the snapshot of revision 1.</summary>
    private StoreReplica Installed(string name)
    {
        var replica = StoreReplica.Open(work.File(name));
        replica.Refresh();
        replica.Install(1, snapshot);
        return replica;
    }

    /// <summary>The replica in <paramref name="name"/> as another process reads it from disk.</summary>
    private StoreReplica Reopened(string name)
    {
        var replica = StoreReplica.Open(work.File(name));
        replica.Refresh();
        return replica;
    }

    private string Marker(string name) => Path.Combine(work.File(name), "applying");

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    /// <summary>The batches <paramref name="commands"/> write, in order, run as System on a copy of the store.</summary>
    private List<WriteBatch> Capture(Action<Session> commands)
    {
        var captured = new List<WriteBatch>();
        var path = work.File("capture.db");
        File.WriteAllBytes(path, snapshot);
        var copy = SqliteBackend.Open(path, shared: false).Backend;
        try
        {
            var backend = new EncodingBackend(copy, (batch, encoded) =>
            {
                if (batch.Changes.Count > 0)
                {
                    captured.Add(WriteBatchCodec.Decode(encoded));
                }
            });
            using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
            using var session = NewStore(backend).Connect(SecretStore.SystemClientName, credential);
            commands(session);
        }
        finally
        {
            copy.ReleaseConnections();
        }

        return captured;
    }

    private static SecretStore NewStore(IStoreBackend backend)
    {
        var header = backend.Read(reader => reader.Header()) ?? throw new InvalidOperationException("no header");
        return (SecretStore)typeof(SecretStore).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, [typeof(IStoreBackend), typeof(StoreHeader)])!
            .Invoke([backend, header]);
    }

    /// <summary>The value of <c>prod/db</c> in the replica's store file, read as System.</summary>
    private string Read(StoreReplica replica)
    {
        var path = work.File($"read-{Guid.NewGuid():N}.db");
        replica.Backend!.BackupTo(path);
        using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
        using var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential);
        using var read = session.GetSecret("prod", "db");
        return read.Value.GetString();
    }
}
