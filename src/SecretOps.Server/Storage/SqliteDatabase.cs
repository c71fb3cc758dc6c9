using Microsoft.Data.Sqlite;

namespace SecretOps.Server.Storage;

/// <summary>
/// The server's SQLite file (WAL, synchronous=FULL, owner-only on Unix), which the nonce ledger, the client registry and
/// the audit log share. Each call opens the file by its path, read-write but never create: a deleted file or folder is
/// a failure, never a fresh empty database that has forgotten every nonce and client (a pooled connection would keep
/// writing to the deleted file). One connection stays open for the database's lifetime only so that SQLite does not
/// checkpoint and drop the WAL at every call's close.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private readonly string connectionString;
    private readonly SqliteConnection keeper;

    private SqliteDatabase(string path, string connectionString, SqliteConnection keeper)
    {
        Path = path;
        this.connectionString = connectionString;
        this.keeper = keeper;
    }

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens (creating it and its folder if needed, owner-only on Unix) the database at <paramref name="path"/>.
    /// <paramref name="busyTimeout"/> is how long a call waits for another writer's lock before it fails. Throws an
    /// <see cref="IOException"/> naming the file when it cannot be created or opened.
    /// </summary>
    public static SqliteDatabase Open(string path, TimeSpan busyTimeout)
    {
        var full = System.IO.Path.GetFullPath(path);
        var isNew = !File.Exists(full);
        if (isNew && !OperatingSystem.IsWindows())
        {
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
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

            Execute(keeper, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
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
        return new SqliteDatabase(full, perCall.ConnectionString, keeper);
    }

    /// <summary>Creates a store's tables if they are not there; throws an <see cref="IOException"/> naming the file when it cannot.</summary>
    public void EnsureSchema(string schema)
    {
        try
        {
            Execute(keeper, schema);
        }
        catch (SqliteException e)
        {
            throw new IOException($"The SQLite database '{Path}' cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>A new open connection to the existing file, synchronous=FULL; the caller disposes it.</summary>
    public SqliteConnection Connect()
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

    /// <summary>Whether <paramref name="e"/> is the database failing (gone, locked, unreadable) rather than a bug.</summary>
    public static bool IsStorageFailure(Exception e) => e is SqliteException or InvalidOperationException or IOException or UnauthorizedAccessException;

    /// <inheritdoc/>
    public void Dispose() => keeper.Dispose();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
