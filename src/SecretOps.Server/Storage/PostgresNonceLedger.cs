using Microsoft.Extensions.Logging;
using Npgsql;

namespace SecretOps.Server.Storage;

/// <summary>
/// The nonce ledger in PostgreSQL, shared by every server instance on the database. <c>INSERT … ON CONFLICT DO
/// NOTHING</c> on the primary key (client_id, nonce): one row affected is a new nonce, none is the replay, and any
/// exception is <see cref="NonceRecordResult.Unavailable"/>. Connections come from one <see cref="NpgsqlDataSource"/>
/// built with <see cref="PostgresConnectionPolicy"/>.
/// </summary>
public sealed class PostgresNonceLedger : INonceLedger, IStorageHealth
{
    /// <summary>SQLSTATE unique_violation and duplicate_table: another instance created the table at the same moment.</summary>
    private static readonly string[] ConcurrentCreation = [PostgresErrorCodes.UniqueViolation, PostgresErrorCodes.DuplicateTable];

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS secretops_nonces (
            client_id uuid NOT NULL,
            nonce bytea NOT NULL CHECK (octet_length(nonce) = 16),
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (client_id, nonce)
        );
        CREATE INDEX IF NOT EXISTS secretops_nonces_expires_at ON secretops_nonces (expires_at);
        """;

    private readonly NpgsqlDataSource dataSource;
    private readonly ILogger logger;

    private PostgresNonceLedger(NpgsqlDataSource dataSource, ILogger logger)
    {
        this.dataSource = dataSource;
        this.logger = logger;
    }

    /// <inheritdoc/>
    public string Kind => "postgres";

    /// <summary>Connects with <paramref name="connectionString"/> (see <see cref="PostgresConnectionPolicy"/>) and creates the table if needed; throws when it cannot.</summary>
    public static PostgresNonceLedger Open(string connectionString, ILogger logger)
    {
        var dataSource = NpgsqlDataSource.Create(PostgresConnectionPolicy.Apply(connectionString));
        try
        {
            CreateSchema(dataSource);
            return new PostgresNonceLedger(dataSource, logger);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce16, DateTimeOffset expiresAt)
    {
        NonceInput.RequireLength(nonce16);
        var nonce = nonce16.ToArray();
        try
        {
            using var insert = dataSource.CreateCommand(
                "INSERT INTO secretops_nonces (client_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
            insert.Parameters.Add(new NpgsqlParameter { Value = clientId });
            insert.Parameters.Add(new NpgsqlParameter { Value = nonce });
            insert.Parameters.Add(new NpgsqlParameter { Value = expiresAt.ToUniversalTime() });
            return insert.ExecuteNonQuery() == 1 ? NonceRecordResult.Recorded : NonceRecordResult.Replayed;
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
            using var delete = dataSource.CreateCommand("DELETE FROM secretops_nonces WHERE expires_at < $1");
            delete.Parameters.Add(new NpgsqlParameter { Value = now.ToUniversalTime() });
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
            using var probe = dataSource.CreateCommand("SELECT 1 FROM secretops_nonces LIMIT 1");
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
    public void Dispose() => dataSource.Dispose();

    private static void CreateSchema(NpgsqlDataSource dataSource)
    {
        try
        {
            using var create = dataSource.CreateCommand(Schema);
            create.ExecuteNonQuery();
        }
        catch (PostgresException e) when (ConcurrentCreation.Contains(e.SqlState))
        {
            // The other instance's CREATE won; ours now finds the table and index in place.
            using var again = dataSource.CreateCommand(Schema);
            again.ExecuteNonQuery();
        }
    }

    private static bool IsStorageFailure(Exception e) => e is NpgsqlException or InvalidOperationException or TimeoutException or IOException;
}
