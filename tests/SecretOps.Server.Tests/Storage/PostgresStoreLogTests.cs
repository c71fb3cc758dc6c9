namespace SecretOps.Server.Tests.Storage;

/// <summary>The store log contract on a real PostgreSQL cluster started for this class (<see cref="PostgresCluster"/>), a new database per test.</summary>
public sealed class PostgresStoreLogTests(PostgresCluster cluster) : StoreLogContract(new PostgresTestStorage(cluster, ownDatabase: true)), IClassFixture<PostgresCluster>;
