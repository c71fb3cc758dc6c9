using SecretOps.Core.Remote;
using Microsoft.Data.Sqlite;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>The store log contract on a real SQLite file in a temporary folder, plus SQLite's own ways of failing.</summary>
public sealed class SqliteStoreLogTests : StoreLogContract
{
    private readonly SqliteTestStorage storage;

    public SqliteStoreLogTests()
        : this(new SqliteTestStorage())
    {
    }

    private SqliteStoreLogTests(SqliteTestStorage storage)
        : base(storage)
    {
        this.storage = storage;
    }

    private string DatabasePath => storage.DatabasePath;

    [Fact]
    public void WriterHoldingTheLockPastTheBusyTimeout_MakesAppendingUnavailable_NotFalse()
    {
        var log = Open();
        using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ConnectionString);
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        Assert.Throws<StorageUnavailableException>(() => log.TryAppend(Entry(1, StoreLogEntryKind.Snapshot, 8)));
    }

    [Fact]
    public void DeletedDatabaseFile_IsNotSilentlyRecreatedEmpty()
    {
        var log = Open();
        Assert.True(log.TryAppend(Entry(1, StoreLogEntryKind.Snapshot, 8)));
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(DatabasePath)!))
        {
            File.Delete(file);
        }

        Assert.Throws<StorageUnavailableException>(() => log.Head());
        Assert.Throws<StorageUnavailableException>(() => log.TryAppend(Entry(1, StoreLogEntryKind.Snapshot, 8)));
        Assert.False(File.Exists(DatabasePath));
    }
}
