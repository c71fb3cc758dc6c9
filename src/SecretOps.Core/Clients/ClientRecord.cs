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
    public static ClientRecord? Load(SqliteConnection connection, StoreTransaction transaction, string idOrName)
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
        var protection = kind == ClientKind.KeyFile ? null : ReadProtection(reader, kind);

        return new ClientRecord(reader.GetUuid(0), reader.GetString(1), reader.GetNullableString(2), kind, (ClientRole)reader.GetInt32(4),
            (ClientStatus)reader.GetInt32(5), ClientPublicKey.FromSubjectPublicKeyInfo(reader.GetBlob(6)), protection, reader.GetTime(13), reader.GetNullableTime(14));
    }

    /// <summary>
    /// Reads the protected private key's columns. Values a sound store never holds (missing columns, a salt
    /// of the wrong size, Argon2 parameters outside their ranges) do not throw here, so a damaged row can
    /// still be listed; they mark the protection damaged, and connecting refuses it.
    /// </summary>
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

    public static void Insert(SqliteConnection connection, StoreTransaction transaction, Guid id, string name, string? description, ClientKind kind,
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
