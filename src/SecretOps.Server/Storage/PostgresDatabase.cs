using Npgsql;

namespace SecretOps.Server.Storage;

/// <summary>
/// The server's PostgreSQL database, which the nonce ledger, the client registry and the audit log share (and every
/// server instance on it). Connections come from one <see cref="NpgsqlDataSource"/> built with
/// <see cref="PostgresConnectionPolicy"/>.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    /// <summary>SQLSTATE unique_violation and duplicate_table: another instance created the table at the same moment.</summary>
    private static readonly string[] ConcurrentCreation = [PostgresErrorCodes.UniqueViolation, PostgresErrorCodes.DuplicateTable];

    private PostgresDatabase(NpgsqlDataSource dataSource)
    {
        DataSource = dataSource;
    }

    /// <summary>Where commands get their connections.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>A data source for <paramref name="connectionString"/> (see <see cref="PostgresConnectionPolicy"/>); nothing is connected yet.</summary>
    public static PostgresDatabase Open(string connectionString) => new(NpgsqlDataSource.Create(PostgresConnectionPolicy.Apply(connectionString)));

    /// <summary>Creates a store's tables if they are not there; throws when the database cannot be reached.</summary>
    public void EnsureSchema(string schema)
    {
        try
        {
            using var create = DataSource.CreateCommand(schema);
            create.ExecuteNonQuery();
        }
        catch (PostgresException e) when (ConcurrentCreation.Contains(e.SqlState))
        {
            // The other instance's CREATE won; ours now finds the table and index in place.
            using var again = DataSource.CreateCommand(schema);
            again.ExecuteNonQuery();
        }
    }

    /// <summary>Whether <paramref name="e"/> is the database failing (down, unreachable, timed out) rather than a bug.</summary>
    public static bool IsStorageFailure(Exception e) => e is NpgsqlException or InvalidOperationException or TimeoutException or IOException;

    /// <inheritdoc/>
    public void Dispose() => DataSource.Dispose();
}
