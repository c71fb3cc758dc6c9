using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SecretOps.Server.Storage;

/// <summary>
/// The nonce ledger in an SQLite file (WAL). The table's primary key (client_id, nonce) makes a second insert of a
/// pair fail with SQLITE_CONSTRAINT_PRIMARYKEY, which is the replay; every other failure is
/// <see cref="NonceRecordResult.Unavailable"/>.
/// </summary>
/// <remarks>
/// Each call opens the file by its path, read-write but never create: a deleted file or folder is a failure, never a
/// fresh empty table that has forgotten every nonce (a pooled connection would keep writing to the deleted file).
/// One connection stays open for the ledger's lifetime only so that SQLite does not checkpoint and drop the WAL at
/// every call's close. synchronous=FULL: a recorded nonce survives a power cut.
/// </remarks>
public sealed class SqliteNonceLedger : INonceLedger, IStorageHealth
{
    /// <summary>SQLITE_CONSTRAINT_PRIMARYKEY, the extended result code of a duplicate (client_id, nonce).</summary>
    private const int PrimaryKeyViolation = 1555;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS nonces (
            client_id BLOB NOT NULL CHECK (length(client_id) = 16),
            nonce BLOB NOT NULL CHECK (length(nonce) = 16),
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (client_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS nonces_expires_at ON nonces (expires_at);
        """;

    private readonly string connectionString;
    private readonly SqliteConnection keeper;
    private readonly ILogger logger;

    private SqliteNonceLedger(string connectionString, SqliteConnection keeper, ILogger logger)
    {
        this.connectionString = connectionString;
        this.keeper = keeper;
        this.logger = logger;
    }

    /// <inheritdoc/>
    public string Kind => "sqlite";

    /// <summary>
    /// Opens (creating it and its folder if needed, owner-only on Unix) the database at <paramref name="path"/> and its
    /// table. <paramref name="busyTimeout"/> is how long a call waits for another writer's lock before it is
    /// <see cref="NonceRecordResult.Unavailable"/>. Throws an <see cref="IOException"/> naming the file when it cannot
    /// be created or opened.
    /// </summary>
    public static SqliteNonceLedger Open(string path, TimeSpan busyTimeout, ILogger logger)
    {
        var full = Path.GetFullPath(path);
        var isNew = !File.Exists(full);
        if (isNew && !OperatingSystem.IsWindows())
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(full)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"The SQLite database '{full}' cannot be created: {e.Message}", e);
            }
        }

        var create = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        var keeper = new SqliteConnection(create.ConnectionString);
        try
        {
            keeper.Open();
            if (isNew && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            Execute(keeper, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" + Schema);
        }
        catch (SqliteException e)
        {
            keeper.Dispose();
            throw new IOException($"The SQLite database '{full}' cannot be opened: {e.Message}", e);
        }

        var perCall = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        };
        return new SqliteNonceLedger(perCall.ConnectionString, keeper, logger);
    }

    /// <inheritdoc/>
    public NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce16, DateTimeOffset expiresAt)
    {
        NonceInput.RequireLength(nonce16);
        var nonce = nonce16.ToArray();
        try
        {
            using var connection = Connect();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO nonces (client_id, nonce, expires_at) VALUES ($client, $nonce, $expires)";
            insert.Parameters.AddWithValue("$client", clientId.ToByteArray());
            insert.Parameters.AddWithValue("$nonce", nonce);
            insert.Parameters.AddWithValue("$expires", expiresAt.ToUnixTimeMilliseconds());
            insert.ExecuteNonQuery();
            return NonceRecordResult.Recorded;
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == PrimaryKeyViolation)
        {
            return NonceRecordResult.Replayed;
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(TryRecord), e.Message);
            return NonceRecordResult.Unavailable;
        }
    }

    /// <inheritdoc/>
    public void Prune(DateTimeOffset now)
    {
        try
        {
            using var connection = Connect();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM nonces WHERE expires_at < $now";
            delete.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            delete.ExecuteNonQuery();
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(Prune), e.Message);
        }
    }

    /// <inheritdoc/>
    public bool IsReachable()
    {
        try
        {
            using var connection = Connect();
            using var probe = connection.CreateCommand();
            probe.CommandText = "SELECT count(*) FROM (SELECT 1 FROM nonces LIMIT 1)";
            probe.ExecuteScalar();
            return true;
        }
        catch (Exception e) when (IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(IsReachable), e.Message);
            return false;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => keeper.Dispose();

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA synchronous=FULL;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static bool IsStorageFailure(Exception e) => e is DbException or InvalidOperationException or IOException or UnauthorizedAccessException;
}
