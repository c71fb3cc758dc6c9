// An independent reader of the store format, written from docs/FORMAT.md alone, to prove the document is
// complete. It deliberately lives outside the engine's namespaces and uses only Microsoft.Data.Sqlite (raw
// SQL) and System.Security.Cryptography (AesGcm, HKDF, ECDiffieHellman, SHA256): no engine type at all.
// IndependentDecryptorTests checks that this file never names one. Each step cites the section it follows.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace IndependentReader;

/// <summary>A decrypted value: its type code (FORMAT.md §10) and its serialized plaintext.</summary>
public sealed record DecryptedValue(long Type, byte[] Serialized)
{
    /// <summary>§10: the payload follows the format byte and the type byte.</summary>
    public ReadOnlySpan<byte> Payload => Serialized.AsSpan(2);

    /// <summary>§10: types 1 (String) and 2 (SecureString) are UTF-8 text.</summary>
    public string Text => Type is 1 or 2 ? Encoding.UTF8.GetString(Payload) : throw new InvalidOperationException("not text");

    /// <summary>§10: type 3 is uint32 length + user name, then the password to the end.</summary>
    public (string User, string Password) Credential
    {
        get
        {
            var payload = Payload;
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(payload);
            return (Encoding.UTF8.GetString(payload.Slice(4, length)), Encoding.UTF8.GetString(payload[(4 + length)..]));
        }
    }

    /// <summary>§10: type 5 is uint32 count, then per entry: uint32 length + key, type byte, uint32 length + payload.</summary>
    public IReadOnlyList<(string Key, long Type, byte[] Payload)> Table
    {
        get
        {
            var payload = Payload;
            var count = BinaryPrimitives.ReadUInt32BigEndian(payload);
            var offset = 4;
            var entries = new List<(string, long, byte[])>();
            for (var i = 0; i < count; i++)
            {
                var keyLength = (int)BinaryPrimitives.ReadUInt32BigEndian(payload[offset..]);
                var key = Encoding.UTF8.GetString(payload.Slice(offset + 4, keyLength));
                offset += 4 + keyLength;
                var type = payload[offset++];
                var valueLength = (int)BinaryPrimitives.ReadUInt32BigEndian(payload[offset..]);
                entries.Add((key, type, payload.Slice(offset + 4, valueLength).ToArray()));
                offset += 4 + valueLength;
            }

            return entries;
        }
    }
}

/// <summary>The steps of FORMAT.md §12, as pure functions, then the whole path over a store file.</summary>
public static class FormatReader
{
    private const int ApplicationId = 0x53654F70;
    private const string SecretPrefix = "secretops_";

    // ---- §2 Associated data: each field is uint32 big-endian length || bytes; strings UTF-8, integers
    // 8-byte big-endian two's complement, UUIDs their 16 bytes in RFC 4122 order, byte strings as they are.
    public static byte[] Ad(string label, params object[] fields)
    {
        using var buffer = new MemoryStream();
        var scratch = new byte[8];
        void Field(ReadOnlySpan<byte> bytes)
        {
            BinaryPrimitives.WriteUInt32BigEndian(scratch, (uint)bytes.Length);
            buffer.Write(scratch, 0, 4);
            buffer.Write(bytes);
        }

        Field(Encoding.UTF8.GetBytes(label));
        foreach (var field in fields)
        {
            switch (field)
            {
                case string text:
                    Field(Encoding.UTF8.GetBytes(text));
                    break;
                case Guid id:
                    Field(id.ToByteArray(bigEndian: true));
                    break;
                case long or int:
                    var integer = new byte[8];
                    BinaryPrimitives.WriteInt64BigEndian(integer, Convert.ToInt64(field, System.Globalization.CultureInfo.InvariantCulture));
                    Field(integer);
                    break;
                case byte[] bytes:
                    Field(bytes);
                    break;
                default:
                    throw new ArgumentException($"no AD encoding for {field.GetType().Name}");
            }
        }

        return buffer.ToArray();
    }

