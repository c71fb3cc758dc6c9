using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>The server's SQLite database in a temporary folder.</summary>
public sealed class SqliteTestStorage : TestStorage
{
    private readonly string folder = Directory.CreateTempSubdirectory("secretops-storage-").FullName;

    public string DatabasePath => Path.Combine(folder, "data", "server.db");

    /// <summary>The database's folder deleted (root ignores permission bits, so an unwritable file would prove nothing under CI).</summary>
    public override IDisposable TakeDown()
    {
        Directory.Delete(Path.GetDirectoryName(DatabasePath)!, recursive: true);
        return new NothingToRestore();
    }

    public override string AuditTable => "audit";

    public override void Execute(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override ServerStorage OpenStorage() => ServerStorage.Open(StorageKind.Sqlite, DatabasePath, NullLoggerFactory.Instance);

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
