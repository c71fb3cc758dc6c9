using System.Globalization;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>
/// <see cref="IStoreReader"/> over one SQLite connection, inside a transaction or (for a single-statement read) outside
/// one. Every lookup is one prepared statement; the row conversions are at the end of each file.
/// </summary>
internal sealed partial class SqliteReader(SqliteConnection connection, StoreTransaction? transaction) : IStoreReader
{
    private const string ClientColumns =
        "id, name, description, kind, role, status, public_key, kdf_salt, kdf_memory_kib, kdf_iterations, kdf_parallelism, private_key_nonce, private_key, created_at, last_used_at";

    public StoreHeader? Header() => Single(
        "SELECT store_id, created_at, allow_weak_kdf, kdf_memory_kib, kdf_iterations, kdf_parallelism FROM store_info WHERE id = 1",
        r => new StoreHeader(r.GetUuid(0), r.GetTime(1), r.GetInt64(2) != 0, new Argon2Parameters(Argon2Type.Argon2id, r.GetInt32(4), r.GetInt32(3), r.GetInt32(5))));

    public StoreStatistics Statistics()
    {
        long Count(string table) => (long)Scalar($"SELECT count(*) FROM {table}")!;
        return new StoreStatistics((int)Count("namespaces"), (int)Count("secrets"), (int)Count("clients"), Count("audit"), (string)Scalar("PRAGMA journal_mode")!);
    }

    public string IntegrityCheck() => string.Join("; ", List("PRAGMA integrity_check", r => r.GetString(0)));

    public ClientRecord? FindClient(string idOrName) => Single(
        $"SELECT {ClientColumns} FROM clients WHERE id = $id OR name = $name",
        ReadClient, ("$id", Guid.TryParse(idOrName, out var id) ? id.ToBlob() : null), ("$name", idOrName));

    public ClientStatus? ClientStatus(Guid clientId) =>
        Scalar("SELECT status FROM clients WHERE id = $id", ("$id", clientId.ToBlob())) is long status ? (ClientStatus)status : null;

    public string? ClientName(Guid clientId) => Scalar("SELECT name FROM clients WHERE id = $id", ("$id", clientId.ToBlob())) as string;

    public IReadOnlyList<ClientRecord> Clients() => List($"SELECT {ClientColumns} FROM clients ORDER BY name", ReadClient);

    public bool AnyActiveClient(IReadOnlyCollection<ClientRole> roles, Guid? except) =>
        List("SELECT role FROM clients WHERE status = $active AND ($except IS NULL OR id != $except)", r => (ClientRole)r.GetInt32(0),
             ("$active", (int)SecretOps.ClientStatus.Active), ("$except", except?.ToBlob())).Any(roles.Contains);

    public NamespaceRecord? FindNamespace(string name) => Single("SELECT * FROM namespaces WHERE name = $name", r => ReadNamespace(r), ("$name", name));

    public NamespaceRecord? GetNamespace(Guid id) => Single("SELECT * FROM namespaces WHERE id = $id", r => ReadNamespace(r), ("$id", id.ToBlob()));

    public IReadOnlyList<NamespaceRecord> Namespaces() => List("SELECT * FROM namespaces ORDER BY name", r => ReadNamespace(r));

    public int CountSecrets(Guid namespaceId) =>
        Convert.ToInt32(Scalar("SELECT count(*) FROM secrets WHERE namespace_id = $id", ("$id", namespaceId.ToBlob())), CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads the protected private key's columns. Values a sound store never holds (missing columns, a salt of the
    /// wrong size, Argon2 parameters outside their ranges) do not throw here, so a damaged row can still be listed;
    /// they mark the protection damaged, and connecting refuses it.
    /// </summary>
    private static ClientRecord ReadClient(SqliteDataReader reader)
    {
        var kind = (ClientKind)reader.GetInt32(3);
        var protection = kind == ClientKind.KeyFile ? null : ReadProtection(reader, kind);
        return new ClientRecord(reader.GetUuid(0), reader.GetString(1), reader.GetNullableString(2), kind, (ClientRole)reader.GetInt32(4),
            (ClientStatus)reader.GetInt32(5), ClientPublicKey.FromSubjectPublicKeyInfo(reader.GetBlob(6)), protection, reader.GetTime(13), reader.GetNullableTime(14));
    }

    private static KeyProtection ReadProtection(SqliteDataReader reader, ClientKind kind)
    {
        byte[]? Blob(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetValue(ordinal) as byte[];
        long? Integer(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
        var (salt, nonce, sealedKey) = (Blob(7), Blob(11), Blob(12));
        var (m, t, p) = (Integer(8), Integer(9), Integer(10));
        string? damage = salt is null || nonce is null || sealedKey is null ? "its salt or protected key is missing"
            : salt.Length != ClientKeyProtection.SaltLength ? $"its salt is {salt.Length} bytes, not {ClientKeyProtection.SaltLength}"
            : null;
        Argon2Parameters? kdf = null;
        if (m is not null || t is not null || p is not null || kind == ClientKind.Passphrase)
        {
            try
            {
                kdf = m is null || t is null || p is null
                    ? throw new InvalidParameterException("kdf", "missing")
                    : new Argon2Parameters(Argon2Type.Argon2id, checked((int)t.Value), checked((int)m.Value), checked((int)p.Value));
            }
            catch (Exception e) when (e is InvalidParameterException or OverflowException)
            {
                damage ??= $"its Argon2 parameters (m={m}, t={t}, p={p}) are missing or invalid";
            }
        }

        return new KeyProtection(salt ?? [], kdf, new SealedData(nonce ?? [], sealedKey ?? [])) { Damage = damage };
    }

    private static NamespaceRecord ReadNamespace(SqliteDataReader reader, int first = 0) => new(
        reader.GetUuid(first), reader.GetString(first + 1), reader.GetNullableString(first + 2), reader.GetInt32(first + 3),
        reader.GetNullableInt32(first + 4), reader.GetTime(first + 5), reader.GetUuid(first + 6));

    private object? Scalar(string sql, params (string Name, object? Value)[] parameters) =>
        StoreDatabase.Scalar(connection, transaction, sql, parameters);

    private T? Single<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters)
        where T : class
    {
        using var command = StoreDatabase.Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        return reader.Read() ? UnreadableValueException.Converting(reader, read) : null;
    }

    private List<T> List<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        using var command = StoreDatabase.Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(UnreadableValueException.Converting(reader, read));
        }

        return rows;
    }
}
