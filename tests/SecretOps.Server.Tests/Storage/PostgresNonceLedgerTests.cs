using Microsoft.Extensions.Logging.Abstractions;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>The ledger contract on a real PostgreSQL cluster started for this class (<see cref="PostgresCluster"/>).</summary>
public sealed class PostgresNonceLedgerTests(PostgresCluster cluster) : NonceLedgerContract, IClassFixture<PostgresCluster>
{
    protected override INonceLedger OpenLedger()
    {
        cluster.Require();
        return PostgresNonceLedger.Open(cluster.ConnectionString, NullLogger.Instance);
    }

    /// <summary>The cluster stopped, then started again for the next test.</summary>
    protected override IDisposable TakeStorageDown()
    {
        cluster.Stop();
        return new Restart(cluster);
    }

    private sealed class Restart(PostgresCluster cluster) : IDisposable
    {
        public void Dispose() => cluster.Start();
    }
}
