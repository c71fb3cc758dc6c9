using SecretOps.Core.Remote;
using Npgsql;
using NpgsqlTypes;

namespace SecretOps.Server.Storage;

/// <summary>
/// The store log in the server's <see cref="PostgresDatabase"/>, the table <c>secretops_store_log</c>, shared by every
/// instance. An append reads the head and inserts with <c>ON CONFLICT DO NOTHING</c> in one transaction: of two
/// instances inserting the same revision, the second waits on the first's row and then inserts nothing, which is its
/// <c>false</c>. Rows are never deleted or changed, so a head read as N means 1…N are all committed: no append can
/// leave a gap.
/// </summary>
public sealed class PostgresStoreLog : IStoreLog
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS secretops_store_log (
            revision bigint NOT NULL PRIMARY KEY CHECK (revision > 0),
            kind integer NOT NULL CHECK (kind IN (1, 2)),
            client_id uuid NOT NULL,
            at timestamptz NOT NULL,
            content bytea NOT NULL
        );
        CREATE INDEX IF NOT EXISTS secretops_store_log_snapshots ON secretops_store_log (revision) WHERE kind = 1;
        """;

    /// <summary>
    /// A read's rows. The inner query sums only the contents' lengths (octet_length reads a stored value's size without
    /// fetching it), so entries past the byte budget are never fetched; its LIMIT is the count, and the first entry is
    /// kept whatever its size.
    /// </summary>
    private const string ReadQuery = """
        SELECT l.revision, l.kind, l.client_id, l.at, l.content
        FROM secretops_store_log l
        JOIN (
            SELECT revision,
                row_number() OVER (ORDER BY revision) AS position,
                sum(octet_length(content)) OVER (ORDER BY revision ROWS UNBOUNDED PRECEDING) AS running
            FROM secretops_store_log
            WHERE revision > $1
            ORDER BY revision
            LIMIT $2
        ) w ON w.revision = l.revision
        WHERE w.position = 1 OR w.running <= $3
        ORDER BY l.revision
        """;

    private const string HeadQuery = "SELECT coalesce(max(revision), 0) FROM secretops_store_log";

    private readonly NpgsqlDataSource dataSource;

    private PostgresStoreLog(NpgsqlDataSource dataSource)
    {
        this.dataSource = dataSource;
    }

    /// <summary>The store log in <paramref name="database"/>, its table created if needed; throws when the database cannot be reached.</summary>
    public static PostgresStoreLog Open(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new PostgresStoreLog(database.DataSource);
    }

    /// <inheritdoc/>
    public long Head() => Run(nameof(Head), () =>
    {
        using var select = dataSource.CreateCommand(HeadQuery);
        return (long)select.ExecuteScalar()!;
    });

    /// <inheritdoc/>
    public bool TryAppend(StoreLogEntry entry)
    {
        StoreLogInput.RequireAppendable(entry);
        return Run(nameof(TryAppend), () =>
        {
            using var connection = dataSource.OpenConnection();
            using var transaction = connection.BeginTransaction();
            long head;
            using (var select = new NpgsqlCommand(HeadQuery, connection, transaction))
            {
                head = (long)select.ExecuteScalar()!;
            }

            if (entry.Revision <= head)
            {
                return false;
            }

            StoreLogInput.RequireNoGap(entry.Revision, head);
            using var insert = new NpgsqlCommand(
                "INSERT INTO secretops_store_log (revision, kind, client_id, at, content) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (revision) DO NOTHING",
                connection,
                transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.Revision });
            insert.Parameters.Add(new NpgsqlParameter { Value = (int)entry.Kind });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.ClientId });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.At.ToUniversalTime() });
            insert.Parameters.Add(new NpgsqlParameter { Value = entry.Content, NpgsqlDbType = NpgsqlDbType.Bytea });
            var inserted = insert.ExecuteNonQuery() == 1;
            transaction.Commit();
            return inserted;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoreLogEntry> Read(long after, int maxCount, long maxBytes)
    {
        StoreLogInput.RequireReadable(after, maxCount, maxBytes);
        return Run(nameof(Read), () =>
        {
            using var select = dataSource.CreateCommand(ReadQuery);
            select.Parameters.Add(new NpgsqlParameter { Value = after });
            select.Parameters.Add(new NpgsqlParameter { Value = (long)maxCount });
            select.Parameters.Add(new NpgsqlParameter { Value = maxBytes });
            using var reader = select.ExecuteReader();
            var entries = new List<StoreLogEntry>();
            while (reader.Read())
            {
                entries.Add(new StoreLogEntry(
                    reader.GetInt64(0),
                    (StoreLogEntryKind)reader.GetInt32(1),
                    reader.GetGuid(2),
                    reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetFieldValue<byte[]>(4)));
            }

            return entries;
        });
    }

    /// <inheritdoc/>
    public long LatestSnapshot() => Run(nameof(LatestSnapshot), () =>
    {
        using var select = dataSource.CreateCommand("SELECT coalesce(max(revision), 0) FROM secretops_store_log WHERE kind = 1");
        return (long)select.ExecuteScalar()!;
    });

    private static T Run<T>(string operation, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (PostgresDatabase.IsStorageFailure(e))
        {
            throw new StorageUnavailableException("postgres", operation, e);
        }
    }
}
