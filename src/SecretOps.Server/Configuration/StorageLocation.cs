using SecretOps.Server.Storage;

namespace SecretOps.Server.Configuration;

/// <summary>Which database the server uses.</summary>
/// <param name="Kind">SQLite or PostgreSQL.</param>
/// <param name="Connection">The SQLite file's full path, or the PostgreSQL connection string (never logged: it may hold a password).</param>
public sealed record StorageLocation(StorageKind Kind, string Connection);
