using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;
using SecretOps.Core.Tests.Store;

namespace SecretOps.Core.Tests.Storage;

/// <summary>
/// The backend contract on real SQLite store files, in both journal modes, plus what only a file backend has: its
/// journal mode kept, and the files it refuses. Every store is a file made by <see cref="SqliteBackend.Create"/> in a
/// temporary directory; a second backend is <see cref="SqliteBackend.Open"/> on the same file.
/// </summary>
public abstract class SqliteBackendContractTests : BackendContract
{
    private readonly TempDirectory directory = new("secretops-sqlite-contract-");
    private readonly bool shared;

    private protected SqliteBackendContractTests(bool shared)
    {
        this.shared = shared;
        StorePath = directory.File("store.db");
    }

    private string StorePath { get; }

    private protected override bool WritersWaitForReaders => shared;

    /// <summary>On local disk: WAL, where readers and the writer do not wait for each other.</summary>
    public sealed class WalJournal() : SqliteBackendContractTests(shared: false);

    /// <summary>The mode for a network share: a rollback journal (journal_mode=DELETE), a connection per operation.</summary>
    public sealed class RollbackJournal() : SqliteBackendContractTests(shared: true);

    private protected override IStoreBackend NewStore(StoreHeader header)
    {
        SqliteBackend.Create(StorePath, shared, backend => backend.Write((_, batch) =>
        {
            batch.Add(new InsertStoreHeader(header));
            return 0;
        }));
        return SqliteBackend.Open(StorePath, shared).Backend;
    }

    private protected override IStoreBackend OpenAgain(IStoreBackend first)
    {
        Assert.Equal(StorePath, first.Location);
        return SqliteBackend.Open(StorePath, shared).Backend;
    }

    [Fact]
    public void AStore_KeepsTheJournalModeItWasCreatedWith_ForAnOpenerThatDoesNotSay()
    {
        Seed();
        var (again, _) = SqliteBackend.Open(StorePath, shared: null);
        Assert.Equal(shared, again.IsShared);
        Assert.Equal(shared ? "delete" : "wal", again.Read(r => r.Statistics().JournalMode));
        Assert.Equal(StorePath, again.Location);
    }

    [Fact]
    public void Opening_AFileThatIsNotAStore_IsAStoreError_NeverASqliteOne()
    {
        var garbage = directory.File("garbage.db");
        File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 + 3))]);
        var notADatabase = Assert.Throws<StoreUnavailableException>(() => SqliteBackend.Open(garbage, shared));
        Assert.Equal("SecretOps.StoreCorrupt", notADatabase.ErrorId);

        // A file with a store's schema but no header is a damaged store.
        var headerlessFile = directory.File("headerless.db");
        SqliteBackend.Create(headerlessFile, shared, _ => { });
        var headerless = Assert.Throws<StoreUnavailableException>(() => SqliteBackend.Open(headerlessFile, shared));
        Assert.Equal("SecretOps.StoreCorrupt", headerless.ErrorId);
        Assert.Contains("header", headerless.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_AReadOnlyFile_IsAReadOnlyError_ReadsStillWork_AndNothingChanges()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var world = Seed();
        var before = Store.Read(Snapshot);
        Store.ReleaseConnections();
        using var readOnly = StoreFileTests.ReadOnlyFile.Make(StorePath);
        var (opened, _) = SqliteBackend.Open(StorePath, shared);
        try
        {
            Assert.True(opened.IsReadOnly);
            Assert.Equal(before, opened.Read(Snapshot));
            var error = Assert.Throws<StoreUnavailableException>(() => opened.Write((_, batch) =>
            {
                batch.Add(new SetClientStatus(world.Bob.Id, ClientStatus.Disabled));
                return 0;
            }));
            Assert.Equal("SecretOps.StoreReadOnly", error.ErrorId);
            Assert.Equal(before, opened.Read(Snapshot));
        }
        finally
        {
            opened.ReleaseConnections();
        }
    }

    [Fact]
    public void ABufferedWrite_LeavesTheConnectionItUsed_SyncingEveryLaterCommit()
    {
        Seed();
        // The same process-wide idle connections the backend keeps: what a later change would commit on.
        var database = new StoreDatabase(StorePath, shared);
        foreach (var refuse in new[] { false, true })
        {
            Record.Exception(() => Store.Write<int>((_, _) => refuse ? throw new ConflictException("refused", "audit") : 0, CommitDurability.Buffered));
            Assert.Equal(2L, database.Use(connection => (long)StoreDatabase.Scalar(connection, null, "PRAGMA synchronous")!)); // FULL
        }
    }

    [Fact]
    public void Writing_AStoreWhoseFileWasRemoved_IsAStoreError_AndWritesNothingAnywhere()
    {
        var world = Seed();
        Store.ReleaseConnections();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(StorePath + suffix);
        }

        var error = Record.Exception(() => Store.Write((_, batch) =>
        {
            batch.Add(new SetClientStatus(world.Bob.Id, ClientStatus.Disabled));
            return 0;
        }));
        Assert.IsType<StoreUnavailableException>(error);
        Assert.False(File.Exists(StorePath));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            directory.Dispose();
        }
    }
}
