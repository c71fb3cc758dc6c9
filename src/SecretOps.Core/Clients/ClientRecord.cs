using Microsoft.Data.Sqlite;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Clients;

/// <summary>A row of the clients table.</summary>
internal sealed record ClientRecord(
    Guid Id,
    string Name,
    string? Description,
    ClientKind Kind,
    ClientRole Role,
    ClientStatus Status,
    ClientPublicKey PublicKey,
    KeyProtection? Protection,
    DateTimeOffset Created,
    DateTimeOffset? LastUsed)
{
    /// <summary>Loads a client by id (any UUID form) or by name, ignoring case; null when there is none.</summary>
    public static ClientRecord? Load(SqliteConnection connection, SqliteTransaction transaction, string idOrName)
    {
        using var command = StoreDatabase.Command(connection, transaction,
            "SELECT id, name, description, kind, role, status, public_key, kdf_salt, kdf_memory_kib, kdf_iterations, kdf_parallelism, private_key_nonce, private_key, created_at, last_used_at FROM clients WHERE id = $id OR name = $name",
            ("$id", Guid.TryParse(idOrName, out var id) ? id.ToBlob() : null), ("$name", idOrName));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var kind = (ClientKind)reader.GetInt32(3);
        KeyProtection? protection = null;
        if (kind != ClientKind.KeyFile)
        {
            var kdf = reader.IsDBNull(8) ? null : new Argon2Parameters(Argon2Type.Argon2id, reader.GetInt32(9), reader.GetInt32(8), reader.GetInt32(10));
            protection = new KeyProtection(reader.GetBlob(7), kdf, new SealedData(reader.GetBlob(11), reader.GetBlob(12)));
        }

        return new ClientRecord(reader.GetUuid(0), reader.GetString(1), reader.GetNullableString(2), kind, (ClientRole)reader.GetInt32(4),
            (ClientStatus)reader.GetInt32(5), ClientPublicKey.FromSubjectPublicKeyInfo(reader.GetBlob(6)), protection, reader.GetTime(13), reader.GetNullableTime(14));
    }

    public static void Insert(SqliteConnection connection, SqliteTransaction transaction, Guid id, string name, string? description, ClientKind kind,
                              ClientRole role, ClientPublicKey publicKey, KeyProtection? protection, Guid? createdBy)
    {
        StoreDatabase.Execute(connection, transaction,
            """
            INSERT INTO clients (id, name, description, kind, role, status, public_key, kdf_salt, kdf_memory_kib, kdf_iterations, kdf_parallelism, private_key_nonce, private_key, created_at, created_by)
            VALUES ($id, $name, $description, $kind, $role, $status, $public, $salt, $m, $t, $p, $nonce, $key, $now, $by)
            """,
            ("$id", id.ToBlob()), ("$name", name), ("$description", description), ("$kind", (int)kind), ("$role", (int)role), ("$status", (int)ClientStatus.Active),
            ("$public", publicKey.ExportSubjectPublicKeyInfo()), ("$salt", protection?.Salt), ("$m", protection?.Kdf?.MemoryKiB), ("$t", protection?.Kdf?.Iterations),
            ("$p", protection?.Kdf?.Parallelism), ("$nonce", protection?.Envelope.Nonce), ("$key", protection?.Envelope.Ciphertext),
            ("$now", DateTimeOffset.UtcNow.ToUnixMilliseconds()), ("$by", createdBy?.ToBlob()));
    }
}
