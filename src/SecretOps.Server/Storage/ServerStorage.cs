using SecretOps.Core.Remote;
using Microsoft.Extensions.Logging;

namespace SecretOps.Server.Storage;

/// <summary>
/// The server's database and the stores in it: the nonce ledger, the client registry, the audit log and the hosted
/// store's log, on SQLite or PostgreSQL. <c>serve</c> and the operator's commands (<c>enrol</c>, <c>clients</c>,
/// <c>audit</c>…) open it alike.
/// </summary>
public sealed class ServerStorage : IDisposable
{
    /// <summary>How long an SQLite call waits for another writer's lock (another instance, an operator's command) before it fails.</summary>
    private static readonly TimeSpan SqliteBusyTimeout = TimeSpan.FromSeconds(5);

    private readonly IDisposable database;

    private ServerStorage(IDisposable database, IPrunableNonceLedger nonces, IStorageHealth health, IClientRegistry clients, IAuditLog audit, IStoreLog storeLog)
    {
        this.database = database;
        Nonces = nonces;
        Health = health;
        Clients = clients;
        Audit = audit;
        StoreLog = storeLog;
    }

    /// <summary>The nonce ledger.</summary>
    public IPrunableNonceLedger Nonces { get; }

    /// <summary>What the health endpoint asks.</summary>
    public IStorageHealth Health { get; }

    /// <summary>The enrolled clients.</summary>
    public IClientRegistry Clients { get; }

    /// <summary>The audit log.</summary>
    public IAuditLog Audit { get; }

    /// <summary>The hosted store's history, revision by revision.</summary>
    public IStoreLog StoreLog { get; }

    /// <summary>
    /// Opens the database (<paramref name="connection"/>: the SQLite file's path or the PostgreSQL connection string) and
    /// creates its tables if needed; throws when it cannot, so a server that cannot reach it refuses to start.
    /// </summary>
    public static ServerStorage Open(StorageKind kind, string connection, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        switch (kind)
        {
            case StorageKind.Sqlite:
            {
                var database = SqliteDatabase.Open(connection, SqliteBusyTimeout);
                return Build(database, () =>
                {
                    var nonces = SqliteNonceLedger.Open(database, loggers.CreateLogger<SqliteNonceLedger>());
                    return new ServerStorage(database, nonces, nonces, SqliteClientRegistry.Open(database), SqliteAuditLog.Open(database),
                        SqliteStoreLog.Open(database));
                });
            }

            case StorageKind.Postgres:
            {
                var database = PostgresDatabase.Open(connection);
                return Build(database, () =>
                {
                    var nonces = PostgresNonceLedger.Open(database, loggers.CreateLogger<PostgresNonceLedger>());
                    return new ServerStorage(database, nonces, nonces, PostgresClientRegistry.Open(database), PostgresAuditLog.Open(database),
                        PostgresStoreLog.Open(database));
                });
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <inheritdoc/>
    public void Dispose() => database.Dispose();

    private static ServerStorage Build(IDisposable database, Func<ServerStorage> open)
    {
        try
        {
            return open();
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }
}
