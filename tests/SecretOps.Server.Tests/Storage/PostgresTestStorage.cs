using Microsoft.Extensions.Logging.Abstractions;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>
/// The server's tables in the class's throwaway PostgreSQL cluster (<see cref="PostgresCluster"/>): in its one database,
/// which the class's tests share, or with <paramref name="ownDatabase"/> in a new database of this test's own (the store
/// log is one per database, so its tests cannot share one).
/// </summary>
public sealed class PostgresTestStorage(PostgresCluster cluster, bool ownDatabase = false) : TestStorage
{
    private string? connectionString;

    /// <summary>The cluster stopped, then started again for the next test.</summary>
    public override IDisposable TakeDown()
    {
        cluster.Stop();
        return new Restart(cluster);
    }

    public override string AuditTable => "secretops_audit";

    public override void Execute(string sql)
    {
        cluster.Require();
        using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    protected override ServerStorage OpenStorage()
    {
        cluster.Require();
        connectionString ??= ownDatabase ? cluster.NewDatabase() : cluster.ConnectionString;
        return ServerStorage.Open(StorageKind.Postgres, connectionString, NullLoggerFactory.Instance);
    }

    private sealed class Restart(PostgresCluster cluster) : IDisposable
    {
        public void Dispose() => cluster.Start();
    }
}
