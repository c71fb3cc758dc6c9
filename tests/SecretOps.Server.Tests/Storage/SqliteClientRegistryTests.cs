namespace SecretOps.Server.Tests.Storage;

/// <summary>The client registry and audit contract on a real SQLite file in a temporary folder.</summary>
public sealed class SqliteClientRegistryTests() : ClientRegistryContract(new SqliteTestStorage());
