namespace SecretOps.Server.Tests.Storage;

/// <summary>The client registry and audit contract on a real PostgreSQL cluster started for this class (<see cref="PostgresCluster"/>).</summary>
public sealed class PostgresClientRegistryTests(PostgresCluster cluster) : ClientRegistryContract(new PostgresTestStorage(cluster)), IClassFixture<PostgresCluster>;
