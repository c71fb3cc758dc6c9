using Npgsql;

namespace SecretOps.Server.Storage;

/// <summary>The audit log in the server's <see cref="PostgresDatabase"/>, the table <c>secretops_audit</c>, shared by every instance.</summary>
public sealed class PostgresAuditLog : IAuditLog
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS secretops_audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at timestamptz NOT NULL,
            client_id uuid,
            peer text NOT NULL,
            resolved text,
            method text NOT NULL,
            path text NOT NULL,
            outcome text NOT NULL
        );
        """;

    private readonly NpgsqlDataSource dataSource;

    private PostgresAuditLog(NpgsqlDataSource dataSource)
    {
        this.dataSource = dataSource;
    }

    /// <summary>The audit log in <paramref name="database"/>, its table created if needed; throws when the database cannot be reached.</summary>
    public static PostgresAuditLog Open(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new PostgresAuditLog(database.DataSource);
    }

    /// <inheritdoc/>
    public void Append(RequestAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Run(nameof(Append), () =>
        {
            using var insert = dataSource.CreateCommand(
                $"INSERT INTO secretops_audit ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
            AddParameters(insert, entry);
            return insert.ExecuteNonQuery();
        });
    }

    /// <inheritdoc/>
    public async Task AppendAsync(RequestAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            await using var insert = dataSource.CreateCommand(
                $"INSERT INTO secretops_audit ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
            AddParameters(insert, entry);
            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (PostgresDatabase.IsStorageFailure(e))
        {
            throw new StorageUnavailableException("postgres", nameof(Append), e);
        }
    }

    /// <summary>The columns an audit row is inserted with, in the order of <see cref="AddParameters"/>.</summary>
    internal const string Columns = "at, client_id, peer, resolved, method, path, outcome";

    /// <summary>Adds <paramref name="entry"/>'s seven values to <paramref name="command"/>'s positional parameters, in the order of <see cref="Columns"/>.</summary>
    internal static void AddParameters(NpgsqlCommand command, RequestAuditEntry entry)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = entry.At.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.ClientId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Peer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.Resolved ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Method });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Path });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Outcome });
    }

    /// <inheritdoc/>
    public IReadOnlyList<RequestAuditEntry> Recent(int count) => Run(nameof(Recent), () =>
    {
        using var select = dataSource.CreateCommand(
            "SELECT at, client_id, peer, resolved, method, path, outcome FROM secretops_audit ORDER BY id DESC LIMIT $1");
        select.Parameters.Add(new NpgsqlParameter { Value = count });
        using var reader = select.ExecuteReader();
        var entries = new List<RequestAuditEntry>();
        while (reader.Read())
        {
            entries.Add(new RequestAuditEntry(
                reader.GetFieldValue<DateTimeOffset>(0),
                reader.IsDBNull(1) ? null : reader.GetGuid(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6)));
        }

        return entries;
    });

    /// <inheritdoc/>
    public int DeleteOlderThan(DateTimeOffset cutoff) => Run(nameof(DeleteOlderThan), () =>
    {
        using var delete = dataSource.CreateCommand("DELETE FROM secretops_audit WHERE at < $1");
        delete.Parameters.Add(new NpgsqlParameter { Value = cutoff.ToUniversalTime() });
        return delete.ExecuteNonQuery();
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
