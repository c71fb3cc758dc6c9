using SecretOps.Core.Remote;
using SecretOps.Core.Storage;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Remote;

/// <summary>What <c>GET /v1/store/changes</c> answers while writers append (found by the hosted benchmark at 16 clients).</summary>
[Trait("Backend", "SqliteOnly")]
public sealed class HostedStoreChangesTests : IDisposable
{
    private readonly TempStore store = new();
    private readonly string directory = Directory.CreateTempSubdirectory("secretops-changes-").FullName;

    [Fact]
    public void AWriterAppendingBetweenTheHeadAndTheRead_IsLeftForTheNextAnswer_WhichClientsAccept()
    {
        var log = new MemoryStoreLog();
        var hosted = HostedStore.Open(log, Path.Combine(directory, "replica"));
        RawDb.Checkpoint(store.Path);
        var system = RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT id FROM clients WHERE name = 'system'")!);
        Assert.Equal(1, hosted.Push(system, File.ReadAllBytes(store.Path)));
        Assert.True(log.TryAppend(Entry(2, system)));
        Assert.Equal(2, hosted.Changes(system, 1).Head);

        log.BeforeRead = () => Assert.True(log.TryAppend(Entry(3, system)));
        var changes = hosted.Changes(system, 1);

        Assert.Equal(2, changes.Head);
        Assert.Equal([2L], changes.Entries.Select(entry => entry.Revision));
        // A client decodes it (an entry past the head would be refused as damaged), and the next answer has the rest.
        Assert.Equal(2, StoreChanges.Decode(changes.Encode()).Entries.Single().Revision);
        Assert.Equal([3L], hosted.Changes(system, 2).Entries.Select(entry => entry.Revision));
    }

    public void Dispose()
    {
        SecretStore.ReleaseConnections();
        Directory.Delete(directory, recursive: true);
        store.Dispose();
    }

    // An empty batch: the replica applies it as it applies any (CatchUp reads what another instance appended).
    private static StoreLogEntry Entry(long revision, Guid client) =>
        new(revision, StoreLogEntryKind.Batch, client, DateTimeOffset.UnixEpoch, WriteBatchCodec.Encode(new WriteBatch()));
}
