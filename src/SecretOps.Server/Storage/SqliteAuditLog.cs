using Microsoft.Data.Sqlite;

namespace SecretOps.Server.Storage;

/// <summary>The audit log in the server's <see cref="SqliteDatabase"/>, the table <c>audit</c>.</summary>
public sealed class SqliteAuditLog : IAuditLog
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            client_id TEXT,
            peer TEXT NOT NULL,
            resolved TEXT,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            outcome TEXT NOT NULL
        );
        """;

    private readonly SqliteDatabase database;

    private SqliteAuditLog(SqliteDatabase database)
    {
        this.database = database;
    }

    /// <summary>The audit log in <paramref name="database"/>, its table created if needed.</summary>
    public static SqliteAuditLog Open(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new SqliteAuditLog(database);
    }

    /// <inheritdoc/>
    public void Append(RequestAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        AppendAsync(entry).GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public async Task AppendAsync(RequestAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            await database.WriteAsync(connection => Insert(connection, entry)).ConfigureAwait(false);
        }
        catch (Exception e) when (SqliteDatabase.IsStorageFailure(e))
        {
            throw new StorageUnavailableException("sqlite", nameof(Append), e);
        }
    }

    /// <summary>Inserts <paramref name="entry"/> on <paramref name="connection"/>, in whatever transaction it is in.</summary>
    internal static int Insert(SqliteConnection connection, RequestAuditEntry entry)
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO audit (at, client_id, peer, resolved, method, path, outcome) VALUES ($at, $client, $peer, $resolved, $method, $path, $outcome)";
        insert.Parameters.AddWithValue("$at", entry.At.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$client", (object?)entry.ClientId?.ToString("D") ?? DBNull.Value);
        insert.Parameters.AddWithValue("$peer", entry.Peer);
        insert.Parameters.AddWithValue("$resolved", (object?)entry.Resolved ?? DBNull.Value);
        insert.Parameters.AddWithValue("$method", entry.Method);
        insert.Parameters.AddWithValue("$path", entry.Path);
        insert.Parameters.AddWithValue("$outcome", entry.Outcome);
        return insert.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public IReadOnlyList<RequestAuditEntry> Recent(int count) => Run(nameof(Recent), connection =>
    {
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT at, client_id, peer, resolved, method, path, outcome FROM audit ORDER BY id DESC LIMIT $count";
        select.Parameters.AddWithValue("$count", count);
        using var reader = select.ExecuteReader();
        var entries = new List<RequestAuditEntry>();
        while (reader.Read())
        {
            entries.Add(new RequestAuditEntry(
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                reader.IsDBNull(1) ? null : Guid.ParseExact(reader.GetString(1), "D"),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6)));
        }

        return entries;
    });

    /// <inheritdoc/>
    public int DeleteOlderThan(DateTimeOffset cutoff) => Run(nameof(DeleteOlderThan), connection =>
    {
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM audit WHERE at < $cutoff";
        delete.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
        return delete.ExecuteNonQuery();
    });

    private T Run<T>(string operation, Func<SqliteConnection, T> work)
    {
        try
        {
            using var lease = database.Rent();
            var connection = lease.Connection;
            return work(connection);
        }
        catch (Exception e) when (SqliteDatabase.IsStorageFailure(e))
        {
            throw new StorageUnavailableException("sqlite", operation, e);
        }
    }
}
