using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>
/// Connections to one store file with the settings of DESIGN §5: WAL and synchronous=FULL on local disk;
/// journal_mode=DELETE and a new connection per operation on a network share; busy_timeout and foreign keys
/// on every connection; writes in short BEGIN IMMEDIATE transactions, retried as a whole when SQLite stays busy.
/// </summary>
/// <remarks>
/// On local disk a few idle connections per file are kept open, process-wide, each with its statements
/// prepared once. Microsoft.Data.Sqlite prepares SQL again for every new command and re-applies settings on
/// every pooled open (dotnet/efcore#14044), which was most of the cost of a warm read.
/// </remarks>
internal sealed class StoreDatabase
{
    private const int BusyTimeoutMilliseconds = 5000;
    private const int MaxWriteAttempts = 8;
    private const int KeptConnectionCacheKiB = 16 * 1024;
    private static readonly ConcurrentDictionary<string, IdleConnections> Idle = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<SqliteConnection, StatementCache> Statements = new();
    // The schema cookie (PRAGMA schema_version) at which each connection's schema was last verified.
    private static readonly ConditionalWeakTable<SqliteConnection, StrongBox<long>> VerifiedSchema = new();
    private readonly string connectionString;

    public StoreDatabase(string path, bool shared)
    {
        Path = path;
        IsShared = shared;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public bool IsShared { get; }

    public string JournalMode => IsShared ? "delete" : "wal";

    /// <summary>Sets the journal mode this location needs (persistent in the file; WAL is unsafe on shares).</summary>
    public void ApplyJournalMode(SqliteConnection connection) => Execute(connection, null, $"PRAGMA journal_mode = {JournalMode};");

    /// <summary>True when SQLite opened the file read-only (the file or its directory is not writable).</summary>
    public static bool IsReadOnly(SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1;

    /// <summary>
    /// Runs <paramref name="body"/> on a connection outside any transaction (opening, upgrading, backing up). The
    /// store's schema is verified first unless <paramref name="verifySchema"/> is false (opening and creating
    /// verify it themselves, against the version the file has).
    /// </summary>
    public T Use<T>(Func<SqliteConnection, T> body, bool verifySchema = true)
    {
        var lease = Rent();
        try
        {
            if (verifySchema)
            {
                EnsureSchema(lease.Connection);
            }

            var result = body(lease.Connection);
            Return(lease);
            return result;
        }
        catch (Exception failure)
        {
            lease.Connection.Dispose();
            if (Damaged(failure) is { } damaged)
            {
                throw damaged;
            }

            throw;
        }
    }

    /// <summary>
    /// A row value of the wrong type, NULL where the schema forbids it, or out of range (a time, a UUID's length)
    /// makes Microsoft.Data.Sqlite or a conversion throw; that is a damaged or altered file, told as one. Found by
    /// fuzzing store files: these escaped as InvalidOperationException, InvalidCastException and ArgumentOutOfRangeException.
    /// </summary>
    private StoreUnavailableException? Damaged(Exception failure)
    {
        var cause = failure is UnreadableValueException unreadable ? unreadable.InnerException! : failure;
        return failure is UnreadableValueException or InvalidCastException or FormatException or OverflowException or ArgumentException
            ? new StoreUnavailableException($"'{Path}' holds a value SecretOps cannot read ({cause.GetType().Name}); the store file was altered or is damaged.", Path, corrupt: true, cause)
            : null;
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a BEGIN IMMEDIATE transaction and commits. When SQLite reports the
    /// database busy or locked past its timeout, the whole transaction is retried with backoff, so callers
    /// never see "database is locked" under normal contention. <paramref name="body"/> must be repeatable.
    /// <paramref name="buffered"/> commits with synchronous=NORMAL on a WAL store: the commit reaches the WAL file, not
    /// the disk; the next FULL commit or checkpoint syncs it. In rollback-journal mode (a shared store) NORMAL could
    /// corrupt the file in a power cut, so a shared store always syncs.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, StoreTransaction, T> body, bool buffered = false) => InTransaction(body, commit: true, buffered && !IsShared);

    /// <summary>Runs <paramref name="body"/> in a read transaction: one consistent snapshot.</summary>
    public T Read<T>(Func<SqliteConnection, StoreTransaction, T> body) => InTransaction(body, commit: false, buffered: false);

    /// <summary>
    /// Verifies that the schema of the file on <paramref name="connection"/> is exactly that of format
    /// <paramref name="version"/> (see <see cref="Schema.Verify"/>), and remembers it for this connection.
    /// </summary>
    public void VerifySchema(SqliteConnection connection, int version)
    {
        var cookie = (long)Scalar(connection, null, "PRAGMA schema_version")!;
        Schema.Verify(connection, version, Path);
        VerifiedSchema.AddOrUpdate(connection, new StrongBox<long>(cookie));
    }

    /// <summary>
    /// Verifies the schema again whenever its cookie has changed since this connection last verified it (or it never
    /// did): a trigger planted while a session is open is refused at the session's next transaction. A new connection
    /// loads the schema afresh and is always verified, so resetting the cookie after planting something gains nothing.
    /// </summary>
    private void EnsureSchema(SqliteConnection connection)
    {
        var cookie = (long)Scalar(connection, null, "PRAGMA schema_version")!;
        if (!VerifiedSchema.TryGetValue(connection, out var verified) || verified.Value != cookie)
        {
            Schema.Verify(connection, Schema.CurrentVersion, Path);
            VerifiedSchema.AddOrUpdate(connection, new StrongBox<long>(cookie));
        }
    }

    /// <summary>
    /// Runs a statement that must change exactly <paramref name="expected"/> rows. Anything else means something in
    /// the file (a trigger, a changed table) interfered, and the transaction is abandoned as altered.
    /// </summary>
    public static void ExecuteExpecting(SqliteConnection connection, StoreTransaction transaction, int expected, string what, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        var changed = command.ExecuteNonQuery();
        if (changed != expected)
        {
            throw Altered($"{what}: {changed} row(s) changed where {expected} should have");
        }
    }

    /// <summary>
    /// Deletes every row of <paramref name="table"/> matching <paramref name="where"/> and confirms it: as many rows
    /// deleted as there were, and none left. Used where security depends on the deletion (a revoked client's stanzas).
    /// </summary>
    public static int DeleteConfirmed(SqliteConnection connection, StoreTransaction transaction, string table, string where, string what, params (string Name, object? Value)[] parameters)
    {
        var count = Convert.ToInt32(Scalar(connection, transaction, $"SELECT count(*) FROM {table} WHERE {where}", parameters), System.Globalization.CultureInfo.InvariantCulture);
        ExecuteExpecting(connection, transaction, count, what, $"DELETE FROM {table} WHERE {where}", parameters);
        var left = Convert.ToInt32(Scalar(connection, transaction, $"SELECT count(*) FROM {table} WHERE {where}", parameters), System.Globalization.CultureInfo.InvariantCulture);
        if (left != 0)
        {
            throw Altered($"{what}: {left} row(s) still there after deleting them");
        }

        return count;
    }

    /// <summary>The store did not do what SecretOps asked of it: it was altered (<c>SecretOps.StoreCorrupt</c>); nothing is committed.</summary>
    public static StoreUnavailableException Altered(string detail) =>
        new($"The store did not record a change as asked ({detail}); it has been altered, and nothing was changed.", null, corrupt: true);

    /// <summary>Closes this file's idle connections (before it is replaced or deleted); ones in use close when returned.</summary>
    public void ReleaseConnections()
    {
        if (Idle.TryGetValue(connectionString, out var idle))
        {
            idle.Release();
        }
    }

    /// <summary>Closes every idle store connection of this process; the last close of a file folds its WAL into it.</summary>
    public static void ReleaseAll()
    {
        foreach (var idle in Idle.Values)
        {
            idle.Release();
        }
    }

    /// <summary>Runs a statement (or several) and returns the rows changed.</summary>
    public static int Execute(SqliteConnection connection, StoreTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs a query and returns the first column of its first row (null when there is none).</summary>
    public static object? Scalar(SqliteConnection connection, StoreTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    /// <summary>A statement with its parameters bound; disposing it keeps it prepared for the next use on a kept connection.</summary>
    public static Statement Command(SqliteConnection connection, StoreTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        if (transaction is not null && transaction.Connection != connection)
        {
            throw new InvalidOperationException("The transaction belongs to another connection.");
        }

        Statements.TryGetValue(connection, out var cache);
        var command = cache?.Take(sql) ?? NewCommand(connection, sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return new Statement(command, cache);
    }

    private static SqliteCommand NewCommand(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private T InTransaction<T>(Func<SqliteConnection, StoreTransaction, T> body, bool commit, bool buffered)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lease = Rent();
            try
            {
                if (buffered)
                {
                    Execute(lease.Connection, null, "PRAGMA synchronous = NORMAL");
                }

                Execute(lease.Connection, null, commit ? "BEGIN IMMEDIATE" : "BEGIN");
                if (commit && !File.Exists(Path))
                {
                    // Removed while in use: SQLite would write on into the deleted file, and the write would be lost.
                    ReleaseConnections();
                    throw new StoreUnavailableException($"'{Path}' was removed while in use; nothing was written.", Path);
                }

                // Inside the transaction, so what is verified is what the body runs against.
                EnsureSchema(lease.Connection);
                var result = body(lease.Connection, new StoreTransaction(lease.Connection));
                // A read has nothing to keep: ending it with ROLLBACK guarantees it changed nothing.
                Execute(lease.Connection, null, commit ? "COMMIT" : "ROLLBACK");
                // Committed: a connection that cannot be set back to FULL is dropped rather than reported as a failure.
                if (!buffered || TryRestoreFullSync(lease.Connection))
                {
                    Return(lease);
                }
                else
                {
                    lease.Connection.Dispose();
                }

                return result;
            }
            catch (Exception failure)
            {
                // A refusal or a busy file leaves a sound connection worth keeping; anything else may not. A kept
                // connection must be back at synchronous=FULL, or the next change on it would not be synced.
                var busy = failure is SqliteException sqlite && SqliteErrors.IsBusy(sqlite);
                if ((busy || failure is SecretOpsException) && TryRollBack(lease.Connection) && (!buffered || TryRestoreFullSync(lease.Connection)))
                {
                    Return(lease);
                }
                else
                {
                    lease.Connection.Dispose();
                }

                if (!busy || attempt >= MaxWriteAttempts)
                {
                    if (Damaged(failure) is { } damaged)
                    {
                        throw damaged;
                    }

                    throw;
                }
            }

            Thread.Sleep(Random.Shared.Next(20, 100) * attempt);
        }
    }

    private static bool TryRestoreFullSync(SqliteConnection connection)
    {
        try
        {
            Execute(connection, null, "PRAGMA synchronous = FULL");
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>Ends the connection's open transaction, if SQLite has not already; false when that fails.</summary>
    private static bool TryRollBack(SqliteConnection connection)
    {
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
            {
                Execute(connection, null, "ROLLBACK");
            }

            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private Lease Rent()
    {
        if (!IsShared)
        {
            var idle = Idle.GetOrAdd(connectionString, _ => new IdleConnections());
            return idle.TryTake(out var kept) ? kept : new Lease(OpenConnection(cacheStatements: true), idle, idle.Generation);
        }

        return new Lease(OpenConnection(cacheStatements: false), null, 0);
    }

    private static void Return(Lease lease)
    {
        if (lease.Owner is null || !lease.Owner.TryAdd(lease))
        {
            lease.Connection.Dispose();
        }
    }

    private SqliteConnection OpenConnection(bool cacheStatements)
    {
        // Before every open: SQLite adopts an existing -wal, -shm or -journal as it finds it.
        SqliteFiles.CheckSideFiles(Path);
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            // trusted_schema=OFF: SQL in the file's schema (a trigger, a view) may not call functions with side effects.
            Execute(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = FULL; PRAGMA trusted_schema = OFF;");
            if (cacheStatements)
            {
                // A kept connection keeps its page cache: let a large store's working set stay in it (SQLite's
                // default is 2 MiB; pages are allocated only as they are read).
                Execute(connection, null, $"PRAGMA cache_size = -{KeptConnectionCacheKiB};");
                Statements.Add(connection, new StatementCache());
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }


    /// <summary>A connection lent out, with the generation of its file's idle set when it was opened.</summary>
    private readonly record struct Lease(SqliteConnection Connection, IdleConnections? Owner, int Generation);

    /// <summary>The idle connections to one file; a release closes them and makes ones in use close when returned.</summary>
    private sealed class IdleConnections
    {
        private const int MaxIdle = 4;
        private readonly Stack<Lease> idle = new();
        private readonly object gate = new();

        public int Generation { get; private set; }

        public bool TryTake(out Lease lease)
        {
            lock (gate)
            {
                return idle.TryPop(out lease);
            }
        }

        public bool TryAdd(Lease lease)
        {
            lock (gate)
            {
                if (lease.Generation != Generation || idle.Count >= MaxIdle)
                {
                    return false;
                }

                idle.Push(lease);
                return true;
            }
        }

        public void Release()
        {
            Lease[] closing;
            lock (gate)
            {
                Generation++;
                closing = [.. idle];
                idle.Clear();
            }

            foreach (var lease in closing)
            {
                lease.Connection.Dispose();
            }
        }
    }
}
