// An independent reader of the store format, written from docs/FORMAT.md alone, to prove the document is
// complete. It deliberately lives outside the engine's namespaces and uses only Microsoft.Data.Sqlite (raw
// SQL) and System.Security.Cryptography (AesGcm, HKDF, ECDiffieHellman, RSA, SHA256): no engine type at all.
// IndependentDecryptorTests checks that this file never names one. Each step cites the section it follows.
// Argon2id (passphrase clients) is not in .NET: the caller hands in an implementation (the tests pass Debian's
// libargon2, the reference implementation), so this reader never borrows the engine's.
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

    /// <summary>
    /// §10.1: what <c>secretops secret get</c> writes to standard output: text and bytes as they are; a credential as
    /// the JSON object {"userName":…,"password":…}; a table as one JSON object whose members are in stored order.
    /// </summary>
    public byte[] SecretGetOutput()
    {
        switch (Type)
        {
            case 1 or 2 or 4:
                return Payload.ToArray();
            case 3:
                var (user, password) = Credential;
                return Encoding.UTF8.GetBytes(CredentialJson(user, password));
            case 5:
                var members = Table.Select(entry => JsonString(entry.Key) + ":" + entry.Type switch
                {
                    1 or 2 => JsonString(Encoding.UTF8.GetString(entry.Payload)),
                    3 => CredentialJson(new DecryptedValue(3, [1, 3, .. entry.Payload]).Credential),
                    4 => JsonString(Convert.ToBase64String(entry.Payload)),
                    _ => throw new InvalidDataException("a table entry of type " + entry.Type),
                });
                return Encoding.UTF8.GetBytes("{" + string.Join(",", members) + "}");
            default:
                throw new InvalidDataException("value type " + Type);
        }
    }

    private static string CredentialJson((string User, string Password) credential) => CredentialJson(credential.User, credential.Password);

    private static string CredentialJson(string user, string password) => "{\"userName\":" + JsonString(user) + ",\"password\":" + JsonString(password) + "}";

    /// <summary>§10.1: a JSON string: printable ASCII as is except " &amp; ' + &lt; &gt; ` (escaped), short escapes for \ and five controls, \uXXXX for every other UTF-16 unit.</summary>
    private static string JsonString(string text)
    {
        var json = new StringBuilder("\"");
        foreach (var c in text)
        {
            json.Append(c switch
            {
                '\\' => "\\\\",
                '\b' => "\\b",
                '\t' => "\\t",
                '\n' => "\\n",
                '\f' => "\\f",
                '\r' => "\\r",
                >= ' ' and <= '~' and not ('"' or '&' or '\'' or '+' or '<' or '>' or '`') => c.ToString(),
                _ => "\\u" + ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        return json.Append('"').ToString();
    }
}

/// <summary>The steps of FORMAT.md §12, as pure functions, then the whole path over a store file.</summary>
public static partial class FormatReader
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

    // ---- §9.1 The key-encryption key of a passphrase client: Argon2id v1.3 (password = the passphrase's UTF-8 bytes,
    // salt = clients.kdf_salt, m, t, p from the row, no secret, no associated data, 32 bytes). `argon2id` computes
    // Argon2id v1.3 of (password, salt, m KiB, t, p) with a 32-byte tag.
    public static byte[] PassphraseKek(string passphrase, byte[] salt, long memoryKiB, long iterations, long parallelism,
                                       Func<byte[], byte[], long, long, long, byte[]> argon2id)
    {
        // §5 / §9.1: refuse what a tampered header could demand before deriving anything.
        if (memoryKiB > 4L * 1024 * 1024 || iterations > 16 || parallelism > 64)
        {
            throw new InvalidDataException("the stored Argon2id parameters exceed m = 4 GiB, t = 16 or p = 64");
        }

        return argon2id(Encoding.UTF8.GetBytes(passphrase), salt, memoryKiB, iterations, parallelism);
    }

    // ---- §9.3 / §9.4 The PKCS#8 private key: an EC key (P-256, P-384) or an RSA key.
    public static AsymmetricAlgorithm ImportPrivateKey(byte[] pkcs8)
    {
        var ec = ECDiffieHellman.Create();
        try
        {
            ec.ImportPkcs8PrivateKey(pkcs8, out _);
            return ec;
        }
        catch (CryptographicException)
        {
            ec.Dispose();
        }

        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    }

    /// <summary>§3: the DER SubjectPublicKeyInfo of a private key, compared with clients.public_key.</summary>
    public static byte[] SubjectPublicKeyInfo(AsymmetricAlgorithm key) => key switch
    {
        ECDiffieHellman ec => ec.ExportSubjectPublicKeyInfo(),
        RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    // ---- §4 Stanzas (RSA): the header is RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) of the 32-byte wrapping key.
    public static byte[] RsaWrappingKey(RSA privateKey, byte[] header)
    {
        var key = privateKey.Decrypt(header, RSAEncryptionPadding.OaepSHA256);
        return key.Length == 32 ? key : throw new CryptographicException("the OAEP plaintext is not a 32-byte key");
    }

    // ---- §8 / §9.3 Format 1's private-key envelope AD (a format-2 store uses ClientKeyAdV2, §17): kind 2 (generated)
    // has no Argon2 parameters, so m, t, p are 0.
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

    public static byte[] UnwrapStanza(AsymmetricAlgorithm privateKey, byte[] recipientSpki, Guid recipientId, byte[] contextAd,
                                      long algorithm, byte[] header, byte[] nonce, byte[] wrappedKey, IDictionary<string, byte[]>? trace = null, string prefix = "")
    {
        // §4 / §9.4: the algorithm follows from the recipient's key: 1 = ECDH P-256, 2 = ECDH P-384, 3 = RSA-OAEP-SHA256.
        byte[] wrappingKey;
        switch (algorithm, privateKey)
        {
            case (1 or 2, ECDiffieHellman ec) when (ec.KeySize == 256) == (algorithm == 1) && ec.KeySize is 256 or 384:
                var shared = EcdhSharedSecret(ec, header);
                wrappingKey = StanzaWrappingKey(shared, header, recipientSpki);
                if (trace is not null)
                {
                    trace[prefix + "ecdh_shared_secret"] = shared;
                }

                break;
            case (3, RSA rsa):
                wrappingKey = RsaWrappingKey(rsa, header);
                break;
            default:
                throw new CryptographicException($"stanza algorithm {algorithm} does not match the client's key");
        }

        var ad = StanzaAd(contextAd, recipientId, algorithm, header);
        if (trace is not null)
        {
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
        Ad("secretops/value/v1", storeId, namespaceId, UpperCase(namespaceName), secretId, UpperCase(secretName), version, keyGeneration, valueType);

    // ---- §6.3 Upper-casing names: code point by code point (an unpaired surrogate stays), each replaced by its Unicode 15.0
    // simple uppercase mapping (UnicodeData.txt field 12), except U+0131 and U+017F, which stay. The mappings are read from
    // the Unicode data the tests carry (UnicodeSimpleUppercase-15.0.0.txt, copied beside this assembly), never from the
    // engine or the runtime's own casing.
    private static readonly Lazy<Dictionary<int, int>> SimpleUppercase15 = new(() =>
    {
        var table = new Dictionary<int, int>();
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Secrets", "UnicodeSimpleUppercase-15.0.0.txt")))
        {
            if (!line.StartsWith('#'))
            {
                var fields = line.Split(';');
                table[Convert.ToInt32(fields[0], 16)] = Convert.ToInt32(fields[1], 16);
            }
        }

        return table;
    });

    public static string UpperCase(string name)
    {
        var upper = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                upper.Append(char.ConvertFromUtf32(UpperCase(char.ConvertToUtf32(name[i], name[++i]))));
            }
            else
            {
                upper.Append(char.IsSurrogate(name[i]) ? name[i] : (char)UpperCase(name[i]));
            }
        }

        return upper.ToString();
    }

    private static int UpperCase(int codePoint) => codePoint is 0x0131 or 0x017F ? codePoint : SimpleUppercase15.Value.GetValueOrDefault(codePoint, codePoint);

    // ---- §6.2 UUID columns are 16-byte blobs in RFC 4122 (big-endian) order.
    private static Guid Uuid(object blob) => new((byte[])blob, bigEndian: true);

    private static byte[] Blob(Guid id) => id.ToByteArray(bigEndian: true);

    /// <summary>
    /// §12: a generated-secret client reads one version (the current one when <paramref name="version"/> is
    /// null) of a secret, from nothing but the store file and its client secret. <paramref name="trace"/>, when
    /// given, receives every intermediate value (the worked examples of §13 list the same names).
    /// </summary>
    public static DecryptedValue Decrypt(string storePath, string clientName, string clientSecret, string ns, string name, long? version = null,
                                         IDictionary<string, byte[]>? trace = null) =>
        DecryptAs(storePath, clientName, 2, (client, t) =>
        {
            // §12.4 (§9.2): the client secret's 64 bytes, and the key-encryption key from them.
            var secret = ParseGeneratedSecret(clientSecret);
            var kek = GeneratedSecretKek(secret, client.Salt!);
            t["client_secret_bytes"] = secret;
            t["kek"] = kek;
            return OpenEnvelope(client, kek, 0, 0, 0, t);
        }, ns, name, version, trace);

    /// <summary>§12 for a passphrase client (kind 1): the key-encryption key is Argon2id of the passphrase (§9.1).</summary>
    public static DecryptedValue DecryptWithPassphrase(string storePath, string clientName, string passphrase, Func<byte[], byte[], long, long, long, byte[]> argon2id,
                                                       string ns, string name, long? version = null, IDictionary<string, byte[]>? trace = null) =>
        DecryptAs(storePath, clientName, 1, (client, t) =>
        {
            var kek = PassphraseKek(passphrase, client.Salt!, client.MemoryKiB, client.Iterations, client.Parallelism, argon2id);
            t["kek"] = kek;
            return OpenEnvelope(client, kek, client.MemoryKiB, client.Iterations, client.Parallelism, t);
        }, ns, name, version, trace);

    /// <summary>§12 for a key-file client (kind 3): no envelope; the client's own PKCS#8 key must match clients.public_key (§9.4).</summary>
    public static DecryptedValue DecryptWithKeyFile(string storePath, string clientName, byte[] pkcs8, string ns, string name, long? version = null,
                                                    IDictionary<string, byte[]>? trace = null) =>
        DecryptAs(storePath, clientName, 3, (_, t) =>
        {
            t["pkcs8"] = pkcs8;
            return pkcs8;
        }, ns, name, version, trace);

    /// <summary>The columns of a client row a reader needs (§7.2); the envelope columns are NULL for key files.</summary>
    private sealed record ClientRow(byte[] GenesisHash, Guid Id, long Kind, byte[]? Salt, byte[]? Nonce, byte[]? Envelope, byte[] PublicKey, long MemoryKiB, long Iterations, long Parallelism);

    /// <summary>§12.5 (§9.3, §17): open the envelope, bound to the genesis hash: PKCS#8 DER of the client's private key.</summary>
    private static byte[] OpenEnvelope(ClientRow client, byte[] kek, long memoryKiB, long iterations, long parallelism, IDictionary<string, byte[]> trace)
    {
        var envelopeAd = ClientKeyAdV2(client.GenesisHash, client.Id, client.Kind, client.Salt!, memoryKiB, iterations, parallelism);
        var pkcs8 = Open(kek, client.Nonce!, client.Envelope!, envelopeAd);
        trace["private_key_ad"] = envelopeAd;
        trace["pkcs8"] = pkcs8;
        return pkcs8;
    }

    private static DecryptedValue DecryptAs(string storePath, string clientName, long expectedKind, Func<ClientRow, IDictionary<string, byte[]>, byte[]> unlock,
                                            string ns, string name, long? version, IDictionary<string, byte[]>? trace)
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

        if ((long)Scalar("PRAGMA user_version")! != 2)
        {
            throw new InvalidDataException("this reader follows format 2");
        }

        // §12.2 (§14.5): the control log, verified from its genesis entry; its hash is the store's identity.
        var log = ReplayControlLog(db);
        trace["genesis_hash"] = log.GenesisHash;

        // §12.2 (§7.1): the store id, bound into every ciphertext; it must be the one the genesis entry names.
        var storeId = Uuid(Scalar("SELECT store_id FROM store_info WHERE id = 1")!);
        trace["store_id"] = Blob(storeId);
        if (storeId != log.StoreId)
        {
            throw new InvalidDataException("store_info.store_id is not the store id of the genesis entry");
        }

        // §12.3 (§7.2): the client row.
        var client = Row("SELECT id, kind, kdf_salt, private_key_nonce, private_key, public_key, kdf_memory_kib, kdf_iterations, kdf_parallelism FROM clients WHERE name = $name COLLATE NOCASE", ("$name", clientName))
                     ?? throw new InvalidDataException("no such client");
        static long OrZero(object column) => column is long value ? value : 0;
        var row = new ClientRow(log.GenesisHash, Uuid(client[0]), (long)client[1], client[2] as byte[], client[3] as byte[], client[4] as byte[], (byte[])client[5],
                                OrZero(client[6]), OrZero(client[7]), OrZero(client[8]));
        if (row.Kind != expectedKind)
        {
            throw new InvalidDataException($"client '{clientName}' is of kind {row.Kind}, not {expectedKind}");
        }

        var (clientId, publicKey) = (row.Id, row.PublicKey);

        // §14.7: the row must be the client the log holds: same kind, same encryption key.
        if (!log.Clients.TryGetValue(clientId, out var logged) || logged.Kind != row.Kind || !logged.EncryptionSpki.AsSpan().SequenceEqual(publicKey))
        {
            throw new InvalidDataException($"client '{clientName}' is not the client the control log holds");
        }
        trace["client_id"] = Blob(clientId);
        trace["public_key"] = publicKey;
        if (row.Salt is not null)
        {
            trace["kdf_salt"] = row.Salt;
            trace["private_key_nonce"] = row.Nonce!;
            trace["private_key"] = row.Envelope!;
        }

        // §12.4-5 (§9): the client's private key, from its envelope or its key file; its public half must be the row's.
        using var privateKey = ImportPrivateKey(unlock(row, trace));
        if (!SubjectPublicKeyInfo(privateKey).AsSpan().SequenceEqual(publicKey))
        {
            throw new CryptographicException("the private key does not match clients.public_key");
        }

        // §12.6 (§7.3, §7.5, §7.7): namespace, secret and version rows.
        var namespaceRow = Row("SELECT id, name FROM namespaces WHERE name = $name COLLATE NOCASE", ("$name", ns)) ?? throw new InvalidDataException("no such namespace");
        var (namespaceId, namespaceName) = (Uuid(namespaceRow[0]), (string)namespaceRow[1]);
        // §7.5: secrets are found by name_key, the name upper-cased as §6.3 says.
        var secretRow = Row("SELECT id, current_version, name FROM secrets WHERE namespace_id = $ns AND name_key = $key", ("$ns", Blob(namespaceId)), ("$key", UpperCase(name)))
                        ?? throw new InvalidDataException("no such secret");
        var (secretId, secretName) = (Uuid(secretRow[0]), (string)secretRow[2]);

        // §14.7: the rows must agree with the log, and the version a read returns by default is the log's current one.
        if (!log.Namespaces.TryGetValue(namespaceId, out var loggedNamespace) || loggedNamespace.Name != namespaceName
            || !log.Secrets.TryGetValue(secretId, out var loggedSecret) || loggedSecret.NamespaceId != namespaceId
            || loggedSecret.NameKey != UpperCase(secretName) || loggedSecret.CurrentVersion != (long)secretRow[1])
        {
            throw new InvalidDataException("the namespace or secret row is not what the control log holds");
        }

        var wanted = version ?? loggedSecret.CurrentVersion;
        var versionRow = Row("SELECT key_generation, value_type, nonce, ciphertext FROM versions WHERE secret_id = $id AND version = $version", ("$id", Blob(secretId)), ("$version", wanted))
                         ?? throw new InvalidDataException("no such version");
        var (keyGeneration, valueType, valueNonce, valueCiphertext) = ((long)versionRow[0], (long)versionRow[1], (byte[])versionRow[2], (byte[])versionRow[3]);

        // §16: the version row must be the one its author signed: key generation, type and the digest of nonce and ciphertext.
        var digest = ValueDigest(valueNonce, valueCiphertext);
        trace["value_digest"] = digest;
        if (!loggedSecret.Versions.TryGetValue(wanted, out var signedVersion) || signedVersion.KeyGeneration != keyGeneration || signedVersion.Type != valueType
            || !signedVersion.Digest.AsSpan().SequenceEqual(digest))
        {
            throw new InvalidDataException($"version {wanted} is not the version its author signed in the control log");
        }
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
            trace["secret_stanza_header"] = (byte[])own[1];
            trace["secret_stanza_nonce"] = (byte[])own[2];
            trace["secret_stanza_wrapped_key"] = (byte[])own[3];
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
            // §16: the namespace key must be the one its generation's entry commits to.
            CheckCommitment(loggedNamespace.Commitments, 1, namespaceId, namespaceGeneration, namespaceKey, trace, "namespace_key_commitment");
            var wrapAd = WrappedSecretKeyAd(storeId, namespaceId, secretId, keyGeneration, namespaceGeneration);
            trace["secret_keys_nonce"] = (byte[])wrapped[1];
            trace["secret_keys_wrapped_key"] = (byte[])wrapped[2];
            trace["secret_key_wrap_ad"] = wrapAd;
            secretKey = Open(namespaceKey, (byte[])wrapped[1], (byte[])wrapped[2], wrapAd);
        }

        trace["secret_key"] = secretKey;
        CheckCommitment(loggedSecret.Commitments, 2, secretId, keyGeneration, secretKey, trace, "secret_key_commitment");

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

    /// <summary>§16: a key must match the commitment of its generation (generation g is the g-th commitment the log made).</summary>
    private static void CheckCommitment(List<byte[]> commitments, long scopeKind, Guid scopeId, long generation, byte[] key, IDictionary<string, byte[]> trace, string name)
    {
        var commitment = KeyCommitment(scopeKind, scopeId, generation, key);
        trace[name] = commitment;
        if (generation < 1 || generation > commitments.Count || !CryptographicOperations.FixedTimeEquals(commitments[(int)generation - 1], commitment))
        {
            throw new InvalidDataException($"the key of generation {generation} is not the one the control log commits to");
        }
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
        var previous = AuditGenesis(storeId);
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

    /// <summary>
    /// What anyone who can write the file and has read §11 can do: recompute every audit hash and link from
    /// <paramref name="from"/> on, so the chain verifies again after an edit (only §18's signatures then catch it).
    /// </summary>
    public static void ReHashAuditChain(SqliteConnection db, long from)
    {
        SqliteCommand Command(string sql)
        {
            var command = db.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$s", from);
            return command;
        }

        byte[] previous;
        using (var first = Command("SELECT previous_hash FROM audit WHERE sequence = $s"))
        {
            previous = (byte[])first.ExecuteScalar()!;
        }

        var rows = new List<(long Sequence, byte[] Hash)>();
        using (var select = Command("SELECT sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface FROM audit WHERE sequence >= $s ORDER BY sequence"))
        using (var reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                previous = AuditEntryHash(reader, previous);
                rows.Add((reader.GetInt64(0), previous));
            }
        }

        byte[]? link = null;
        foreach (var (sequence, hash) in rows)
        {
            using var update = db.CreateCommand();
            update.CommandText = "UPDATE audit SET hash = $h, previous_hash = coalesce($p, previous_hash) WHERE sequence = $q";
            update.Parameters.AddWithValue("$h", hash);
            update.Parameters.AddWithValue("$p", (object?)link ?? DBNull.Value);
            update.Parameters.AddWithValue("$q", sequence);
            update.ExecuteNonQuery();
            link = hash;
        }
    }

    /// <summary>§11: SHA-256 of the AD of the entry's fields; optional fields are a 0/1 presence integer and the value.</summary>
    public static byte[] AuditEntryHash(SqliteDataReader row, byte[] previousHash)
    {
        T? Nullable<T>(int ordinal) where T : class => row.IsDBNull(ordinal) ? null : (T)row.GetValue(ordinal);
        return SHA256.HashData(AuditEntryAd(row.GetInt64(0), row.GetInt64(1), Nullable<byte[]>(2), row.GetString(3), row.GetString(4), Nullable<string>(5),
            Nullable<string>(6), row.IsDBNull(7) ? null : row.GetInt64(7), row.GetString(8), Nullable<string>(9), row.GetString(10), row.GetString(11),
            row.GetInt64(12), row.GetString(13), previousHash));
    }

    /// <summary>§11: the AD-encoded field list of one audit entry (its hash is SHA-256 of this).</summary>
    public static byte[] AuditEntryAd(long sequence, long at, byte[]? clientId, string clientName, string action, string? ns, string? target, long? version,
                                      string outcome, string? errorId, string host, string osUser, long processId, string surface, byte[] previousHash)
    {
        // opt(x): the integer 1 then x, or the integer 0 then an empty value of x's kind.
        static object[] Opt(object? value, object absent) => value is null ? [0L, absent] : [1L, value];
        var fields = new List<object> { sequence, at };
        fields.AddRange(Opt(clientId, Array.Empty<byte>()));
        fields.Add(clientName);
        fields.Add(action);
        fields.AddRange(Opt(ns, ""));
        fields.AddRange(Opt(target, ""));
        fields.AddRange(Opt(version, 0L));
        fields.Add(outcome);
        fields.AddRange(Opt(errorId, ""));
        fields.AddRange([host, osUser, processId, surface, previousHash]);
        return Ad("secretops/audit/v1", [.. fields]);
    }

    /// <summary>§11: the first entry's previous_hash: SHA-256 of the AD ("secretops/audit-genesis/v1", store id).</summary>
    public static byte[] AuditGenesis(Guid storeId) => SHA256.HashData(Ad("secretops/audit-genesis/v1", storeId));
}
