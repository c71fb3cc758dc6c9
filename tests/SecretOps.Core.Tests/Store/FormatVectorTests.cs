using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IndependentReader;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using SecretOps.ReferenceLibs;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// The test vectors of docs/FORMAT.md §13.2–§13.6, one per path a reader can take: a passphrase client (Argon2id), a key-file
/// client with an RSA-OAEP stanza reached through a namespace grant, a key-file client with a P-256 ECDH stanza reached through
/// a per-secret grant, one with a P-384 ECDH stanza through a namespace grant, and the hash of one audit entry. Every value in each block is recomputed twice from the block's inputs:
/// by the independent reader (<see cref="FormatReader"/>, written from the document) and by the engine's own code. So neither
/// the document nor the code can drift without a test failing. <see cref="Vectors_Generate"/> makes new blocks from a real store.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public sealed partial class FormatVectorTests
{
    private const string VectorPassphrase = "correct horse battery staple";

    private static byte[] Argon2idOracle(byte[] password, byte[] salt, long memoryKiB, long iterations, long parallelism) =>
        Libargon2.Hash(2, 0x13, (int)iterations, (int)memoryKiB, (int)parallelism, 32, password, salt);

    /// <summary>
    /// The common tail of every decryption vector, for the independent reader: the stanza, then (through a namespace key)
    /// the secret key, the value and what <c>secret get</c> prints. <paramref name="privateKey"/> is the client's key.
    /// </summary>
    private static void ReaderFromStanza(FormatVector v, AsymmetricAlgorithm privateKey)
    {
        var (storeId, clientId, secretId) = (v.Id("store_info.store_id"), v.Id("clients.id"), v.Id("secrets.id"));
        var namespaceId = v.Id("namespaces.id");
        var header = v.Hex("stanzas.header");
        var algorithm = v.Int("stanzas.algorithm");
        var perSecret = v.Int("stanzas.scope_kind") == 2;
        var context = perSecret
            ? FormatReader.SecretKeyContext(storeId, secretId, v.Int("stanzas.generation"))
            : FormatReader.NamespaceKeyContext(storeId, namespaceId, v.Int("stanzas.generation"));
        var wrappingKey = algorithm == 3
            ? FormatReader.RsaWrappingKey((RSA)privateKey, header)
            : FormatReader.StanzaWrappingKey(Shared(v, (ECDiffieHellman)privateKey, header), header, v.Hex("clients.public_key"));
        v.Same("stanza_wrapping_key", wrappingKey, "reader");
        var stanzaAd = FormatReader.StanzaAd(context, clientId, algorithm, header);
        v.Same("stanza_ad", stanzaAd, "reader");
        var stanzaKey = FormatReader.Open(wrappingKey, v.Hex("stanzas.nonce"), v.Hex("stanzas.wrapped_key"), stanzaAd);
        // And the reader's one-call unwrap agrees with its steps.
        Assert.Equal(stanzaKey, FormatReader.UnwrapStanza(privateKey, v.Hex("clients.public_key"), clientId, context, algorithm, header, v.Hex("stanzas.nonce"), v.Hex("stanzas.wrapped_key")));
        byte[] secretKey;
        if (perSecret)
        {
            secretKey = stanzaKey;
        }
        else
        {
            v.Same("namespace_key", stanzaKey, "reader");
            Assert.Equal(v.Int("stanzas.generation"), v.Int("secret_keys.namespace_generation"));
            var wrapAd = FormatReader.WrappedSecretKeyAd(storeId, namespaceId, secretId, v.Int("secret_keys.generation"), v.Int("secret_keys.namespace_generation"));
            v.Same("secret_key_wrap_ad", wrapAd, "reader");
            secretKey = FormatReader.Open(stanzaKey, v.Hex("secret_keys.nonce"), v.Hex("secret_keys.wrapped_key"), wrapAd);
        }

        v.Same("secret_key", secretKey, "reader");
        var valueAd = FormatReader.ValueAd(storeId, namespaceId, v.Text("namespaces.name"), secretId, v.Text("secrets.name"), v.Int("versions.version"),
            v.Int("versions.key_generation"), v.Int("versions.value_type"));
        v.Same("value_ad", valueAd, "reader");
        var serialized = FormatReader.Open(secretKey, v.Hex("versions.nonce"), v.Hex("versions.ciphertext"), valueAd);
        v.Same("serialized_value", serialized, "reader");
        v.Same("secret_get_stdout", new DecryptedValue(v.Int("versions.value_type"), serialized).SecretGetOutput(), "reader");

        static byte[] Shared(FormatVector v, ECDiffieHellman key, byte[] header)
        {
            var shared = FormatReader.EcdhSharedSecret(key, header);
            v.Same("ecdh_shared_secret", shared, "reader");
            return shared;
        }
    }

    /// <summary>The same tail with the engine's own types: Stanza.Unwrap, Aead, Contexts, SecretValue.</summary>
    private static void EngineFromStanza(FormatVector v, ClientPrivateKey privateKey)
    {
        var (storeId, clientId, secretId) = (v.Id("store_info.store_id"), v.Id("clients.id"), v.Id("secrets.id"));
        var namespaceId = v.Id("namespaces.id");
        Assert.Equal(v.Text("clients.public_key").ToUpperInvariant(), Convert.ToHexString(privateKey.PublicKey.ExportSubjectPublicKeyInfo()));
        var perSecret = v.Int("stanzas.scope_kind") == 2;
        var generation = (int)v.Int("stanzas.generation");
        var stanza = new Stanza(clientId, (StanzaAlgorithm)v.Int("stanzas.algorithm"), v.Hex("stanzas.header"), v.Hex("stanzas.nonce"), v.Hex("stanzas.wrapped_key"));
        using var stanzaKey = stanza.Unwrap(privateKey, perSecret ? Contexts.SecretKey(storeId, secretId, generation) : Contexts.NamespaceKey(storeId, namespaceId, generation));
        SymmetricKey? unwrapped = null;
        try
        {
            if (!perSecret)
            {
                v.Same("namespace_key", stanzaKey.Bytes, "engine");
                unwrapped = Aead.OpenKey(stanzaKey, new SealedData(v.Hex("secret_keys.nonce"), v.Hex("secret_keys.wrapped_key")),
                    Contexts.WrappedSecretKey(storeId, namespaceId, secretId, (int)v.Int("secret_keys.generation"), (int)v.Int("secret_keys.namespace_generation")), "secret key");
            }

            var secretKey = unwrapped ?? stanzaKey;
            v.Same("secret_key", secretKey.Bytes, "engine");
            var type = (SecretValueType)v.Int("versions.value_type");
            var serialized = Aead.Open(secretKey, new SealedData(v.Hex("versions.nonce"), v.Hex("versions.ciphertext")),
                Contexts.Value(storeId, namespaceId, v.Text("namespaces.name"), secretId, v.Text("secrets.name"), (int)v.Int("versions.version"), (int)v.Int("versions.key_generation"), type), "value");
            v.Same("serialized_value", serialized, "engine");
            using var value = SecretValue.Deserialize(serialized, type);
            v.Same("secret_get_stdout", value.ToOutputBytes(), "engine");
        }
        finally
        {
            unwrapped?.Dispose();
        }
    }

    [Fact]
    public void PassphraseClient_Argon2id_Vector()
    {
        ReferenceRequirement.Require(Libargon2.UnavailableReason);
        var v = new FormatVector("passphrase-client");
        var (storeId, clientId, salt) = (v.Id("store_info.store_id"), v.Id("clients.id"), v.Hex("clients.kdf_salt"));
        var (m, t, p) = (v.Int("clients.kdf_memory_kib"), v.Int("clients.kdf_iterations"), v.Int("clients.kdf_parallelism"));

        // The independent reader, with libargon2 as its Argon2id.
        v.Same("passphrase_utf8", Encoding.UTF8.GetBytes(v.Text("passphrase")), "reader");
        var kek = FormatReader.PassphraseKek(v.Text("passphrase"), salt, m, t, p, Argon2idOracle);
        v.Same("kek", kek, "reader");
        var envelopeAd = FormatReader.ClientKeyAdV2(v.Hex("genesis_hash"), clientId, v.Int("clients.kind"), salt, m, t, p);
        v.Same("private_key_ad", envelopeAd, "reader");
        var pkcs8 = FormatReader.Open(kek, v.Hex("clients.private_key_nonce"), v.Hex("clients.private_key"), envelopeAd);
        v.Same("pkcs8", pkcs8, "reader");
        using (var key = FormatReader.ImportPrivateKey(pkcs8))
        {
            ReaderFromStanza(v, key);
        }

        // The engine: its own Argon2id and its envelope code.
        var parameters = new Argon2Parameters(Argon2Type.Argon2id, (int)t, (int)m, (int)p);
        v.Same("kek", Argon2.DeriveBytes(parameters, v.Hex("passphrase_utf8"), salt, 32), "engine");
        using var credential = ClientCredential.FromPassphrase(v.Text("passphrase"));
        using var privateKey = ClientKeyProtection.Open(new KeyProtection(salt, parameters, new SealedData(v.Hex("clients.private_key_nonce"), v.Hex("clients.private_key"))),
            credential, new KeyBinding(storeId, v.Hex("genesis_hash")), clientId);
        v.Same("private_key_ad", Contexts.ClientPrivateKey(v.Hex("genesis_hash"), clientId, (ClientKind)v.Int("clients.kind"), salt, (int)m, (int)t, (int)p).Span, "engine");
        v.Same("pkcs8", privateKey.ExportPkcs8(), "engine");
        EngineFromStanza(v, privateKey);
    }

    [Theory]
    [InlineData("rsa-key-file-namespace-grant")]
    [InlineData("p256-key-file-secret-grant")]
    [InlineData("p384-key-file-namespace-grant")]
    public void KeyFileClient_Vector(string name)
    {
        var v = new FormatVector(name);
        Assert.Equal(3, v.Int("clients.kind"));
        var pkcs8 = v.Hex("key_file_pkcs8");
        using (var key = FormatReader.ImportPrivateKey(pkcs8))
        {
            v.Same("clients.public_key", FormatReader.SubjectPublicKeyInfo(key), "reader");
            ReaderFromStanza(v, key);
        }

        // The engine reads the key file's PEM (the PKCS#8 bytes in a PRIVATE KEY block), as `--key-file` does.
        using var privateKey = PemKeyReader.ReadPrivateKey(PemEncoding.WriteString("PRIVATE KEY", pkcs8));
        Assert.Equal(v.Int("stanzas.algorithm"), privateKey.Algorithm switch
        {
            ClientKeyAlgorithm.EcP256 => 1,
            ClientKeyAlgorithm.EcP384 => 2,
            _ => 3,
        });
        EngineFromStanza(v, privateKey);
    }

    [Fact]
    public void AuditEntry_Vector()
    {
        var v = new FormatVector("audit-entry");
        var storeId = v.Id("store_info.store_id");
        Assert.Equal(1, v.Int("audit.sequence"));
        v.Same("audit_genesis_hash", FormatReader.AuditGenesis(storeId), "reader");
        v.Same("audit.previous_hash", FormatReader.AuditGenesis(storeId), "reader");
        var ad = FormatReader.AuditEntryAd(v.Int("audit.sequence"), v.Int("audit.at"), v.Nullable("audit.client_id") is { } id ? Convert.FromHexString(id) : null,
            v.Text("audit.client_name"), v.Text("audit.action"), v.Nullable("audit.namespace"), v.Nullable("audit.target"),
            v.Nullable("audit.version") is { } version ? long.Parse(version, CultureInfo.InvariantCulture) : null, v.Text("audit.outcome"), v.Nullable("audit.error_id"),
            v.Text("audit.host"), v.Text("audit.os_user"), v.Int("audit.process_id"), v.Text("audit.surface"), v.Hex("audit.previous_hash"));
        v.Same("audit_ad", ad, "reader");
        v.Same("audit.hash", SHA256.HashData(ad), "reader");

        // The engine: a store whose id is the vector's and whose log is that one row verifies, and a changed byte does not.
        using var store = new TempStore();
        RawDb.Checkpoint(store.Path);
        using (var connection = RawDb.Open(store.Path))
        {
            RawDb.Execute(connection, "UPDATE store_info SET store_id = $id", ("$id", v.Hex("store_info.store_id")));
            RawDb.Execute(connection, "DELETE FROM audit");
            RawDb.Execute(connection,
                "INSERT INTO audit (sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface, previous_hash, hash) "
                + "VALUES ($s, $at, $c, $cn, $a, $ns, $t, $v, $o, $e, $h, $u, $pid, $sf, $ph, $hash)",
                ("$s", v.Int("audit.sequence")), ("$at", v.Int("audit.at")), ("$c", v.Nullable("audit.client_id") is { } c ? Convert.FromHexString(c) : null),
                ("$cn", v.Text("audit.client_name")), ("$a", v.Text("audit.action")), ("$ns", v.Nullable("audit.namespace")), ("$t", v.Nullable("audit.target")),
                ("$v", v.Nullable("audit.version") is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : null), ("$o", v.Text("audit.outcome")), ("$e", v.Nullable("audit.error_id")),
                ("$h", v.Text("audit.host")), ("$u", v.Text("audit.os_user")), ("$pid", v.Int("audit.process_id")), ("$sf", v.Text("audit.surface")),
                ("$ph", v.Hex("audit.previous_hash")), ("$hash", v.Hex("audit.hash")));
        }

        // The chain alone (the vector's entry is unsigned, as format 1's were: §18 covers signatures).
        RawDb.Checkpoint(store.Path);
        var opened = store.Open();
        var verified = opened.Backend.Read(reader => Audit.AuditLog.Verify(reader, opened.StoreId));
        Assert.True(verified.IsValid, verified.Problem);
        Assert.Equal(1, verified.EntriesChecked);
        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path));
        RawDb.Execute(store.Path, "UPDATE audit SET process_id = process_id + 1");
        RawDb.Checkpoint(store.Path);
        var altered = store.Open();
        Assert.Equal(1, altered.Backend.Read(reader => Audit.AuditLog.Verify(reader, altered.StoreId)).FirstBrokenSequence);
    }

    /// <summary>FORMAT.md §9.2: how a generated secret is written, and exactly which spellings of it are read back.</summary>
    [Fact]
    public void GeneratedSecret_TextForm_IsWhatFormatMdSays()
    {
        // fb ff bf encode as "+/+/" in standard base64, so "-_-_" here.
        byte[] bytes = [0xfb, 0xff, 0xbf, .. Enumerable.Range(3, 61).Select(i => (byte)(i * 37 + 250))];
        var text = GeneratedSecret.Format(bytes);
        Assert.Equal(96, text.Length);
        Assert.Matches("^secretops_[A-Za-z0-9_-]{85}[AQgw]$", text);
        Assert.Equal(bytes, FormatReader.ParseGeneratedSecret(text));
        var body = text["secretops_".Length..];
        Assert.True(body.Contains('-', StringComparison.Ordinal) && body.Contains('_', StringComparison.Ordinal), "the example should use both URL-safe characters");
        var lastValue = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".IndexOf(body[^1], StringComparison.Ordinal);

        // Accepted, all as the same 64 bytes: surrounding white space (any char.IsWhiteSpace), + and / for - and _,
        // and any last character with the same top two bits.
        Assert.Equal(bytes, GeneratedSecret.Parse("\u00A0\t " + text + "\u3000\n"));
        Assert.Equal(bytes, GeneratedSecret.Parse("secretops_" + body.Replace('-', '+').Replace('_', '/')));
        Assert.Equal(bytes, GeneratedSecret.Parse(text[..^1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[lastValue + 15]));

        // Refused: the padded form, white space inside, another prefix case, one character more or less.
        foreach (var refused in new[] { text + "==", text[..50] + " " + text[50..], "SecretOps_" + body, text[..^1], text + "A" })
        {
            Assert.Throws<InvalidParameterException>(() => GeneratedSecret.Parse(refused));
        }
    }

    /// <summary>
    /// Writes fresh vector blocks for FORMAT.md §13.2–§13.6 to the file named by SECRETOPS_FORMAT_VECTORS_OUT
    /// (<c>SECRETOPS_FORMAT_VECTORS_OUT=FILE dotnet test tests/SecretOps.Core.Tests -c Release --filter Vectors_Generate -- xUnit.Explicit=on</c>).
    /// The values come from a real store made by the engine and read back by the independent reader; the tests above check the document.
    /// </summary>
    [Fact(Explicit = true)]
    public void Vectors_Generate()
    {
        ReferenceRequirement.Require(Libargon2.UnavailableReason);
        var output = Environment.GetEnvironmentVariable("SECRETOPS_FORMAT_VECTORS_OUT");
        Assert.False(string.IsNullOrEmpty(output), "Set SECRETOPS_FORMAT_VECTORS_OUT to a file path to regenerate FORMAT.md's vectors.");

        var directory = Directory.CreateTempSubdirectory("secretops-vectors-").FullName;
        var path = Path.Combine(directory, "store.db");
        try
        {
            // A passphrase store at the Argon2id floor's memory (64 MiB, t = 3) with p = 4: not a weak store.
            SecretStore.Create(path, new StoreCreateOptions { Passphrase = VectorPassphrase.AsMemory(), Kdf = new Argon2Parameters(Argon2Type.Argon2id, 3, 64 * 1024, 4) });
            using var rsaKey = ClientPrivateKey.Generate(ClientKeyAlgorithm.Rsa, 2048);
            using var ecKey = ClientPrivateKey.Generate(ClientKeyAlgorithm.EcP256);
            using var ec384Key = ClientPrivateKey.Generate(ClientKeyAlgorithm.EcP384);
            using (var credential = ClientCredential.FromPassphrase(VectorPassphrase))
            using (var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential))
            {
                session.CreateNamespace("prod");
                session.SetSecret("prod", "db-login", SecretValue.FromCredential("alice", "pa55wörd&<ok>"));
                session.SetSecret("prod", "blob", SecretValue.FromBytes([0x00, 0x01, 0x02, 0xfe, 0xff]));
                session.SetSecret("prod", "api", SecretValue.FromTable(new Dictionary<string, SecretValue>
                {
                    ["url"] = SecretValue.FromString("https://api.example/v1?a=1&b=2"),
                    ["login"] = SecretValue.FromCredential("svc", "s3cr3t"),
                    ["cert"] = SecretValue.FromBytes([0xfb, 0xff, 0x01]),
                }));
                session.AddClient("rsa-robot", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = rsaKey.PublicKey });
                session.SetSecret("prod", "motd", SecretValue.FromString("héllo ✓"));
                session.AddClient("ec-robot", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = ecKey.PublicKey });
                session.AddClient("ec384-robot", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = ec384Key.PublicKey });
                session.Grant("rsa-robot", "prod", null, Permissions.Read);
                session.Grant("ec-robot", "prod", "api", Permissions.Read);
                session.Grant("ec384-robot", "prod", null, Permissions.Read);
            }

            SecretStore.ReleaseConnections();
            RawDb.Checkpoint(path);
            var text = new StringBuilder();
            void Line(string name, string value)
            {
                const int width = 64;
                text.Append(name.PadRight(34)).Append("= ");
                for (var i = 0; i < value.Length || i == 0; i += width)
                {
                    text.Append(i == 0 ? "" : new string(' ', 36)).Append(value[i..Math.Min(i + width, value.Length)]).Append('\n');
                }
            }

            string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
            string Cell(string sql, params (string, object?)[] parameters) => RawDb.Scalar(path, sql, parameters) switch
            {
                null or DBNull => "NULL",
                byte[] bytes => Hex(bytes),
                var other => Convert.ToString(other, CultureInfo.InvariantCulture)!,
            };

            void Block(string name, string caption, string client, Func<Dictionary<string, byte[]>, DecryptedValue> read, string secret, Action<Dictionary<string, byte[]>> credentialSteps)
            {
                var trace = new Dictionary<string, byte[]>();
                var value = read(trace);
                string H(string key) => Hex(trace[key]);
                var clientId = trace["client_id"];
                var secretId = trace["secret_id"];
                var perSecret = trace.ContainsKey("secret_stanza_wrapping_key");
                var scope = perSecret ? secretId : trace["namespace_id"];
                string Stanza(string column) => Cell($"SELECT {column} FROM stanzas WHERE client_id = $c AND scope_kind = $k AND scope_id = $s", ("$c", clientId), ("$k", perSecret ? 2 : 1), ("$s", scope));
                string ClientColumn(string column) => Cell($"SELECT {column} FROM clients WHERE id = $c", ("$c", clientId));
                string VersionColumn(string column) => Cell($"SELECT {column} FROM versions WHERE secret_id = $s AND version = 1", ("$s", secretId));
                string SecretKeyColumn(string column) => Cell($"SELECT {column} FROM secret_keys WHERE secret_id = $s AND generation = 1", ("$s", secretId));
                string P(string key) => (perSecret ? "secret_" : "") + key;

                text.Append($"<!-- vector: {name} (checked by FormatVectorTests; keep the \"name = value\" layout) -->\n```text\n");
                text.Append($"# {caption}\n# inputs: the client's credential, and the rows a reader selects (§12)\n");
                credentialSteps(trace);
                Line("genesis_hash", H("genesis_hash"));
                Line("store_info.store_id", H("store_id"));
                Line("clients.name", client);
                Line("clients.id", H("client_id"));
                Line("clients.kind", ClientColumn("kind"));
                if (trace.ContainsKey("kdf_salt"))
                {
                    Line("clients.kdf_salt", H("kdf_salt"));
                    Line("clients.kdf_memory_kib", ClientColumn("kdf_memory_kib"));
                    Line("clients.kdf_iterations", ClientColumn("kdf_iterations"));
                    Line("clients.kdf_parallelism", ClientColumn("kdf_parallelism"));
                    Line("clients.private_key_nonce", H("private_key_nonce"));
                    Line("clients.private_key", H("private_key"));
                }

                Line("clients.public_key", H("public_key"));
                Line("namespaces.id", H("namespace_id"));
                Line("namespaces.name", "prod");
                Line("secrets.id", H("secret_id"));
                Line("secrets.name", secret);
                Line("stanzas.scope_kind", perSecret ? "2" : "1");
                Line("stanzas.generation", Stanza("generation"));
                Line("stanzas.algorithm", Stanza("algorithm"));
                Line("stanzas.header", Stanza("header"));
                Line("stanzas.nonce", Stanza("nonce"));
                Line("stanzas.wrapped_key", Stanza("wrapped_key"));
                if (!perSecret)
                {
                    Line("secret_keys.generation", "1");
                    Line("secret_keys.namespace_generation", SecretKeyColumn("namespace_generation"));
                    Line("secret_keys.nonce", SecretKeyColumn("nonce"));
                    Line("secret_keys.wrapped_key", SecretKeyColumn("wrapped_key"));
                }

                Line("versions.version", "1");
                Line("versions.key_generation", VersionColumn("key_generation"));
                Line("versions.value_type", VersionColumn("value_type"));
                Line("versions.nonce", VersionColumn("nonce"));
                Line("versions.ciphertext", VersionColumn("ciphertext"));
                if (trace.ContainsKey("kek"))
                {
                    text.Append("# step 1 (§9.1): the key-encryption key\n");
                    if (trace.ContainsKey("passphrase_utf8"))
                    {
                        Line("passphrase_utf8", H("passphrase_utf8"));
                    }

                    Line("kek", H("kek"));
                    text.Append("# step 2 (§9.3): the envelope's AD and the PKCS#8 private key\n");
                    Line("private_key_ad", H("private_key_ad"));
                    Line("pkcs8", H("pkcs8"));
                }

                text.Append(perSecret ? "# step 3 (§12.7a): the client's own stanza for the secret key\n" : "# step 3 (§12.7b): the namespace stanza\n");
                if (trace.ContainsKey(P("ecdh_shared_secret")))
                {
                    Line("ecdh_shared_secret", H(P("ecdh_shared_secret")));
                }

                Line("stanza_wrapping_key", H(P("stanza_wrapping_key")));
                Line("stanza_ad", H(P("stanza_ad")));
                if (!perSecret)
                {
                    Line("namespace_key", H("namespace_key"));
                    text.Append("# step 4 (§12.7b): the secret key\n");
                    Line("secret_key_wrap_ad", H("secret_key_wrap_ad"));
                }

                Line("secret_key", H("secret_key"));
                text.Append("# step 5 (§12.8, §12.9, §10.1): the value, and what `secret get` prints\n");
                Line("value_ad", H("value_ad"));
                Line("serialized_value", H("serialized_value"));
                Line("secret_get_stdout", Hex(value.SecretGetOutput()));
                if (value.Type is 3 or 5)
                {
                    text.Append("# secret_get_stdout as text: ").Append(Encoding.UTF8.GetString(value.SecretGetOutput())).Append('\n');
                }

                text.Append("```\n\n");
            }

            Block("passphrase-client", "A passphrase client (kind 1, Argon2id) reads a Credential through its namespace stanza", "system",
                trace =>
                {
                    var value = FormatReader.DecryptWithPassphrase(path, "system", VectorPassphrase, Argon2idOracle, "prod", "db-login", null, trace);
                    trace["passphrase_utf8"] = Encoding.UTF8.GetBytes(VectorPassphrase);
                    return value;
                },
                "db-login", _ => Line("passphrase", VectorPassphrase));
            var rsaPkcs8 = rsaKey.ExportPkcs8();
            Block("rsa-key-file-namespace-grant", "A key-file client with an RSA-2048 key (RSA-OAEP stanza) reads Bytes through a namespace grant", "rsa-robot",
                trace => FormatReader.DecryptWithKeyFile(path, "rsa-robot", rsaPkcs8, "prod", "blob", null, trace),
                "blob", _ => Line("key_file_pkcs8", Hex(rsaPkcs8)));
            var ecPkcs8 = ecKey.ExportPkcs8();
            Block("p256-key-file-secret-grant", "A key-file client with a P-256 key (ECDH stanza) reads a Hashtable through a per-secret grant", "ec-robot",
                trace => FormatReader.DecryptWithKeyFile(path, "ec-robot", ecPkcs8, "prod", "api", null, trace),
                "api", _ => Line("key_file_pkcs8", Hex(ecPkcs8)));

            var ec384Pkcs8 = ec384Key.ExportPkcs8();
            Block("p384-key-file-namespace-grant", "A key-file client with a P-384 key (ECDH stanza) reads a String through a namespace grant", "ec384-robot",
                trace => FormatReader.DecryptWithKeyFile(path, "ec384-robot", ec384Pkcs8, "prod", "motd", null, trace),
                "motd", _ => Line("key_file_pkcs8", Hex(ec384Pkcs8)));

            // The first audit entry: its previous_hash is the genesis hash.
            string Audit(string column) => Cell($"SELECT {column} FROM audit WHERE sequence = 1");
            var storeId = new Guid((byte[])RawDb.Scalar(path, "SELECT store_id FROM store_info")!, bigEndian: true);
            text.Append("<!-- vector: audit-entry (checked by FormatVectorTests; keep the \"name = value\" layout) -->\n```text\n");
            text.Append("# inputs: the store id and the first audit row (NULL: the column is NULL)\n");
            Line("store_info.store_id", Hex(storeId.ToByteArray(bigEndian: true)));
            foreach (var column in new[] { "sequence", "at", "client_id", "client_name", "action", "namespace", "target", "version", "outcome", "error_id", "host", "os_user", "process_id", "surface" })
            {
                Line("audit." + column, Audit(column));
            }

            text.Append("# the audit chain's genesis link, the entry's AD (§2, §11) and its hash; the row holds the same two values\n");
            Line("audit_genesis_hash", Hex(FormatReader.AuditGenesis(storeId)));
            Line("audit.previous_hash", Audit("previous_hash"));
            using (var connection = RawDb.Open(path, readOnly: true))
            using (var command = RawDb.Command(connection, "SELECT sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface FROM audit WHERE sequence = 1"))
            using (var reader = command.ExecuteReader())
            {
                Assert.True(reader.Read());
                T? Nullable<T>(int ordinal) where T : class => reader.IsDBNull(ordinal) ? null : (T)reader.GetValue(ordinal);
                Line("audit_ad", Hex(FormatReader.AuditEntryAd(reader.GetInt64(0), reader.GetInt64(1), Nullable<byte[]>(2), reader.GetString(3), reader.GetString(4), Nullable<string>(5),
                    Nullable<string>(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.GetString(8), Nullable<string>(9), reader.GetString(10), reader.GetString(11),
                    reader.GetInt64(12), reader.GetString(13), FormatReader.AuditGenesis(storeId))));
            }

            Line("audit.hash", Audit("hash"));
            text.Append("```\n");
            File.WriteAllText(output, text.ToString());
        }
        finally
        {
            SecretStore.ReleaseConnections();
            Directory.Delete(directory, recursive: true);
        }
    }
}
