using System.Data;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace SecretOps.Server.Storage;

/// <summary>
/// The server's SQLite file (WAL, synchronous=FULL, owner-only on Unix), which the nonce ledger, the client registry and
/// the audit log share. A connection is opened by the file's path, read-write but never create: a deleted file or
/// folder is a failure, never a fresh empty database that has forgotten every nonce and client. The per-request calls
/// (<see cref="Rent"/>) reuse kept connections, but each one is first asked whether the file it has open is still the
/// one at the path (SQLite's <c>SQLITE_FCNTL_HAS_MOVED</c>: a stat of the path against the open file's inode); when it
/// is not (deleted, its folder deleted, or replaced), every kept connection is closed and the call opens the path
/// afresh, which fails as before. One connection stays open for the database's lifetime only so that SQLite does not
/// checkpoint and drop the WAL when the last call's connection closes.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>SQLITE_FCNTL_HAS_MOVED (sqlite3.h): whether the open database file was unlinked or renamed.</summary>
    private const int HasMovedOperation = 20;

    /// <summary>At most this many connections are kept idle; more at once are closed after use.</summary>
    private const int MaxIdle = 16;

    private readonly string connectionString;
    private readonly string connectionSetup;
    private readonly SqliteConnection keeper;
    private readonly Stack<SqliteConnection> idle = new();
    private readonly SqliteGroupCommit writes;
    private bool disposed;

    private SqliteDatabase(string path, string connectionString, SqliteConnection keeper, int busyTimeoutMilliseconds)
    {
        Path = path;
        this.connectionString = connectionString;
        this.keeper = keeper;
        connectionSetup = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={busyTimeoutMilliseconds};");
        writes = new SqliteGroupCommit(this);
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
        return new SqliteDatabase(full, perCall.ConnectionString, keeper, perCall.DefaultTimeout * 1000);
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

    /// <summary>
    /// A new open connection to the existing file, synchronous=FULL, waiting up to the busy timeout for another
    /// writer's lock (in SQLite, which polls in milliseconds; Microsoft.Data.Sqlite's own retry sleeps 150 ms at a
    /// time); the caller disposes it.
    /// </summary>
    public SqliteConnection Connect()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, connectionSetup);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An open connection to the existing file, synchronous=FULL, kept from an earlier call when its file is still the
    /// one at the path, else new (<see cref="Connect"/>, which fails when the file is gone). Disposing the lease keeps
    /// the connection for the next call, unless it was left in a transaction or closed. One caller at a time.
    /// </summary>
    public ConnectionLease Rent()
    {
        while (true)
        {
            SqliteConnection? kept;
            lock (idle)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                if (!idle.TryPop(out kept))
                {
                    break;
                }
            }

            if (IsStillTheFile(kept))
            {
                return new ConnectionLease(this, kept);
            }

            // The file was deleted or replaced: no kept connection may write to the old one again.
            kept.Dispose();
            CloseIdle();
        }

        return new ConnectionLease(this, Connect());
    }

    /// <summary>
    /// Runs <paramref name="work"/> (inserts, one caller's durable write) in the next group commit: the writes queued
    /// meanwhile share one transaction and one fsync, each in a savepoint of its own, so one that throws leaves nothing
    /// and fails alone. The task completes with <paramref name="work"/>'s result once the commit is durable, or with
    /// the exception that stopped it (see <see cref="IsStorageFailure"/>); <paramref name="work"/> runs on the writer's
    /// thread and must not wait for another write.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, T> work) => writes.RunAsync(work);

    /// <summary>Whether the file <paramref name="connection"/> has open is still the one at <see cref="Path"/>.</summary>
    internal bool IsStillTheFile(SqliteConnection connection)
    {
        try
        {
            var moved = 0;
            if (sqlite3_file_control(connection.Handle!.DangerousGetHandle(), IntPtr.Zero, HasMovedOperation, ref moved) == 0)
            {
                return moved == 0;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not the bundled e_sqlite3: fall back to the path's existence below.
        }

        // A VFS that cannot tell (Windows, where an open file cannot be deleted anyway): at least the file must exist.
        return File.Exists(Path);
    }

    private void Return(SqliteConnection connection)
    {
        if (connection.State == ConnectionState.Open && SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0)
        {
            lock (idle)
            {
                if (!disposed && idle.Count < MaxIdle)
                {
                    idle.Push(connection);
                    return;
                }
            }
        }

        connection.Dispose();
    }

    private void CloseIdle()
    {
        List<SqliteConnection> closing;
        lock (idle)
        {
            closing = [.. idle];
            idle.Clear();
        }

        closing.ForEach(c => c.Dispose());
    }

    /// <summary>Whether <paramref name="e"/> is the database failing (gone, locked, unreadable) rather than a bug.</summary>
    public static bool IsStorageFailure(Exception e) => e is SqliteException or InvalidOperationException or IOException or UnauthorizedAccessException;

    /// <inheritdoc/>
    public void Dispose()
    {
        writes.Dispose();
        lock (idle)
        {
            disposed = true;
        }

        CloseIdle();
        keeper.Dispose();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

#pragma warning disable SYSLIB1054, CA2101, CA5392 // plain P/Invoke into the e_sqlite3 library Microsoft.Data.Sqlite itself loads
    [DllImport("e_sqlite3")]
    private static extern int sqlite3_file_control(IntPtr db, IntPtr databaseName, int operation, ref int argument);
#pragma warning restore SYSLIB1054, CA2101, CA5392

    /// <summary>A connection from <see cref="Rent"/>; disposing it gives the connection back.</summary>
    public sealed class ConnectionLease : IDisposable
    {
        private readonly SqliteDatabase database;
        private SqliteConnection? connection;

        internal ConnectionLease(SqliteDatabase database, SqliteConnection connection)
        {
            this.database = database;
            this.connection = connection;
        }

        /// <summary>The open connection, until the lease is disposed.</summary>
        public SqliteConnection Connection => connection ?? throw new ObjectDisposedException(nameof(ConnectionLease));

        /// <inheritdoc/>
        public void Dispose()
        {
            if (connection is { } leased)
            {
                connection = null;
                database.Return(leased);
            }
        }
    }
}
