using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>
/// A store kept in one SQLite file (DESIGN §5): the <see cref="IStoreBackend"/> Core runs on, and the file operations
/// only a file has (create, open, back up, stage and install a restore). Every SQLite failure leaves here as a
/// <see cref="StoreUnavailableException"/>.
/// </summary>
internal sealed class SqliteBackend : IStoreBackend
{
    private readonly StoreDatabase database;

    private SqliteBackend(StoreDatabase database, bool isReadOnly)
    {
        this.database = database;
        IsReadOnly = isReadOnly;
    }

    public string Location => database.Path;

    public bool IsReadOnly { get; }

    public bool IsShared => database.IsShared;

    public T Read<T>(Func<IStoreReader, T> body) =>
        Translated(() => database.Read((connection, transaction) => body(new SqliteReader(connection, transaction))));

    public T? TryReadOnce<T>(Func<IStoreReader, T?> body)
        where T : struct
    {
        try
        {
            // No schema check: PRAGMA schema_version is a read transaction of its own, which doubled a warm read's cost.
            return database.Use(connection => body(new SqliteReader(connection, transaction: null)), verifySchema: false);
        }
        catch (SqliteException e) when (SqliteErrors.IsBusy(e))
        {
            return null;
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(Location, e);
        }
    }

    public T Write<T>(Func<IStoreReader, WriteBatch, T> body, CommitDurability durability = CommitDurability.Synced) => Translated(() => database.Write((connection, transaction) =>
    {
        var batch = new WriteBatch();
        var result = body(new SqliteReader(connection, transaction), batch);
        new SqliteBatchWriter(connection, transaction).Apply(batch);
        return result;
    }, buffered: durability == CommitDurability.Buffered));

    /// <summary>
    /// Applies batches decided elsewhere (a hosted store's log), in order, in one transaction: each batch's expectations
    /// meet the store the batches before it left. <paramref name="check"/> then sees the store with them all applied and
    /// <paramref name="beforeCommit"/> runs last; if a batch fails or either throws, nothing is applied.
    /// </summary>
    public void Apply(IReadOnlyList<WriteBatch> batches, Action<IStoreReader> check, Action beforeCommit, CommitDurability durability) => Translated(() => database.Write((connection, transaction) =>
    {
        var writer = new SqliteBatchWriter(connection, transaction);
        foreach (var batch in batches)
        {
            writer.Apply(batch);
        }

        check(new SqliteReader(connection, transaction));
        beforeCommit();
        return 0;
    }, buffered: durability == CommitDurability.Buffered));

    /// <summary>Deletes the store file at <paramref name="fullPath"/> and its side files, closing this process's connections to it first.</summary>
    public static void Delete(string fullPath)
    {
        new StoreDatabase(fullPath, shared: false).ReleaseConnections();
        File.Delete(fullPath);
        DeleteSideFiles(fullPath);
    }

    /// <summary>
    /// Creates a store file at <paramref name="fullPath"/>: the schema, then what <paramref name="populate"/> writes
    /// through the backend. The file is built in a private directory and copied into place through the one handle that
    /// creates it: SQLite opens files by name, and a name in a directory others can write may be swapped for a link.
    /// </summary>
    public static void Create(string fullPath, bool? shared, Action<IStoreBackend> populate)
    {
        using var work = StoreFiles.CreatePrivateDirectory();
        var building = work.File("store.db");
        StoreFiles.CreateOwnerOnlyFile(building).Dispose();
        var database = new StoreDatabase(building, shared ?? StoreFiles.IsOnNetworkShare(fullPath));
        try
        {
            Translated(building, () => database.Use(connection =>
            {
                database.ApplyJournalMode(connection);
                database.VerifySchema(connection, 0);
                Schema.Migrate(connection, 0);
                database.VerifySchema(connection, Schema.CurrentVersion);
                return 0;
            }, verifySchema: false));
            populate(new SqliteBackend(database, isReadOnly: false));
            Translated(building, () => database.Use(connection => StoreDatabase.Execute(connection, null, "PRAGMA wal_checkpoint(TRUNCATE);")));
            database.ReleaseConnections();
            // Connections kept from before may reach a file once at this path.
            new StoreDatabase(fullPath, shared: false).ReleaseConnections();
            StoreFiles.CopyToNewOwnerOnlyFile(building, fullPath);
        }
        finally
        {
            database.ReleaseConnections();
        }
    }

