using Microsoft.Data.Sqlite;

namespace SecretOps.Core.Storage;

/// <summary>
/// Connections to one store file with the settings of DESIGN §5: WAL and synchronous=FULL on local disk;
/// journal_mode=DELETE and no pooling on a network share; busy_timeout and foreign keys on every
/// connection; writes in short BEGIN IMMEDIATE transactions, retried as a whole when SQLite stays busy.
/// </summary>
internal sealed class StoreDatabase
{
    private const int BusyTimeoutMilliseconds = 5000;
    private const int MaxWriteAttempts = 8;
    private readonly string connectionString;

    public StoreDatabase(string path, bool shared)
    {
        Path = path;
        IsShared = shared;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = !shared,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public bool IsShared { get; }

    public string JournalMode => IsShared ? "delete" : "wal";

    /// <summary>Opens a connection with the per-connection settings applied.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = FULL;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Sets the journal mode this location needs (persistent in the file; WAL is unsafe on shares).</summary>
    public void ApplyJournalMode(SqliteConnection connection) => Execute(connection, null, $"PRAGMA journal_mode = {JournalMode};");

    /// <summary>True when SQLite opened the file read-only (the file or its directory is not writable).</summary>
    public static bool IsReadOnly(SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1;

    /// <summary>
    /// Runs <paramref name="body"/> in a BEGIN IMMEDIATE transaction and commits. When SQLite reports the
    /// database busy or locked past its timeout, the whole transaction is retried with backoff, so callers
    /// never see "database is locked" under normal contention. <paramref name="body"/> must be repeatable.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> body)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connection = Open();
                using var transaction = connection.BeginTransaction(deferred: false);
                try
                {
                    if (!File.Exists(Path))
                    {
                        // Removed while in use: SQLite would write on into the deleted file, and the write would be lost.
                        throw new StoreUnavailableException($"'{Path}' was removed while in use; nothing was written.", Path);
                    }

                    var result = body(connection, transaction);
                    transaction.Commit();
                    return result;
                }
                catch (Exception) when (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0)
                {
                    // SQLite already rolled back (a COMMIT that met a full disk or an I/O error), and the transaction
                    // object does not know: its Dispose would roll back again, fail with "cannot rollback", and hide
                    // this error. An empty transaction gives that rollback something to end.
                    Execute(connection, transaction, "BEGIN");
                    throw;
                }
            }
            catch (SqliteException e) when (IsBusy(e) && attempt < MaxWriteAttempts)
            {
                Thread.Sleep(Random.Shared.Next(20, 100) * attempt);
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> in a read transaction: one consistent snapshot.</summary>
    public T Read<T>(Func<SqliteConnection, SqliteTransaction, T> body)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connection = Open();
                using var transaction = connection.BeginTransaction(deferred: true);
                return body(connection, transaction);
            }
            catch (SqliteException e) when (IsBusy(e) && attempt < MaxWriteAttempts)
            {
                Thread.Sleep(Random.Shared.Next(20, 100) * attempt);
            }
        }
    }

    /// <summary>Releases pooled handles to this file (before it is replaced or deleted).</summary>
    public void ReleaseConnections()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static bool IsBusy(SqliteException e) => e.SqliteErrorCode is 5 or 6;
}

/// <summary>Column conversions: UUIDs as 16-byte blobs (RFC 4122 order), times as Unix milliseconds.</summary>
internal static class Columns
{
    public static byte[] ToBlob(this Guid id) => id.ToByteArray(bigEndian: true);

    public static Guid ToGuid(byte[] blob) => new(blob, bigEndian: true);

    public static Guid GetUuid(this SqliteDataReader reader, int ordinal) => ToGuid((byte[])reader[ordinal]);

    public static Guid? GetNullableUuid(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ToGuid((byte[])reader[ordinal]);

    public static long ToUnixMilliseconds(this DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset GetTime(this SqliteDataReader reader, int ordinal) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static DateTimeOffset? GetNullableTime(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static string? GetNullableString(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static int? GetNullableInt32(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static byte[] GetBlob(this SqliteDataReader reader, int ordinal) => (byte[])reader[ordinal];
}
