using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using SecretOps.Core.Remote;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>The ledger contract on a real SQLite file in a temporary folder, plus SQLite's own ways of failing.</summary>
public sealed class SqliteNonceLedgerTests : NonceLedgerContract
{
    private readonly SqliteTestStorage storage;

    public SqliteNonceLedgerTests()
        : this(new SqliteTestStorage())
    {
    }

    private SqliteNonceLedgerTests(SqliteTestStorage storage)
        : base(storage)
    {
        this.storage = storage;
    }

    private string DatabasePath => storage.DatabasePath;

    [Fact]
    public void WriterHoldingTheLockPastTheBusyTimeout_MakesRecordingUnavailable()
    {
        var ledger = Open();
        using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ConnectionString);
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        Assert.Equal(NonceRecordResult.Unavailable, ledger.TryRecord(Guid.NewGuid(), NewNonce(), Live));
    }

    [Fact]
    public void DeletedDatabaseFile_IsNotSilentlyRecreatedEmpty()
    {
        var ledger = Open();
        var client = Guid.NewGuid();
        var nonce = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, nonce, Live));
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(DatabasePath)!))
        {
            File.Delete(file);
        }

        Assert.Equal(NonceRecordResult.Unavailable, ledger.TryRecord(client, nonce, Live));
        Assert.False(File.Exists(DatabasePath));
    }

    [Fact]
    public void ReplacedDatabaseFile_IsWhereTheNextWriteGoes_NotTheKeptConnectionsOldFile()
    {
        var ledger = Open();
        var client = Guid.NewGuid();
        var before = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, before, Live));

        // Another database (its tables, no rows) takes the place of the one the ledger's kept connections have open.
        var folder = Path.GetDirectoryName(DatabasePath)!;
        var replacement = Path.Combine(Path.GetDirectoryName(folder)!, "replacement.db");
        ServerStorage.Open(StorageKind.Sqlite, replacement, NullLoggerFactory.Instance).Dispose();
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            File.Delete(file);
        }

        File.Move(replacement, DatabasePath);

        var after = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, after, Live));
        Assert.Equal(1L, Count(DatabasePath, "SELECT count(*) FROM nonces"));
        Assert.Equal(NonceRecordResult.AlreadySeen, ledger.TryRecord(client, after, Live));
    }

    [Fact]
    public async Task WriteThatThrowsInAGroupCommit_LeavesNothing_AndTheOthersInTheCommitAreKept()
    {
        using var database = SqliteDatabase.Open(DatabasePath, TimeSpan.FromSeconds(5));
        SqliteAuditLog.Open(database);
        var client = Guid.NewGuid();
        var writes = Enumerable.Range(0, 64).Select(i => Task.Run(() => database.WriteAsync(connection =>
        {
            SqliteAuditLog.Insert(connection, Allowed(client, $"/v1/{i}"));
            return i % 4 == 0 ? throw new InvalidOperationException("a write that fails after its insert") : i;
        }))).ToArray();

        for (var i = 0; i < writes.Length; i++)
        {
            if (i % 4 == 0)
            {
                await Assert.ThrowsAsync<InvalidOperationException>(() => writes[i]);
            }
            else
            {
                Assert.Equal(i, await writes[i]);
            }
        }

        Assert.Equal(48L, Count(DatabasePath, "SELECT count(*) FROM audit"));
        Assert.Equal(0L, Count(DatabasePath, "SELECT count(*) FROM audit WHERE (CAST(substr(path, 5) AS INTEGER) % 4) = 0"));
    }

    [Fact]
    public void NewDatabaseFile_IsReadableByItsOwnerOnly()
    {
        Open();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DatabasePath));
        }
    }

    private static long Count(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
