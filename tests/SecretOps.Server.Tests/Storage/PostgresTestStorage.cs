using Microsoft.Extensions.Logging.Abstractions;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>The server's tables in the class's throwaway PostgreSQL cluster (<see cref="PostgresCluster"/>).</summary>
public sealed class PostgresTestStorage(PostgresCluster cluster) : TestStorage
{
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
        return ServerStorage.Open(StorageKind.Postgres, cluster.ConnectionString, NullLoggerFactory.Instance);
    }

    private sealed class Restart(PostgresCluster cluster) : IDisposable
    {
        public void Dispose() => cluster.Start();
    }
}
