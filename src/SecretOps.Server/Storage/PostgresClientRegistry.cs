using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>The client registry in the server's <see cref="PostgresDatabase"/>, the table <c>secretops_clients</c>, shared by every instance.</summary>
public sealed class PostgresClientRegistry : IClientRegistry
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS secretops_clients (
            client_id uuid NOT NULL PRIMARY KEY,
            request_key bytea NOT NULL CHECK (octet_length(request_key) = 32),
            allow_list text NOT NULL,
            status text NOT NULL CHECK (status IN ('active', 'disabled')),
            created_at timestamptz NOT NULL
        );
        """;

    private const string Columns = "client_id, request_key, allow_list, status, created_at";

    private readonly NpgsqlDataSource dataSource;

    private PostgresClientRegistry(NpgsqlDataSource dataSource)
    {
        this.dataSource = dataSource;
    }

    /// <summary>The registry in <paramref name="database"/>, its table created if needed; throws when the database cannot be reached.</summary>
    public static PostgresClientRegistry Open(PostgresDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new PostgresClientRegistry(database.DataSource);
    }

    /// <inheritdoc/>
    public bool Enrol(Guid clientId, RequestSigningKey key, AddressAllowList allowList, DateTimeOffset now, bool replace)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(allowList);
        var keyBytes = ClientColumns.KeyBytes(key);
        try
        {
            return Run(nameof(Enrol), () =>
            {
                using var insert = dataSource.CreateCommand($"INSERT INTO secretops_clients ({Columns}) VALUES ($1, $2, $3, 'active', $4) " +
                    (replace
                        ? "ON CONFLICT (client_id) DO UPDATE SET request_key = excluded.request_key, allow_list = excluded.allow_list, status = 'active', created_at = excluded.created_at"
                        : "ON CONFLICT (client_id) DO NOTHING"));
                insert.Parameters.Add(new NpgsqlParameter { Value = clientId });
                insert.Parameters.Add(new NpgsqlParameter { Value = keyBytes });
                insert.Parameters.Add(new NpgsqlParameter { Value = ClientColumns.AllowList(allowList) });
                insert.Parameters.Add(new NpgsqlParameter { Value = now.ToUniversalTime() });
                return insert.ExecuteNonQuery() == 1;
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyBytes);
        }
    }

    /// <inheritdoc/>
    public ClientCredentials? Find(Guid clientId) => Run(nameof(Find), () =>
    {
        using var select = dataSource.CreateCommand($"SELECT {Columns} FROM secretops_clients WHERE client_id = $1");
        select.Parameters.Add(new NpgsqlParameter { Value = clientId });
        using var reader = select.ExecuteReader();
        return reader.Read() ? new ClientCredentials(ReadClient(reader), ClientColumns.Key(reader.GetFieldValue<byte[]>(1))) : null;
    });

    /// <inheritdoc/>
    public bool SetStatus(Guid clientId, EnrolmentStatus status) =>
        Update(nameof(SetStatus), clientId, "status", ClientColumns.Status(status));

    /// <inheritdoc/>
    public bool SetAllowList(Guid clientId, AddressAllowList allowList)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        return Update(nameof(SetAllowList), clientId, "allow_list", ClientColumns.AllowList(allowList));
    }

    /// <inheritdoc/>
    public IReadOnlyList<EnrolledClient> List() => Run(nameof(List), () =>
    {
        using var select = dataSource.CreateCommand($"SELECT {Columns} FROM secretops_clients ORDER BY client_id::text");
        using var reader = select.ExecuteReader();
        var clients = new List<EnrolledClient>();
        while (reader.Read())
        {
            clients.Add(ReadClient(reader));
        }

        return clients;
    });

    private static EnrolledClient ReadClient(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        ClientColumns.Status(reader.GetString(3)),
        ClientColumns.AllowList(reader.GetString(2)),
        reader.GetFieldValue<DateTimeOffset>(4));

    private bool Update(string operation, Guid clientId, string column, string value) => Run(operation, () =>
    {
        using var update = dataSource.CreateCommand(string.Create(CultureInfo.InvariantCulture, $"UPDATE secretops_clients SET {column} = $1 WHERE client_id = $2"));
        update.Parameters.Add(new NpgsqlParameter { Value = value });
        update.Parameters.Add(new NpgsqlParameter { Value = clientId });
        return update.ExecuteNonQuery() == 1;
    });

    private static T Run<T>(string operation, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (PostgresDatabase.IsStorageFailure(e))
        {
            throw new StorageUnavailableException("postgres", operation, e);
        }
    }
}
