using SecretOps.Core.Remote;
using Microsoft.Data.Sqlite;

namespace SecretOps.Server.Storage;

/// <summary>
/// The store log in the server's <see cref="SqliteDatabase"/>, the table <c>store_log</c>. An append reads the head
/// and inserts in one <c>BEGIN IMMEDIATE</c> transaction, which holds the database's write lock from its start: a
/// second writer (another connection, another process) waits for it (up to the busy timeout) and then finds the
/// revision taken.
/// </summary>
public sealed class SqliteStoreLog : IStoreLog
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS store_log (
            revision INTEGER NOT NULL PRIMARY KEY CHECK (revision > 0),
            kind INTEGER NOT NULL CHECK (kind IN (1, 2)),
            client_id TEXT NOT NULL CHECK (length(client_id) = 36),
            at INTEGER NOT NULL,
            content BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS store_log_snapshots ON store_log (revision) WHERE kind = 1;
        """;

    /// <summary>
    /// A read's rows. The inner query sums only the contents' lengths (SQLite takes a blob's length without loading
    /// it), so entries past the byte budget are never fetched; its LIMIT is the count, and the first entry is kept
    /// whatever its size.
    /// </summary>
    private const string ReadQuery = """
        SELECT l.revision, l.kind, l.client_id, l.at, l.content
        FROM store_log l
        JOIN (
            SELECT revision,
                row_number() OVER (ORDER BY revision) AS position,
                sum(length(content)) OVER (ORDER BY revision ROWS UNBOUNDED PRECEDING) AS running
            FROM store_log
            WHERE revision > $after
            ORDER BY revision
            LIMIT $count
        ) w ON w.revision = l.revision
        WHERE w.position = 1 OR w.running <= $bytes
        ORDER BY l.revision
        """;

    private readonly SqliteDatabase database;

    private SqliteStoreLog(SqliteDatabase database)
    {
        this.database = database;
    }

    /// <summary>The store log in <paramref name="database"/>, its table created if needed.</summary>
    public static SqliteStoreLog Open(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new SqliteStoreLog(database);
    }

    /// <inheritdoc/>
    public long Head() => Run(nameof(Head), connection => Scalar(connection, null, "SELECT coalesce(max(revision), 0) FROM store_log"));

    /// <inheritdoc/>
    public bool TryAppend(StoreLogEntry entry)
    {
        StoreLogInput.RequireAppendable(entry);
        return Run(nameof(TryAppend), connection =>
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var head = Scalar(connection, transaction, "SELECT coalesce(max(revision), 0) FROM store_log");
            if (entry.Revision <= head)
            {
                return false;
            }

            StoreLogInput.RequireNoGap(entry.Revision, head);
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO store_log (revision, kind, client_id, at, content) VALUES ($revision, $kind, $client, $at, $content)";
            insert.Parameters.AddWithValue("$revision", entry.Revision);
            insert.Parameters.AddWithValue("$kind", (int)entry.Kind);
            insert.Parameters.AddWithValue("$client", entry.ClientId.ToString("D"));
            insert.Parameters.AddWithValue("$at", entry.At.ToUnixTimeMilliseconds());
            insert.Parameters.Add("$content", SqliteType.Blob).Value = entry.Content;
            insert.ExecuteNonQuery();
            transaction.Commit();
            return true;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoreLogEntry> Read(long after, int maxCount, long maxBytes)
    {
        StoreLogInput.RequireReadable(after, maxCount, maxBytes);
        return Run(nameof(Read), connection =>
        {
            using var select = connection.CreateCommand();
            select.CommandText = ReadQuery;
            select.Parameters.AddWithValue("$after", after);
            select.Parameters.AddWithValue("$count", maxCount);
            select.Parameters.AddWithValue("$bytes", maxBytes);
            using var reader = select.ExecuteReader();
            var entries = new List<StoreLogEntry>();
            while (reader.Read())
            {
                entries.Add(new StoreLogEntry(
                    reader.GetInt64(0),
                    (StoreLogEntryKind)reader.GetInt32(1),
                    Guid.ParseExact(reader.GetString(2), "D"),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                    reader.GetFieldValue<byte[]>(4)));
            }

            return entries;
        });
    }

    /// <inheritdoc/>
    public long LatestSnapshot() => Run(nameof(LatestSnapshot), connection =>
        Scalar(connection, null, "SELECT coalesce(max(revision), 0) FROM store_log WHERE kind = 1"));

    private static long Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var select = connection.CreateCommand();
        select.Transaction = transaction;
        select.CommandText = sql;
        return (long)select.ExecuteScalar()!;
    }

    private T Run<T>(string operation, Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = database.Connect();
            return work(connection);
        }
        catch (Exception e) when (SqliteDatabase.IsStorageFailure(e))
        {
            throw new StorageUnavailableException("sqlite", operation, e);
        }
    }
}
