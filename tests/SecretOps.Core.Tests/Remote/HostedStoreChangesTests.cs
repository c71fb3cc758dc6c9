using SecretOps.Core.Remote;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Remote;

/// <summary>What <c>GET /v1/store/changes</c> answers while writers append (found by the hosted benchmark at 16 clients).</summary>
public sealed class HostedStoreChangesTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("secretops-changes-").FullName;

    [Fact]
    public void AWriterAppendingBetweenTheHeadAndTheRead_IsLeftForTheNextAnswer_WhichClientsAccept()
    {
        var log = new MemoryStoreLog();
        foreach (var revision in new long[] { 1, 2 })
        {
            Assert.True(log.TryAppend(Entry(revision)));
        }

        var hosted = HostedStore.Open(log, Path.Combine(directory, "replica"));
        log.BeforeRead = () => Assert.True(log.TryAppend(Entry(3)));
        var changes = hosted.Changes(1);

        Assert.Equal(2, changes.Head);
        Assert.Equal([2L], changes.Entries.Select(entry => entry.Revision));
        // A client decodes it (an entry past the head would be refused as damaged), and the next answer has the rest.
        Assert.Equal(2, StoreChanges.Decode(changes.Encode()).Entries.Single().Revision);
        Assert.Equal([3L], hosted.Changes(2).Entries.Select(entry => entry.Revision));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static StoreLogEntry Entry(long revision) => new(revision, StoreLogEntryKind.Batch, Guid.NewGuid(), DateTimeOffset.UnixEpoch, [(byte)revision]);
}
