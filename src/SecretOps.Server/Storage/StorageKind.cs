namespace SecretOps.Server.Storage;

/// <summary>Where the server keeps its data (the <c>storage</c> setting).</summary>
public enum StorageKind
{
    /// <summary>An SQLite file on the server's own disk (<c>sqlitePath</c>): nothing to install.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database (<c>postgresConnection</c>), which several server instances can share.</summary>
    Postgres,
}