    // ---- §1 AES-256-GCM: 12-byte nonce; the stored ciphertext is the encrypted bytes followed by the 16-byte tag.
    public static byte[] Open(byte[] key, byte[] nonce, byte[] ciphertextAndTag, byte[] associatedData)
    {
        var plaintext = new byte[ciphertextAndTag.Length - 16];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(nonce, ciphertextAndTag.AsSpan(0, plaintext.Length), ciphertextAndTag.AsSpan(plaintext.Length), plaintext, associatedData);
        return plaintext;
    }

    // ---- §9.2 Generated client secrets: "secretops_" + unpadded base64url of 64 random bytes.
    public static byte[] ParseGeneratedSecret(string text)
    {
        var body = text.Trim();
        if (!body.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            throw new FormatException("not a client secret");
        }

        body = body[SecretPrefix.Length..].Replace('-', '+').Replace('_', '/');
        var bytes = Convert.FromBase64String(body + new string('=', (4 - body.Length % 4) % 4));
        return bytes.Length == 64 ? bytes : throw new FormatException("a client secret holds 64 bytes");
    }

    // ---- §9.2 The key-encryption key of a generated-secret client: HKDF-SHA256(IKM = the 64 secret bytes,
    // salt = clients.kdf_salt, info = "secretops/client-secret/v1", 32 bytes).
    public static byte[] GeneratedSecretKek(byte[] secret, byte[] salt) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt, Encoding.ASCII.GetBytes("secretops/client-secret/v1"));

    // ---- §8 / §9.3 The private-key envelope's AD: kind 2 (generated) has no Argon2 parameters, so m, t, p are 0.
    public static byte[] ClientKeyAd(Guid storeId, Guid clientId, long kind, byte[] salt, long memoryKiB, long iterations, long parallelism) =>
        Ad("secretops/client-key/v1", storeId, clientId, kind, salt, memoryKiB, iterations, parallelism);

    // ---- §4 Stanzas (ECDH): Z = raw ECDH X coordinate with the header's ephemeral point; wrapping key =
    // HKDF-SHA256(IKM = Z, salt = header || recipient SPKI, info = "secretops/stanza/ecdh/v1", 32);
    // AD = "secretops/stanza/v1", context AD as one field, recipient id, algorithm, header.
    public static byte[] EcdhSharedSecret(ECDiffieHellman privateKey, byte[] header)
    {
        var coordinate = (header.Length - 1) / 2;
        if (header[0] != 0x04 || header.Length != 1 + 2 * coordinate)
        {
            throw new CryptographicException("the stanza header is not an uncompressed point");
        }

        var curve = privateKey.ExportParameters(false).Curve;
        using var ephemeral = ECDiffieHellman.Create(new ECParameters
        {
            Curve = curve,
            Q = new ECPoint { X = header[1..(1 + coordinate)], Y = header[(1 + coordinate)..] },
        });
        return privateKey.DeriveRawSecretAgreement(ephemeral.PublicKey);
    }

    public static byte[] StanzaWrappingKey(byte[] sharedSecret, byte[] header, byte[] recipientSpki) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, 32, [.. header, .. recipientSpki], Encoding.ASCII.GetBytes("secretops/stanza/ecdh/v1"));

    public static byte[] StanzaAd(byte[] contextAd, Guid recipientId, long algorithm, byte[] header) =>
        Ad("secretops/stanza/v1", contextAd, recipientId, algorithm, header);

    public static byte[] UnwrapStanza(ECDiffieHellman privateKey, byte[] recipientSpki, Guid recipientId, byte[] contextAd,
                                      long algorithm, byte[] header, byte[] nonce, byte[] wrappedKey, IDictionary<string, byte[]>? trace = null, string prefix = "")
    {
        if (algorithm is not (1 or 2))
        {
            throw new NotSupportedException("this reader handles the ECDH stanzas (algorithms 1 and 2) of generated clients");
        }

        var shared = EcdhSharedSecret(privateKey, header);
        var wrappingKey = StanzaWrappingKey(shared, header, recipientSpki);
        var ad = StanzaAd(contextAd, recipientId, algorithm, header);
        if (trace is not null)
        {
            trace[prefix + "ecdh_shared_secret"] = shared;
            trace[prefix + "stanza_wrapping_key"] = wrappingKey;
            trace[prefix + "stanza_ad"] = ad;
        }

        return Open(wrappingKey, nonce, wrappedKey, ad);
    }

    // ---- §8 The context of each key and ciphertext.
    public static byte[] NamespaceKeyContext(Guid storeId, Guid namespaceId, long generation) =>
        Ad("secretops/namespace-key/v1", storeId, namespaceId, generation);

    public static byte[] SecretKeyContext(Guid storeId, Guid secretId, long generation) =>
        Ad("secretops/secret-key/v1", storeId, secretId, generation);

    public static byte[] WrappedSecretKeyAd(Guid storeId, Guid namespaceId, Guid secretId, long generation, long namespaceGeneration) =>
        Ad("secretops/secret-key-wrap/v1", storeId, namespaceId, secretId, generation, namespaceGeneration);

    public static byte[] ValueAd(Guid storeId, Guid namespaceId, string namespaceName, Guid secretId, string secretName, long version, long keyGeneration, long valueType) =>
        Ad("secretops/value/v1", storeId, namespaceId, namespaceName.ToUpperInvariant(), secretId, secretName.ToUpperInvariant(), version, keyGeneration, valueType);

    // ---- §6.2 UUID columns are 16-byte blobs in RFC 4122 (big-endian) order.
    private static Guid Uuid(object blob) => new((byte[])blob, bigEndian: true);

    private static byte[] Blob(Guid id) => id.ToByteArray(bigEndian: true);

    /// <summary>
    /// §12: a generated-secret client reads one version (the current one when <paramref name="version"/> is
    /// null) of a secret, from nothing but the store file and its client secret. <paramref name="trace"/>, when
    /// given, receives every intermediate value (the worked example of §13 lists the same names).
    /// </summary>
    public static DecryptedValue Decrypt(string storePath, string clientName, string clientSecret, string ns, string name, long? version = null,
                                         IDictionary<string, byte[]>? trace = null)
    {
        trace ??= new Dictionary<string, byte[]>();
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = storePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        object? Scalar(string sql, params (string Name, object Value)[] parameters)
        {
            using var command = db.CreateCommand();
            command.CommandText = sql;
            foreach (var (parameterName, value) in parameters)
            {
                command.Parameters.AddWithValue(parameterName, value);
            }

            return command.ExecuteScalar();
        }

        object[]? Row(string sql, params (string Name, object Value)[] parameters)
        {
            using var command = db.CreateCommand();
            command.CommandText = sql;
            foreach (var (parameterName, value) in parameters)
            {
                command.Parameters.AddWithValue(parameterName, value);
            }

            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            return values;
        }

        // §12.1 (§6): a SecretOps store has application_id 0x53654F70 and the format version in user_version.
        if (Convert.ToInt32(Scalar("PRAGMA application_id"), System.Globalization.CultureInfo.InvariantCulture) != ApplicationId)
        {
            throw new InvalidDataException("not a SecretOps store");
        }

        if ((long)Scalar("PRAGMA user_version")! != 1)
        {
            throw new InvalidDataException("this reader follows format 1");
        }

        // §12.2 (§7.1): the store id, bound into every ciphertext.
        var storeId = Uuid(Scalar("SELECT store_id FROM store_info WHERE id = 1")!);
        trace["store_id"] = Blob(storeId);

        // §12.3 (§7.2): the client row.
        var client = Row("SELECT id, kind, kdf_salt, private_key_nonce, private_key, public_key FROM clients WHERE name = $name COLLATE NOCASE", ("$name", clientName))
                     ?? throw new InvalidDataException("no such client");
        var clientId = Uuid(client[0]);
        var kind = (long)client[1];
        var (salt, envelopeNonce, envelope, publicKey) = ((byte[])client[2], (byte[])client[3], (byte[])client[4], (byte[])client[5]);
        if (kind != 2)
        {
            throw new InvalidDataException("this reader follows the generated-secret client path (kind 2)");
        }

        trace["client_id"] = Blob(clientId);
        trace["kdf_salt"] = salt;
        trace["private_key_nonce"] = envelopeNonce;
        trace["private_key"] = envelope;
        trace["public_key"] = publicKey;

        // §12.4 (§9.2): the client secret's 64 bytes, and the key-encryption key from them.
        var secret = ParseGeneratedSecret(clientSecret);
        var kek = GeneratedSecretKek(secret, salt);
        trace["client_secret_bytes"] = secret;
        trace["kek"] = kek;

        // §12.5 (§9.3): open the envelope: PKCS#8 DER of the client's private key.
        var envelopeAd = ClientKeyAd(storeId, clientId, kind, salt, 0, 0, 0);
        var pkcs8 = Open(kek, envelopeNonce, envelope, envelopeAd);
        trace["private_key_ad"] = envelopeAd;
        trace["pkcs8"] = pkcs8;
        using var privateKey = ECDiffieHellman.Create();
        privateKey.ImportPkcs8PrivateKey(pkcs8, out _);

        // §12.6 (§7.3, §7.5, §7.7): namespace, secret and version rows.
        var namespaceRow = Row("SELECT id, name FROM namespaces WHERE name = $name COLLATE NOCASE", ("$name", ns)) ?? throw new InvalidDataException("no such namespace");
        var (namespaceId, namespaceName) = (Uuid(namespaceRow[0]), (string)namespaceRow[1]);
        // §7.5: secrets are found by name_key, the name upper-cased with culture-independent rules.
        var secretRow = Row("SELECT id, current_version, name FROM secrets WHERE namespace_id = $ns AND name_key = $key", ("$ns", Blob(namespaceId)), ("$key", name.ToUpperInvariant()))
                        ?? throw new InvalidDataException("no such secret");
        var (secretId, secretName) = (Uuid(secretRow[0]), (string)secretRow[2]);
        var wanted = version ?? (long)secretRow[1];
        var versionRow = Row("SELECT key_generation, value_type, nonce, ciphertext FROM versions WHERE secret_id = $id AND version = $version", ("$id", Blob(secretId)), ("$version", wanted))
                         ?? throw new InvalidDataException("no such version");
        var (keyGeneration, valueType, valueNonce, valueCiphertext) = ((long)versionRow[0], (long)versionRow[1], (byte[])versionRow[2], (byte[])versionRow[3]);
        trace["namespace_id"] = Blob(namespaceId);
        trace["secret_id"] = Blob(secretId);
        trace["value_nonce"] = valueNonce;
        trace["value_ciphertext"] = valueCiphertext;

        // §12.7 (§4, §7.6, §7.8): the secret key of generation key_generation - from the client's own stanza for
        // the secret when it has one (§12.7a), otherwise through the namespace key that wrapped it (§12.7b).
        byte[] secretKey;
        var own = Row("SELECT algorithm, header, nonce, wrapped_key FROM stanzas WHERE client_id = $c AND scope_kind = 2 AND scope_id = $s AND generation = $g",
            ("$c", Blob(clientId)), ("$s", Blob(secretId)), ("$g", keyGeneration));
        if (own is not null)
        {
            secretKey = UnwrapStanza(privateKey, publicKey, clientId, SecretKeyContext(storeId, secretId, keyGeneration),
                (long)own[0], (byte[])own[1], (byte[])own[2], (byte[])own[3], trace, "secret_");
        }
        else
        {
            var wrapped = Row("SELECT namespace_generation, nonce, wrapped_key FROM secret_keys WHERE secret_id = $s AND generation = $g", ("$s", Blob(secretId)), ("$g", keyGeneration))
                          ?? throw new InvalidDataException("the secret key generation is missing");
            var namespaceGeneration = (long)wrapped[0];
            var stanza = Row("SELECT algorithm, header, nonce, wrapped_key FROM stanzas WHERE client_id = $c AND scope_kind = 1 AND scope_id = $n AND generation = $g",
                             ("$c", Blob(clientId)), ("$n", Blob(namespaceId)), ("$g", namespaceGeneration))
                         ?? throw new UnauthorizedAccessException("the client holds no stanza for this namespace key generation");
            trace["stanza_header"] = (byte[])stanza[1];
            trace["stanza_nonce"] = (byte[])stanza[2];
            trace["stanza_wrapped_key"] = (byte[])stanza[3];
            var namespaceKey = UnwrapStanza(privateKey, publicKey, clientId, NamespaceKeyContext(storeId, namespaceId, namespaceGeneration),
                (long)stanza[0], (byte[])stanza[1], (byte[])stanza[2], (byte[])stanza[3], trace);
            trace["namespace_key"] = namespaceKey;
            var wrapAd = WrappedSecretKeyAd(storeId, namespaceId, secretId, keyGeneration, namespaceGeneration);
            trace["secret_keys_nonce"] = (byte[])wrapped[1];
            trace["secret_keys_wrapped_key"] = (byte[])wrapped[2];
            trace["secret_key_wrap_ad"] = wrapAd;
            secretKey = Open(namespaceKey, (byte[])wrapped[1], (byte[])wrapped[2], wrapAd);
        }

        trace["secret_key"] = secretKey;

        // §12.8 (§8): the value, bound to store, namespace (id and name), secret (id and name), version, key generation and type.
        var valueAd = ValueAd(storeId, namespaceId, namespaceName, secretId, secretName, wanted, keyGeneration, valueType);
        var serialized = Open(secretKey, valueNonce, valueCiphertext, valueAd);
        trace["value_ad"] = valueAd;
        trace["serialized_value"] = serialized;

        // §12.9 (§10): format byte 1, then the type byte, which must match versions.value_type.
        if (serialized.Length < 2 || serialized[0] != 1 || serialized[1] != valueType)
        {
            throw new InvalidDataException("the value's header does not match its row");
        }

        return new DecryptedValue(valueType, serialized);
    }

    /// <summary>
    /// §11: recomputes the audit chain: every row's hash, and its link to the previous row's hash (the first
    /// row links to SHA-256 of the AD ["secretops/audit-genesis/v1", store id]). Returns the first sequence whose
    /// stored values do not match, or null when the whole chain verifies.
    /// </summary>
    public static long? FirstBrokenAuditEntry(string storePath)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = storePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using var idCommand = db.CreateCommand();
        idCommand.CommandText = "SELECT store_id FROM store_info";
        var storeId = Uuid(idCommand.ExecuteScalar()!);
        var previous = SHA256.HashData(Ad("secretops/audit-genesis/v1", storeId));
        using var command = db.CreateCommand();
        command.CommandText = "SELECT sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface, previous_hash, hash FROM audit ORDER BY sequence";
        using var reader = command.ExecuteReader();
        long expected = 1;
        while (reader.Read())
        {
            var sequence = reader.GetInt64(0);
            var hash = AuditEntryHash(reader, previous);
            if (sequence != expected || !((byte[])reader[14]).AsSpan().SequenceEqual(previous) || !((byte[])reader[15]).AsSpan().SequenceEqual(hash))
            {
                return Math.Min(sequence, expected);
            }

            previous = (byte[])reader[15];
            expected++;
        }

        return null;
    }

    /// <summary>§11: SHA-256 of the AD of the entry's fields; optional fields are a 0/1 presence integer and the value.</summary>
    public static byte[] AuditEntryHash(SqliteDataReader row, byte[] previousHash)
    {
        object?[] Optional(int ordinal, object absent) => row.IsDBNull(ordinal) ? [0L, absent] : [1L, row.GetValue(ordinal)];
        var fields = new List<object> { row.GetInt64(0), row.GetInt64(1) };
        fields.AddRange(Optional(2, Array.Empty<byte>())!);
        fields.Add(row.GetString(3));
        fields.Add(row.GetString(4));
        fields.AddRange(Optional(5, "")!);
        fields.AddRange(Optional(6, "")!);
        fields.AddRange(Optional(7, 0L)!);
        fields.Add(row.GetString(8));
        fields.AddRange(Optional(9, "")!);
        fields.AddRange([row.GetString(10), row.GetString(11), row.GetInt64(12), row.GetString(13), previousHash]);
        return SHA256.HashData(Ad("secretops/audit/v1", [.. fields]));
    }
}
