using Microsoft.Extensions.Logging;
using Npgsql;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>
/// The nonce ledger in the server's <see cref="PostgresDatabase"/>, shared by every server instance on it. <c>INSERT …
/// ON CONFLICT DO NOTHING</c> on the primary key (client_id, nonce): one row affected is a new nonce, none is the
/// replay, and any exception is <see cref="NonceRecordResult.Unavailable"/>.
/// </summary>
public sealed class PostgresNonceLedger : IPrunableNonceLedger, IStorageHealth
{
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

    /// <summary>The ledger in <paramref name="database"/>, its table created if needed; throws when the database cannot be reached.</summary>
    public static PostgresNonceLedger Open(PostgresDatabase database, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new PostgresNonceLedger(database.DataSource, logger);
    }

    /// <inheritdoc/>
    public NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce, DateTimeOffset expiresAt)
    {
        NonceInput.RequireLength(nonce);
        var nonceBytes = nonce.ToArray();
        try
        {
            using var insert = dataSource.CreateCommand(
                "INSERT INTO secretops_nonces (client_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
            insert.Parameters.Add(new NpgsqlParameter { Value = clientId });
            insert.Parameters.Add(new NpgsqlParameter { Value = nonceBytes });
            insert.Parameters.Add(new NpgsqlParameter { Value = expiresAt.ToUniversalTime() });
            return insert.ExecuteNonQuery() == 1 ? NonceRecordResult.Recorded : NonceRecordResult.AlreadySeen;
        }
        catch (Exception e) when (PostgresDatabase.IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(TryRecord), e.Message);
            return NonceRecordResult.Unavailable;
        }
    }

    /// <inheritdoc/>
    public async Task<NonceRecordResult> TryRecordAllowedAsync(Guid clientId, ReadOnlyMemory<byte> nonce, DateTimeOffset expiresAt, RequestAuditEntry allowed)
    {
        NonceInput.RequireLength(nonce.Span);
        ArgumentNullException.ThrowIfNull(allowed);
        try
        {
            // One statement, so one transaction and one round trip: the audit row is inserted only from the nonce
            // insert's RETURNING row, which a nonce already there (ON CONFLICT DO NOTHING) does not give.
            await using var insert = dataSource.CreateCommand(
                "WITH recorded AS (INSERT INTO secretops_nonces (client_id, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1) " +
                $"INSERT INTO secretops_audit ({PostgresAuditLog.Columns}) SELECT $4, $5, $6, $7, $8, $9, $10 FROM recorded");
            insert.Parameters.Add(new NpgsqlParameter { Value = clientId });
            insert.Parameters.Add(new NpgsqlParameter { Value = nonce.ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = expiresAt.ToUniversalTime() });
            PostgresAuditLog.AddParameters(insert, allowed);
            return await insert.ExecuteNonQueryAsync().ConfigureAwait(false) == 1 ? NonceRecordResult.Recorded : NonceRecordResult.AlreadySeen;
        }
        catch (Exception e) when (PostgresDatabase.IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(TryRecordAllowedAsync), e.Message);
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
        catch (Exception e) when (PostgresDatabase.IsStorageFailure(e))
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
        catch (Exception e) when (PostgresDatabase.IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(IsReachable), e.Message);
            return false;
        }
    }
}
