using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>The ledger contract on a real SQLite file in a temporary folder, plus SQLite's own ways of failing.</summary>
public sealed class SqliteNonceLedgerTests : NonceLedgerContract
{
    private readonly string folder = Directory.CreateTempSubdirectory("secretops-ledger-").FullName;

    private string DatabasePath => Path.Combine(folder, "data", "server.db");

    [Fact]
    public void WriterHoldingTheLockPastTheBusyTimeout_MakesRecordingUnavailable()
    {
        using var ledger = SqliteNonceLedger.Open(DatabasePath, TimeSpan.FromSeconds(1), NullLogger.Instance);
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
    public void NewDatabaseFile_IsReadableByItsOwnerOnly()
    {
        Open();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DatabasePath));
        }
    }

    protected override INonceLedger OpenLedger() => SqliteNonceLedger.Open(DatabasePath, TimeSpan.FromSeconds(30), NullLogger.Instance);

    /// <summary>The database's folder deleted (root ignores permission bits, so an unwritable file would prove nothing under CI).</summary>
    protected override IDisposable TakeStorageDown()
    {
        Directory.Delete(Path.GetDirectoryName(DatabasePath)!, recursive: true);
        return new NothingToRestore();
    }

    protected override void Dispose(bool disposing)
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
        base.Dispose(disposing);
    }

    private sealed class NothingToRestore : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
