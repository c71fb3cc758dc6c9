using SecretOps.Server.Configuration;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>How the server processes of a test reach its database: the flags and variables to give them, and where the test reads it.</summary>
/// <param name="Flags">The storage flags.</param>
/// <param name="Environment">The storage variables (PostgreSQL's connection string).</param>
/// <param name="Location">The same database, for the test to open.</param>
internal sealed record TestDatabase(string[] Flags, KeyValuePair<string, string?>[] Environment, StorageLocation Location)
{
    public static TestDatabase Sqlite(string path) => new(["--sqlite-path", path], [], new StorageLocation(StorageKind.Sqlite, path));

    public static TestDatabase Postgres(string connectionString) =>
        new(["--storage", "postgres"], [new("SECRETOPS_SERVER_POSTGRES_CONNECTION", connectionString)], new StorageLocation(StorageKind.Postgres, connectionString));
}
