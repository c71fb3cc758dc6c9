using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using IndependentReader;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// docs/FORMAT.md is complete: <see cref="FormatReader"/>, written from it with nothing but raw SQL and
/// System.Security.Cryptography, decrypts what the engine wrote. The engine is used here only to create the
/// store and write secrets; every value is then read back by the independent reader alone.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public partial class IndependentDecryptorTests
{
    [Fact]
    public void GeneratedClient_DecryptsEveryValueType_FromTheFileAndItsSecretAlone()
    {
        using var store = new TempStore(generateSecret: true);
        var secret = store.Created.ClientSecret!;
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("prod");
            session.SetSecret("prod", "Ünïcode Näme", SecretValue.FromString("found by name_key"));
            session.SetSecret("prod", "text", SecretValue.FromString("héllo wörld ✓"));
            session.SetSecret("prod", "secure", SecretValue.FromString("s3cret", secure: true));
            session.SetSecret("prod", "cred", SecretValue.FromCredential("alice", "pa:ss wörd"));
            session.SetSecret("prod", "bytes", SecretValue.FromBytes([0, 1, 2, 254, 255]));
            session.SetSecret("prod", "table", SecretValue.FromTable(new Dictionary<string, SecretValue>
            {
                ["url"] = SecretValue.FromString("https://example.test"),
                ["Login"] = SecretValue.FromCredential("svc", "pw"),
                ["blob"] = SecretValue.FromBytes([7, 7]),
            }));
        }

        SqliteCheckpoint(store.Path);
        Assert.Equal("héllo wörld ✓", FormatReader.Decrypt(store.Path, "system", secret, "prod", "text").Text);
        Assert.Equal("found by name_key", FormatReader.Decrypt(store.Path, "system", secret, "prod", "üNÏCODE nÄME").Text);
        var secure = FormatReader.Decrypt(store.Path, "system", secret, "prod", "secure");
        Assert.Equal((2L, "s3cret"), (secure.Type, secure.Text));
        var credential = FormatReader.Decrypt(store.Path, "system", secret, "prod", "cred");
        Assert.Equal((3L, ("alice", "pa:ss wörd")), (credential.Type, credential.Credential));
        var bytes = FormatReader.Decrypt(store.Path, "system", secret, "prod", "bytes");
        Assert.Equal(4L, bytes.Type);
        Assert.Equal(new byte[] { 0, 1, 2, 254, 255 }, bytes.Payload.ToArray());
        var table = FormatReader.Decrypt(store.Path, "SYSTEM", secret, "PROD", "TABLE");
        Assert.Equal(5L, table.Type);
        // §10: entries sorted by key in ordinal (UTF-16 code unit) order: "Login" < "blob" < "url".
        Assert.Equal(["Login", "blob", "url"], table.Table.Select(e => e.Key));
        Assert.Equal([3L, 4L, 1L], table.Table.Select(e => e.Type));
        Assert.Equal("https://example.test", Encoding.UTF8.GetString(table.Table[2].Payload));
        Assert.Equal([7, 7], table.Table[1].Payload);
    }

    /// <summary>
    /// §6.3 from the document alone (Unicode 15.0's simple uppercase from the data file, ı and ſ unchanged) gives the engine's
    /// name key for every code point, and finds and opens what the engine wrote under names the runtime's own casing would
    /// upper-case otherwise (ſ, ƛ, Garay), while SECRET stays another name than ſecret.
    /// </summary>
    [Fact]
    public void NameCasing_FromTheDocument_IsTheEngines_AndOpensWhatItWrote()
    {
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            var text = codePoint is >= 0xD800 and <= 0xDFFF ? ((char)codePoint).ToString() : char.ConvertFromUtf32(codePoint);
            if (FormatReader.UpperCase(text) != Names.LookupKey(text))
            {
                Assert.Fail($"U+{codePoint:X4}: the reader upper-cases it to '{FormatReader.UpperCase(text)}', the engine to '{Names.LookupKey(text)}'");
            }
        }

        using var store = new TempStore(generateSecret: true);
        var secret = store.Created.ClientSecret!;
        string[] names = ["ſecret", "\u0131d", "\u019Bambda", "\U00010D70x", "straße", "\U00010428x"];
        using (var session = store.ConnectSystem())
        {
            foreach (var name in names)
            {
                session.SetSecret("default", name, SecretValue.FromString("value of " + name));
            }
        }

        SqliteCheckpoint(store.Path);
        foreach (var name in names)
        {
            Assert.Equal("value of " + name, FormatReader.Decrypt(store.Path, "system", secret, "default", name).Text);
            Assert.Equal("value of " + name, FormatReader.Decrypt(store.Path, "system", secret, "default", FormatReader.UpperCase(name)).Text);
        }

        Assert.Equal("no such secret", Assert.Throws<InvalidDataException>(() => FormatReader.Decrypt(store.Path, "system", secret, "default", "SECRET")).Message);
    }

    [Fact]
    public void RotatedNamespace_OldAndNewVersions_AndAMemberClient_AndAPerSecretGrant()
    {
        using var store = new TempStore(generateSecret: true);
        string memberSecret;
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("prod");
            session.CreateNamespace("other");
            session.SetSecret("prod", "db", SecretValue.FromString("v1"));
            session.SetSecret("prod", "db", SecretValue.FromString("v2"));
            session.RotateNamespaceKey("prod");
            session.SetSecret("prod", "db", SecretValue.FromString("v3"));
            session.SetSecret("other", "api", SecretValue.FromString("only this one"));
            session.SetSecret("other", "hidden", SecretValue.FromString("not granted"));
            memberSecret = session.AddClient("robot", new ClientCredentialSpec { Kind = ClientKind.Generated }).ClientSecret!;
            session.Grant("robot", "prod", null, Permissions.Read);
            session.Grant("robot", "other", "api", Permissions.Read);
        }

        SqliteCheckpoint(store.Path);
        foreach (var client in new[] { ("system", store.Created.ClientSecret!), ("robot", memberSecret) })
        {
            var trace = new Dictionary<string, byte[]>();
            Assert.Equal("v1", FormatReader.Decrypt(store.Path, client.Item1, client.Item2, "prod", "db", 1, trace).Text);
            var oldKey = trace["secret_key"];
            Assert.Contains("namespace_key", trace.Keys);
            Assert.Equal("v2", FormatReader.Decrypt(store.Path, client.Item1, client.Item2, "prod", "db", 2).Text);
            trace.Clear();
            Assert.Equal("v3", FormatReader.Decrypt(store.Path, client.Item1, client.Item2, "prod", "db", null, trace).Text);
            Assert.NotEqual(oldKey, trace["secret_key"]);

            // FORMAT.md §7.8: a rotation wraps a secret's new key only to holders of a stanza for the secret's current
            // generation whom the log grants keys, so the creator still reads v3 through the new namespace key (§12.7b).
            Assert.Contains("namespace_key", trace.Keys);
        }

        // The member reaches 'api' through its own per-secret stanza (§12.7a), and nothing else in 'other'.
        var own = new Dictionary<string, byte[]>();
        Assert.Equal("only this one", FormatReader.Decrypt(store.Path, "robot", memberSecret, "other", "api", null, own).Text);
        Assert.Contains("secret_stanza_wrapping_key", own.Keys);
        Assert.DoesNotContain("namespace_key", own.Keys);
        Assert.Throws<UnauthorizedAccessException>(() => FormatReader.Decrypt(store.Path, "robot", memberSecret, "other", "hidden"));
        Assert.ThrowsAny<CryptographicException>(() => FormatReader.Decrypt(store.Path, "robot", store.Created.ClientSecret!, "prod", "db"));
    }

    [Fact]
    public void Reader_BindsTheSameContext_AsTheEngine()
    {
        // If the document left out a field the engine binds, the reader would either fail on sound rows (the
        // tests above) or accept moved ones; here a moved version row must fail for the reader as well.
        using var store = new TempStore(generateSecret: true);
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "a", SecretValue.FromString("one"));
            session.SetSecret("default", "a", SecretValue.FromString("two"));
        }

        RawDb.Checkpoint(store.Path);
        var trace = new Dictionary<string, byte[]>();
        FormatReader.Decrypt(store.Path, "system", store.Created.ClientSecret!, "default", "a", 2, trace);
        RawDb.Execute(store.Path, "DELETE FROM versions WHERE version = 1; UPDATE versions SET version = 1 WHERE version = 2; UPDATE secrets SET current_version = 1");
        RawDb.Checkpoint(store.Path);

        // Format 2 refuses the rows before any decryption: the log's current version is 2, and version 1's digest is another.
        Assert.Throws<InvalidDataException>(() => FormatReader.Decrypt(store.Path, "system", store.Created.ClientSecret!, "default", "a"));
        Assert.Throws<InvalidDataException>(() => FormatReader.Decrypt(store.Path, "system", store.Created.ClientSecret!, "default", "a", 1));

        // And the AD alone still binds the version number: the moved ciphertext does not open as version 1.
        var row = RawDb.Scalar(store.Path, "SELECT ciphertext FROM versions WHERE version = 1") as byte[];
        var nonce = RawDb.Scalar(store.Path, "SELECT nonce FROM versions WHERE version = 1") as byte[];
        var storeId = new Guid(trace["store_id"], bigEndian: true);
        var ad = FormatReader.ValueAd(storeId, new Guid(trace["namespace_id"], bigEndian: true), "default", new Guid(trace["secret_id"], bigEndian: true), "a", 1, 1, 1);
        Assert.ThrowsAny<CryptographicException>(() => FormatReader.Open(trace["secret_key"], nonce!, row!, ad));
        var asVersion2 = FormatReader.ValueAd(storeId, new Guid(trace["namespace_id"], bigEndian: true), "default", new Guid(trace["secret_id"], bigEndian: true), "a", 2, 1, 1);
        Assert.Equal("two"u8.ToArray(), FormatReader.Open(trace["secret_key"], nonce!, row!, asVersion2)[2..]);
    }

    [Fact]
    public void AuditChain_RecomputedFromTheDocument_MatchesTheEngine()
    {
        using var store = new TempStore(generateSecret: true);
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("prod");
            session.SetSecret("prod", "a", SecretValue.FromString("1"));
            using (session.GetSecret("prod", "a"))
            {
            }

            Assert.Throws<NotFoundException>(() => session.GetSecret("prod", "missing"));
        }

        using (var wrong = Clients.ClientCredential.FromGeneratedSecret(Clients.GeneratedSecret.Create()))
        {
            Assert.Throws<AuthenticationFailedException>(() => SecretStore.Open(store.Path).Connect("nobody", wrong));
        }

        RawDb.Checkpoint(store.Path);
        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path));
        RawDb.Execute(store.Path, "UPDATE audit SET target = 'b' WHERE sequence = 5");
        RawDb.Checkpoint(store.Path);
        Assert.Equal(5, FormatReader.FirstBrokenAuditEntry(store.Path));
        Assert.Equal(5, SecretStore.Open(store.Path).VerifyAudit().FirstBrokenSequence);
    }

    /// <summary>
    /// FORMAT.md §11, "what each change is reported as": the number, the sentence and the count of verified entries, the
    /// same from the engine and from the reader written from the document.
    /// </summary>
    [Theory]
    [InlineData("DELETE FROM audit WHERE sequence = 3", 3, "entry 3 is missing", 2)]
    [InlineData("DELETE FROM audit WHERE sequence IN (3, 4)", 3, "entry 3 is missing", 2)]
    [InlineData("DELETE FROM audit WHERE sequence = 1", 1, "entry 1 is missing", 0)]
    [InlineData("UPDATE audit SET target = 'x' WHERE sequence = 4", 4, "its contents do not match its hash", 3)]
    [InlineData("UPDATE audit SET previous_hash = zeroblob(32) WHERE sequence = 4", 4, "its link to the previous entry does not match", 3)]
    [InlineData("UPDATE audit SET sequence = -1 WHERE sequence = 2; UPDATE audit SET sequence = 2 WHERE sequence = 3; UPDATE audit SET sequence = 3 WHERE sequence = -1",
                2, "its link to the previous entry does not match", 1)]
    [InlineData("INSERT INTO audit SELECT 0, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface, previous_hash, hash, signature FROM audit WHERE sequence = 1",
                0, "entry 1 is missing", 0)]
    public void AuditChain_BrokenChains_AreReportedAsFormatMdSays(string tamper, long broken, string problem, long verified)
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            for (var i = 0; i < 4; i++)
            {
                session.SetSecret("default", "a", SecretValue.FromString(i.ToString(CultureInfo.InvariantCulture)));
            }
        }

        RawDb.Checkpoint(store.Path);
        RawDb.Execute(store.Path, tamper);
        RawDb.Checkpoint(store.Path);
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.Equal((false, broken, $"Audit entry {broken}: {problem}.", verified), (result.IsValid, result.FirstBrokenSequence, result.Problem, result.EntriesChecked));
        Assert.Equal(broken, FormatReader.FirstBrokenAuditEntry(store.Path));
    }

    [Fact]
    public void AuditChain_AnEntryWhoseHashWasRecomputed_BreaksTheChainAtTheNextEntry_OrItsSignatureWhenLast()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "a", SecretValue.FromString("1"));
            session.SetSecret("default", "a", SecretValue.FromString("2"));
        }

        RawDb.Checkpoint(store.Path);
        var last = (long)RawDb.Scalar(store.Path, "SELECT max(sequence) FROM audit")!;
        void Rehash(long sequence)
        {
            using var connection = RawDb.Open(store.Path);
            using var command = RawDb.Command(connection, "SELECT sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface, previous_hash FROM audit WHERE sequence = $s", ("$s", sequence));
            byte[] hash;
            using (var reader = command.ExecuteReader())
            {
                Assert.True(reader.Read());
                hash = FormatReader.AuditEntryHash(reader, (byte[])reader[14]);
            }

            RawDb.Execute(connection, "UPDATE audit SET hash = $h WHERE sequence = $s", ("$h", hash), ("$s", sequence));
        }

        // The last entry altered and re-hashed: the chain alone shows nothing (§11), its author's signature does (§18).
        RawDb.Execute(store.Path, "UPDATE audit SET target = 'x' WHERE sequence = $s", ("$s", last));
        Rehash(last);
        RawDb.Checkpoint(store.Path);
        var lastAltered = SecretStore.Open(store.Path).VerifyAudit();
        Assert.Equal(last, lastAltered.FirstBrokenSequence);
        Assert.Contains("signature does not verify", lastAltered.Problem, StringComparison.Ordinal);
        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path));

        // Entry 2 (the connect, unsigned: the signature on entry 3, the end of the session's run, covers it) altered and
        // re-hashed: entry 3 no longer links to it. Nothing signed entry 2 itself.
        Assert.Null(RawDb.Scalar(store.Path, "SELECT signature FROM audit WHERE sequence = 2") as byte[]);
        Assert.NotNull(RawDb.Scalar(store.Path, "SELECT signature FROM audit WHERE sequence = 3") as byte[]);
        RawDb.Execute(store.Path, "UPDATE audit SET target = 'x' WHERE sequence = 2");
        Rehash(2);
        RawDb.Checkpoint(store.Path);
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.Equal(3L, result.FirstBrokenSequence);
        Assert.Contains("its link to the previous entry does not match", result.Problem, StringComparison.Ordinal);
        Assert.Equal(3, FormatReader.FirstBrokenAuditEntry(store.Path));
    }

    [Fact]
    public void AuditChain_IsUnkeyed_ButAWholeRewrite_IsCaughtByItsAuthorsSignatures()
    {
        // The chain itself is unkeyed: anyone who can write the file and has read FORMAT.md can edit an entry and
        // recompute every later hash (§11). Format 2's signatures (§18) are what catch it.
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "a", SecretValue.FromString("1"));
            session.RemoveSecret("default", "a");
        }

        RawDb.Checkpoint(store.Path);
        var headBefore = RawDb.Scalar(store.Path, "SELECT hex(hash) FROM audit ORDER BY sequence DESC LIMIT 1");
        using (var connection = RawDb.Open(store.Path))
        {
            RawDb.Execute(connection, "UPDATE audit SET action = 'secret.get' WHERE action = 'secret.remove'");
            var storeId = new Guid((byte[])RawDb.Scalar(connection, "SELECT store_id FROM store_info")!, bigEndian: true);
            var previous = SHA256.HashData(FormatReader.Ad("secretops/audit-genesis/v1", storeId));
            var rows = new List<(long Sequence, byte[] Hash)>();
            using (var command = RawDb.Command(connection, "SELECT sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface FROM audit ORDER BY sequence"))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var hash = FormatReader.AuditEntryHash(reader, previous);
                    rows.Add((reader.GetInt64(0), hash));
                    previous = hash;
                }
            }

            var link = SHA256.HashData(FormatReader.Ad("secretops/audit-genesis/v1", storeId));
            foreach (var (sequence, hash) in rows)
            {
                RawDb.Execute(connection, "UPDATE audit SET previous_hash = $p, hash = $h WHERE sequence = $s", ("$p", link), ("$h", hash), ("$s", sequence));
                link = hash;
            }
        }

        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path));
        var verified = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(verified.IsValid);
        Assert.Contains("signature does not verify", verified.Problem, StringComparison.Ordinal);
        Assert.NotEqual(headBefore, RawDb.Scalar(store.Path, "SELECT hex(hash) FROM audit ORDER BY sequence DESC LIMIT 1"));
    }

    [Fact]
    public void ReaderSource_NamesNoEngineType()
    {
        var directory = Path.Combine(RepositoryFiles.Root(), "tests", "SecretOps.Core.Tests", "Store");
        var files = Directory.GetFiles(directory, "IndependentDecryptor*.cs").Where(f => !f.EndsWith("Tests.cs", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, files.Count);
        var source = string.Join("\n", files.Select(File.ReadAllText));
        var code = string.Join("\n", source.Split('\n').Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        Assert.DoesNotMatch(@"\bSecretOps\s*\.", code);
        Assert.DoesNotMatch(@"global::", code);
        Assert.Matches(@"(?m)^namespace IndependentReader;", code);
        var usings = Regex.Matches(code, @"(?m)^using\s+([\w.]+);").Select(m => m.Groups[1].Value).ToList();
        Assert.All(usings, u => Assert.True(u.StartsWith("System", StringComparison.Ordinal) || u == "Microsoft.Data.Sqlite", u));
        // The reader's namespace holds only what that file declares.
        Assert.Equal([nameof(DecryptedValue), nameof(FormatReader)],
            typeof(FormatReader).Assembly.GetTypes().Where(t => t.Namespace == "IndependentReader" && !t.IsNested && !t.Name.StartsWith('<')).Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    // ---- The worked example of FORMAT.md §13: every value in it is recomputed from the document's inputs.

    [Fact]
    public void WorkedExample_InFormatMd_IsReproducedStepByStep()
    {
        var v = new FormatVector("worked example", "<!-- worked-example");
        byte[] Hex(string name) => v.Hex(name);
        Guid Id(string name) => v.Id(name);
        long Int(string name) => v.Int(name);
        void Same(string name, byte[] computed) => v.Same(name, computed, "independent reader");

        var (storeId, clientId, namespaceId, secretId) = (Id("store_info.store_id"), Id("clients.id"), Id("namespaces.id"), Id("secrets.id"));

        // Step 1: the client secret's bytes and the key-encryption key.
        var secret = FormatReader.ParseGeneratedSecret(v["client_secret"]);
        Same("client_secret_bytes", secret);
        var kek = FormatReader.GeneratedSecretKek(secret, Hex("clients.kdf_salt"));
        Same("kek", kek);

        // Step 2: the envelope's AD, and the PKCS#8 private key inside it.
        var envelopeAd = FormatReader.ClientKeyAdV2(Hex("genesis_hash"), clientId, Int("clients.kind"), Hex("clients.kdf_salt"), 0, 0, 0);
        Same("private_key_ad", envelopeAd);
        var pkcs8 = FormatReader.Open(kek, Hex("clients.private_key_nonce"), Hex("clients.private_key"), envelopeAd);
        Same("pkcs8", pkcs8);
        using var privateKey = ECDiffieHellman.Create();
        privateKey.ImportPkcs8PrivateKey(pkcs8, out _);
        Assert.Equal(v["clients.public_key"].ToUpperInvariant(), Convert.ToHexString(privateKey.ExportSubjectPublicKeyInfo()));

        // Step 3: the namespace stanza: ECDH, HKDF, AD, and the namespace key.
        var header = Hex("stanzas.header");
        var shared = FormatReader.EcdhSharedSecret(privateKey, header);
        Same("ecdh_shared_secret", shared);
        var wrappingKey = FormatReader.StanzaWrappingKey(shared, header, Hex("clients.public_key"));
        Same("stanza_wrapping_key", wrappingKey);
        var stanzaAd = FormatReader.StanzaAd(FormatReader.NamespaceKeyContext(storeId, namespaceId, Int("stanzas.generation")), clientId, Int("stanzas.algorithm"), header);
        Same("stanza_ad", stanzaAd);
        var namespaceKey = FormatReader.Open(wrappingKey, Hex("stanzas.nonce"), Hex("stanzas.wrapped_key"), stanzaAd);
        Same("namespace_key", namespaceKey);
        Same("namespace_key_commitment", FormatReader.KeyCommitment(1, namespaceId, Int("stanzas.generation"), namespaceKey));

        // Step 4: the secret key, wrapped under the namespace key.
        Assert.Equal(Int("stanzas.generation"), Int("secret_keys.namespace_generation"));
        var wrapAd = FormatReader.WrappedSecretKeyAd(storeId, namespaceId, secretId, Int("secret_keys.generation"), Int("secret_keys.namespace_generation"));
        Same("secret_key_wrap_ad", wrapAd);
        var secretKey = FormatReader.Open(namespaceKey, Hex("secret_keys.nonce"), Hex("secret_keys.wrapped_key"), wrapAd);
        Same("secret_key", secretKey);
        Same("secret_key_commitment", FormatReader.KeyCommitment(2, secretId, Int("secret_keys.generation"), secretKey));

        // Step 5: the value, whose digest the put-version entry pins.
        Same("value_digest", FormatReader.ValueDigest(Hex("versions.nonce"), Hex("versions.ciphertext")));
        Assert.Equal(Int("secret_keys.generation"), Int("versions.key_generation"));
        var valueAd = FormatReader.ValueAd(storeId, namespaceId, v["namespaces.name"], secretId, v["secrets.name"], Int("versions.version"), Int("versions.key_generation"), Int("versions.value_type"));
        Same("value_ad", valueAd);
        var serialized = FormatReader.Open(secretKey, Hex("versions.nonce"), Hex("versions.ciphertext"), valueAd);
        Same("serialized_value", serialized);
        Assert.Equal(v["value"], new DecryptedValue(Int("versions.value_type"), serialized).Text);
    }

    /// <summary>
    /// Writes a fresh worked example (for FORMAT.md §13) to the file named by SECRETOPS_FORMAT_EXAMPLE_OUT.
    /// The values come from a real store, read by the independent reader; the test above checks the document.
    /// </summary>
    [Fact(Explicit = true)]
    public void WorkedExample_Generate()
    {
        var output = Environment.GetEnvironmentVariable("SECRETOPS_FORMAT_EXAMPLE_OUT");
        Assert.False(string.IsNullOrEmpty(output), "Set SECRETOPS_FORMAT_EXAMPLE_OUT to a file path to regenerate FORMAT.md's worked example.");

        using var store = new TempStore(generateSecret: true);
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("prod");
            session.SetSecret("prod", "db-password", SecretValue.FromString("hunter2"));
        }

        SqliteCheckpoint(store.Path);
        var trace = new Dictionary<string, byte[]>();
        var value = FormatReader.Decrypt(store.Path, "system", store.Created.ClientSecret!, "prod", "db-password", null, trace);
        var lines = new StringBuilder();
        void Line(string name, string text)
        {
            const int width = 64;
            lines.Append(name.PadRight(34)).Append("= ");
            if (text.Length <= width)
            {
                lines.Append(text).Append('\n');
                return;
            }

            lines.Append(text[..width]).Append('\n');
            for (var i = width; i < text.Length; i += width)
            {
                lines.Append(new string(' ', 36)).Append(text[i..Math.Min(i + width, text.Length)]).Append('\n');
            }
        }

        string H(string name) => Convert.ToHexString(trace[name]).ToLowerInvariant();
        string Row(string sql) => Convert.ToString(RawDb.Scalar(store.Path, sql), CultureInfo.InvariantCulture)!;
        lines.Append("# inputs: the client secret, and the rows a reader selects (§12)\n");
        Line("client_secret", store.Created.ClientSecret!);
        Line("genesis_hash", H("genesis_hash"));
        Line("store_info.store_id", H("store_id"));
        Line("clients.id", H("client_id"));
        Line("clients.kind", Row("SELECT kind FROM clients"));
        Line("clients.kdf_salt", H("kdf_salt"));
        Line("clients.private_key_nonce", H("private_key_nonce"));
        Line("clients.private_key", H("private_key"));
        Line("clients.public_key", H("public_key"));
        Line("namespaces.id", H("namespace_id"));
        Line("namespaces.name", "prod");
        Line("stanzas.generation", "1");
        Line("stanzas.algorithm", Row("SELECT algorithm FROM stanzas WHERE scope_kind = 1 AND scope_id = (SELECT id FROM namespaces WHERE name = 'prod')"));
        Line("stanzas.header", H("stanza_header"));
        Line("stanzas.nonce", H("stanza_nonce"));
        Line("stanzas.wrapped_key", H("stanza_wrapped_key"));
        Line("secrets.id", H("secret_id"));
        Line("secrets.name", "db-password");
        Line("secret_keys.generation", "1");
        Line("secret_keys.namespace_generation", "1");
        Line("secret_keys.nonce", H("secret_keys_nonce"));
        Line("secret_keys.wrapped_key", H("secret_keys_wrapped_key"));
        Line("versions.version", "1");
        Line("versions.key_generation", "1");
        Line("versions.value_type", value.Type.ToString(CultureInfo.InvariantCulture));
        Line("versions.nonce", H("value_nonce"));
        Line("versions.ciphertext", H("value_ciphertext"));
        lines.Append("# step 1 (§12.4): the secret's bytes and the key-encryption key\n");
        Line("client_secret_bytes", H("client_secret_bytes"));
        Line("kek", H("kek"));
        lines.Append("# step 2 (§12.5): the envelope's AD and the PKCS#8 private key\n");
        Line("private_key_ad", H("private_key_ad"));
        Line("pkcs8", H("pkcs8"));
        lines.Append("# step 3 (§12.7b): the namespace stanza\n");
        Line("ecdh_shared_secret", H("ecdh_shared_secret"));
        Line("stanza_wrapping_key", H("stanza_wrapping_key"));
        Line("stanza_ad", H("stanza_ad"));
        Line("namespace_key", H("namespace_key"));
        Line("namespace_key_commitment", H("namespace_key_commitment"));
        lines.Append("# step 4 (§12.7b): the secret key\n");
        Line("secret_key_wrap_ad", H("secret_key_wrap_ad"));
        Line("secret_key", H("secret_key"));
        Line("secret_key_commitment", H("secret_key_commitment"));
        lines.Append("# step 5 (§12.8, §12.9): the value\n");
        Line("value_digest", H("value_digest"));
        Line("value_ad", H("value_ad"));
        Line("serialized_value", H("serialized_value"));
        Line("value", value.Text);
        File.WriteAllText(output, lines.ToString());
    }

    private static void SqliteCheckpoint(string path) => RawDb.Checkpoint(path);
}
