using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>
/// The nonce ledger in the server's <see cref="SqliteDatabase"/>. The table's primary key (client_id, nonce) makes a
/// second insert of a pair fail with SQLITE_CONSTRAINT_PRIMARYKEY, which is the replay; every other failure is
/// <see cref="NonceRecordResult.Unavailable"/>. synchronous=FULL: a recorded nonce survives a power cut.
/// </summary>
public sealed class SqliteNonceLedger : IPrunableNonceLedger, IStorageHealth
{
    /// <summary>SQLITE_CONSTRAINT_PRIMARYKEY, the extended result code of a duplicate (client_id, nonce).</summary>
    private const int PrimaryKeyViolation = 1555;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS nonces (
            client_id BLOB NOT NULL CHECK (length(client_id) = 16),
            nonce BLOB NOT NULL CHECK (length(nonce) = 16),
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (client_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS nonces_expires_at ON nonces (expires_at);
        """;

    private readonly SqliteDatabase database;
    private readonly ILogger logger;

    private SqliteNonceLedger(SqliteDatabase database, ILogger logger)
    {
        this.database = database;
        this.logger = logger;
    }

    /// <inheritdoc/>
    public string Kind => "sqlite";

    /// <summary>The ledger in <paramref name="database"/>, its table created if needed.</summary>
    public static SqliteNonceLedger Open(SqliteDatabase database, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new SqliteNonceLedger(database, logger);
    }

    /// <inheritdoc/>
    public NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce, DateTimeOffset expiresAt)
    {
        NonceInput.RequireLength(nonce);
        var nonceBytes = nonce.ToArray();
        return RecordAsync(nameof(TryRecord), connection => Insert(connection, clientId, nonceBytes, expiresAt)).GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public Task<NonceRecordResult> TryRecordAllowedAsync(Guid clientId, ReadOnlyMemory<byte> nonce, DateTimeOffset expiresAt, RequestAuditEntry allowed)
    {
        NonceInput.RequireLength(nonce.Span);
        ArgumentNullException.ThrowIfNull(allowed);
        var nonceBytes = nonce.ToArray();

        // One savepoint of the group commit: an audit insert that fails undoes the nonce insert with it.
        return RecordAsync(nameof(TryRecordAllowedAsync), connection =>
        {
            if (!Insert(connection, clientId, nonceBytes, expiresAt))
            {
                return false;
            }

            SqliteAuditLog.Insert(connection, allowed);
            return true;
        });
    }

    private async Task<NonceRecordResult> RecordAsync(string operation, Func<SqliteConnection, bool> insert)
    {
        try
        {
            return await database.WriteAsync(insert).ConfigureAwait(false) ? NonceRecordResult.Recorded : NonceRecordResult.AlreadySeen;
        }
        catch (Exception e) when (SqliteDatabase.IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, operation, e.Message);
            return NonceRecordResult.Unavailable;
        }
    }

    /// <summary>Inserts the nonce; false when (client, nonce) is already there.</summary>
    private static bool Insert(SqliteConnection connection, Guid clientId, byte[] nonce, DateTimeOffset expiresAt)
    {
        try
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO nonces (client_id, nonce, expires_at) VALUES ($client, $nonce, $expires)";
            insert.Parameters.AddWithValue("$client", clientId.ToByteArray());
            insert.Parameters.AddWithValue("$nonce", nonce);
            insert.Parameters.AddWithValue("$expires", expiresAt.ToUnixTimeMilliseconds());
            insert.ExecuteNonQuery();
            return true;
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode == PrimaryKeyViolation)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Prune(DateTimeOffset now)
    {
        try
        {
            using var lease = database.Rent();
            var connection = lease.Connection;
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM nonces WHERE expires_at < $now";
            delete.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            delete.ExecuteNonQuery();
        }
        catch (Exception e) when (SqliteDatabase.IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(Prune), e.Message);
        }
    }

    /// <inheritdoc/>
    public bool IsReachable()
    {
        try
        {
            using var lease = database.Rent();
            var connection = lease.Connection;
            using var probe = connection.CreateCommand();
            probe.CommandText = "SELECT count(*) FROM (SELECT 1 FROM nonces LIMIT 1)";
            probe.ExecuteScalar();
            return true;
        }
        catch (Exception e) when (SqliteDatabase.IsStorageFailure(e))
        {
            ServerLog.StorageFailed(logger, Kind, nameof(IsReachable), e.Message);
            return false;
        }
    }
}
