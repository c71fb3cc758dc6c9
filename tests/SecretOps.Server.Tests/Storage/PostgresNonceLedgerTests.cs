namespace SecretOps.Server.Tests.Storage;

/// <summary>The ledger contract on a real PostgreSQL cluster started for this class (<see cref="PostgresCluster"/>).</summary>
public sealed class PostgresNonceLedgerTests(PostgresCluster cluster) : NonceLedgerContract(new PostgresTestStorage(cluster)), IClassFixture<PostgresCluster>;
