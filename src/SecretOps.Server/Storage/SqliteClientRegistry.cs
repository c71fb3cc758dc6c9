using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>The client registry in the server's <see cref="SqliteDatabase"/>, the table <c>clients</c>.</summary>
public sealed class SqliteClientRegistry : IClientRegistry
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS clients (
            client_id TEXT NOT NULL PRIMARY KEY CHECK (length(client_id) = 36),
            request_key BLOB NOT NULL CHECK (length(request_key) = 32),
            allow_list TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    private const string Columns = "client_id, request_key, allow_list, status, created_at";

    private readonly SqliteDatabase database;

    private SqliteClientRegistry(SqliteDatabase database)
    {
        this.database = database;
    }

    /// <summary>The registry in <paramref name="database"/>, its table created if needed.</summary>
    public static SqliteClientRegistry Open(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        database.EnsureSchema(Schema);
        return new SqliteClientRegistry(database);
    }

    /// <inheritdoc/>
    public bool Enrol(Guid clientId, RequestSigningKey key, AddressAllowList allowList, DateTimeOffset now, bool replace)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(allowList);
        var keyBytes = ClientColumns.KeyBytes(key);
        try
        {
            return Run(nameof(Enrol), connection =>
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = $"INSERT INTO clients ({Columns}) VALUES ($id, $key, $allow, 'active', $created) " +
                    (replace
                        ? "ON CONFLICT (client_id) DO UPDATE SET request_key = excluded.request_key, allow_list = excluded.allow_list, status = 'active', created_at = excluded.created_at"
                        : "ON CONFLICT (client_id) DO NOTHING");
                insert.Parameters.AddWithValue("$id", clientId.ToString("D"));
                insert.Parameters.AddWithValue("$key", keyBytes);
                insert.Parameters.AddWithValue("$allow", ClientColumns.AllowList(allowList));
                insert.Parameters.AddWithValue("$created", now.ToUnixTimeMilliseconds());
                return insert.ExecuteNonQuery() == 1;
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyBytes);
        }
    }

    /// <inheritdoc/>
    public ClientCredentials? Find(Guid clientId) => Run(nameof(Find), connection =>
    {
        using var select = connection.CreateCommand();
        select.CommandText = $"SELECT {Columns} FROM clients WHERE client_id = $id";
        select.Parameters.AddWithValue("$id", clientId.ToString("D"));
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
    public IReadOnlyList<EnrolledClient> List() => Run(nameof(List), connection =>
    {
        using var select = connection.CreateCommand();
        select.CommandText = $"SELECT {Columns} FROM clients ORDER BY client_id";
        using var reader = select.ExecuteReader();
        var clients = new List<EnrolledClient>();
        while (reader.Read())
        {
            clients.Add(ReadClient(reader));
        }

        return clients;
    });

    private static EnrolledClient ReadClient(SqliteDataReader reader) => new(
        Guid.ParseExact(reader.GetString(0), "D"),
        ClientColumns.Status(reader.GetString(3)),
        ClientColumns.AllowList(reader.GetString(2)),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));

    private bool Update(string operation, Guid clientId, string column, string value) => Run(operation, connection =>
    {
        using var update = connection.CreateCommand();
        update.CommandText = string.Create(CultureInfo.InvariantCulture, $"UPDATE clients SET {column} = $value WHERE client_id = $id");
        update.Parameters.AddWithValue("$value", value);
        update.Parameters.AddWithValue("$id", clientId.ToString("D"));
        return update.ExecuteNonQuery() == 1;
    });

    private T Run<T>(string operation, Func<SqliteConnection, T> work)
    {
        try
        {
            using var lease = database.Rent();
            var connection = lease.Connection;
            return work(connection);
        }
        catch (Exception e) when (SqliteDatabase.IsStorageFailure(e))
        {
            throw new StorageUnavailableException("sqlite", operation, e);
        }
    }
}
