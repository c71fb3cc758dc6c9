using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Storage.Sqlite;

internal sealed partial class SqliteReader
{
    /// <summary>What <see cref="ReadSecret"/> reads: the row, and the client names an entry shows (no query per entry).</summary>
    private const string SecretColumns =
        "s.id, s.namespace_id, s.name, s.value_type, s.current_version, s.key_generation, s.metadata, s.expires_at, s.created_at, s.created_by, s.updated_at, s.updated_by, "
        + "(SELECT name FROM clients WHERE id = s.created_by), (SELECT name FROM clients WHERE id = s.updated_by)";

    public SecretLookup? LookUpSecret(Guid clientId, string ns, string nameKey, int? version)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            $"""
            SELECT n.*, {SecretColumns},
                   (SELECT flags FROM permissions WHERE client_id = $client AND scope_kind = 1 AND scope_id = n.id),
                   (SELECT flags FROM permissions WHERE client_id = $client AND scope_kind = 2 AND scope_id = s.id),
                   (SELECT status FROM clients WHERE id = $client),
                   v.version, v.key_generation, v.value_type, v.nonce, v.ciphertext,
                   (SELECT coalesce(max(sequence), 0) FROM control_log)
            FROM namespaces n LEFT JOIN secrets s ON s.namespace_id = n.id AND s.name_key = $key
                 LEFT JOIN versions v ON v.secret_id = s.id AND v.version = coalesce($version, s.current_version)
            WHERE n.name = $ns
            """,
            ("$client", clientId.ToBlob()), ("$key", nameKey), ("$ns", ns), ("$version", version));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        const int SecretFirst = 7, FlagsFirst = SecretFirst + 14, StatusColumn = FlagsFirst + 2, VersionFirst = StatusColumn + 1, HeadColumn = VersionFirst + 5;
        return UnreadableValueException.Converting(reader, r => new SecretLookup(
            (ClientStatus?)r.GetNullableInt32(StatusColumn), ReadNamespace(r), r.IsDBNull(SecretFirst) ? null : ReadSecret(r, SecretFirst),
            (Permissions)((r.GetNullableInt32(FlagsFirst) ?? 0) | (r.GetNullableInt32(FlagsFirst + 1) ?? 0)),
            r.IsDBNull(VersionFirst) ? null : ReadVersion(r, VersionFirst)) { ControlHead = r.GetInt64(HeadColumn) });
    }

    public VersionAtHead? VersionAtHead(Guid secretId, int version)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            """
            SELECT (SELECT max(sequence) FROM control_log), s.name, v.version, v.key_generation, v.value_type, v.nonce, v.ciphertext
            FROM secrets s LEFT JOIN versions v ON v.secret_id = s.id AND v.version = $version WHERE s.id = $id
            """,
            ("$id", secretId.ToBlob()), ("$version", version));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? UnreadableValueException.Converting(reader, r => new VersionAtHead(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : ReadVersion(r, 2)))
            : null;
    }

    public SecretRecord? FindSecret(Guid namespaceId, string nameKey) =>
        Single($"SELECT {SecretColumns} FROM secrets s WHERE namespace_id = $ns AND name_key = $key", r => ReadSecret(r), ("$ns", namespaceId.ToBlob()), ("$key", nameKey));

    public SecretRecord? GetSecret(Guid id) => Single($"SELECT {SecretColumns} FROM secrets s WHERE id = $id", r => ReadSecret(r), ("$id", id.ToBlob()));

    public IReadOnlyList<SecretRecord> Secrets(Guid namespaceId, string? nameKey = null, string? nameKeyPrefix = null) => List(
        $"SELECT {SecretColumns} FROM secrets s WHERE {SecretsInRange} ORDER BY name", r => ReadSecret(r), RangeParameters(namespaceId, nameKey, nameKeyPrefix));

    public IReadOnlyList<ListedSecret> ListedSecrets(Guid namespaceId, string? nameKey = null, string? nameKeyPrefix = null) => List(
        $"SELECT id, namespace_id, name, value_type, current_version, key_generation, metadata, expires_at FROM secrets WHERE {SecretsInRange} ORDER BY name",
        r => new ListedSecret(r.GetUuid(0), r.GetUuid(1), r.GetString(2), (SecretValueType)r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetNullableString(6), r.GetNullableTime(7)),
        RangeParameters(namespaceId, nameKey, nameKeyPrefix));

    public IReadOnlyList<(Guid SecretId, int KeyGeneration)> SecretKeyGenerations(Guid namespaceId) =>
        List("SELECT id, key_generation FROM secrets WHERE namespace_id = $ns", r => (r.GetUuid(0), r.GetInt32(1)), ("$ns", namespaceId.ToBlob()));

    public VersionRow? Version(Guid secretId, int version) => Single(
        "SELECT version, key_generation, value_type, nonce, ciphertext FROM versions WHERE secret_id = $id AND version = $version",
        r => ReadVersion(r, 0), ("$id", secretId.ToBlob()), ("$version", version));

    public IReadOnlyList<VersionSummary> Versions(Guid secretId) => List(
        "SELECT version, value_type, created_at, created_by FROM versions WHERE secret_id = $id ORDER BY version",
        r => new VersionSummary(r.GetInt32(0), (SecretValueType)r.GetInt32(1), r.GetTime(2), r.GetUuid(3)), ("$id", secretId.ToBlob()));

    // Narrowed with the (namespace_id, name_key) index: one key, or a range of keys for a prefix.
    private const string SecretsInRange = "namespace_id = $ns AND ($key IS NULL OR name_key = $key) AND ($low IS NULL OR (name_key >= $low AND name_key < $high))";

    private static (string Name, object? Value)[] RangeParameters(Guid namespaceId, string? nameKey, string? nameKeyPrefix) =>
        [("$ns", namespaceId.ToBlob()), ("$key", nameKey), ("$low", nameKeyPrefix), ("$high", nameKeyPrefix is null ? null : nameKeyPrefix + char.ConvertFromUtf32(0x10FFFF))];

    private static SecretRecord ReadSecret(SqliteDataReader reader, int first = 0) => new(
        reader.GetUuid(first), reader.GetUuid(first + 1), reader.GetString(first + 2), (SecretValueType)reader.GetInt32(first + 3), reader.GetInt32(first + 4),
        reader.GetInt32(first + 5), reader.GetNullableString(first + 6), reader.GetNullableTime(first + 7), reader.GetTime(first + 8),
        reader.GetNullableString(first + 12) ?? reader.GetUuid(first + 9).ToString(), reader.GetTime(first + 10),
        reader.GetNullableString(first + 13) ?? reader.GetUuid(first + 11).ToString());

    private static VersionRow ReadVersion(SqliteDataReader reader, int first) => new(
        reader.GetInt32(first), reader.GetInt32(first + 1), (SecretValueType)reader.GetInt32(first + 2), new SealedData(reader.GetBlob(first + 3), reader.GetBlob(first + 4)));
}