    /// <summary>
    /// Opens the store file at <paramref name="fullPath"/>: its schema verified before anything runs in a transaction
    /// (a planted trigger would run inside it, migrations included), upgraded from an older format, and its header read.
    /// </summary>
    public static (SqliteBackend Backend, StoreHeader Header) Open(string fullPath, bool? shared)
    {
        // The journal mode belongs to the store: a file a client opened as shared (journal_mode=DELETE) stays shared
        // for openers that do not say otherwise, rather than being switched back to WAL under that client.
        var database = new StoreDatabase(fullPath, shared ?? IsSharedFile(fullPath));
        // Connections kept from before may reach a file since replaced (a restore, a new store at this path).
        database.ReleaseConnections();
        try
        {
            return Translated(fullPath, () => database.Use(connection =>
            {
                var readOnly = StoreDatabase.IsReadOnly(connection);
                var version = Schema.ReadVersion(connection, fullPath);
                database.VerifySchema(connection, version);
                if (version < Schema.CurrentVersion)
                {
                    if (readOnly)
                    {
                        throw new StoreUnavailableException($"'{fullPath}' needs upgrading to format {Schema.CurrentVersion}, but it is read-only.", fullPath);
                    }

                    Schema.Migrate(connection, version);
                    database.VerifySchema(connection, Schema.CurrentVersion);
                }

                if (!readOnly)
                {
                    database.ApplyJournalMode(connection);
                }

                var header = new SqliteReader(connection, transaction: null).Header()
                    ?? throw new StoreUnavailableException($"'{fullPath}' has no store header; it is damaged.", fullPath, corrupt: true);
                return (new SqliteBackend(database, readOnly), header);
            }, verifySchema: false));
        }
        catch
        {
            database.ReleaseConnections();
            throw;
        }
    }

    /// <summary>
    /// Whether the store file at <paramref name="fullPath"/> is to be kept in shared mode: on a network share, or already
    /// in rollback-journal mode (a client opened it as shared).
    /// </summary>
    public static bool IsSharedFile(string fullPath) => StoreFiles.IsOnNetworkShare(fullPath) || SqliteFiles.HasRollbackJournal(fullPath);

    /// <summary>The store format this backend writes.</summary>
    public static int FormatVersion => Schema.CurrentVersion;

    /// <summary>
    /// Copies the store with SQLite's online backup API to <paramref name="copy"/> (an owner-only file in a private
    /// directory), consistent even while others write, and checks the copy holds nothing the format does not.
    /// </summary>
    public void BackupTo(string copy) => Translated(() => database.Use(source =>
    {
        using var target = new SqliteConnection($"Data Source={copy};Pooling=False");
        target.Open();
        source.BackupDatabase(target);
        StoreDatabase.Execute(target, null, "PRAGMA journal_mode = DELETE;");
        // The copy is what others will restore: it must hold nothing the format does not (a trigger planted mid-copy).
        Schema.Verify(target, Schema.CurrentVersion, Location);
        return 0;
    }));

    /// <summary>Copies the store file at <paramref name="fullSource"/> into <paramref name="staging"/> (a new owner-only file) with SQLite's backup API.</summary>
    public static void CopyFile(string fullSource, string staging)
    {
        SqliteFiles.CheckSideFiles(fullSource);
        StoreFiles.CreateOwnerOnlyFile(staging).Dispose();
        Translated(fullSource, () =>
        {
            using var from = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = fullSource, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            using var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = staging, Pooling = false }.ToString());
            from.Open();
            to.Open();
            from.BackupDatabase(to);
            return 0;
        });
    }

    /// <summary>
    /// Replaces the store file at <paramref name="fullDestination"/> with the verified copy: copied beside it through one
    /// handle, then moved into place. The old store's -wal and -journal go first: found beside the restored file, SQLite
    /// would replay them into it. Interrupted between the two steps, the old file is still whole (its last WAL commits lost).
    /// </summary>
    public static void Install(string verifiedCopy, string fullDestination)
    {
        var staging = fullDestination + ".restoring-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            StoreFiles.CopyToNewOwnerOnlyFile(verifiedCopy, staging);
            new StoreDatabase(fullDestination, shared: false).ReleaseConnections();
            DeleteSideFiles(fullDestination);
            File.Move(staging, fullDestination, overwrite: true);
        }
        catch
        {
            File.Delete(staging);
            DeleteSideFiles(staging);
            throw;
        }
    }

    /// <summary>Closes this store's idle connections (before its file is replaced or checked as a copy).</summary>
    public void ReleaseConnections() => database.ReleaseConnections();

    /// <summary>Closes every idle store connection of this process; the last close of a file folds its WAL into it.</summary>
    public static void ReleaseAll() => StoreDatabase.ReleaseAll();

    private static void DeleteSideFiles(string path)
    {
        foreach (var suffix in new[] { "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }
    }

    private T Translated<T>(Func<T> operation) => Translated(Location, operation);

    private static T Translated<T>(string path, Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.Translate(path, e);
        }
    }
}
