using System.Text;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Canary values, passphrases and client secrets go through every operation, including failing ones; then
/// the database file, its -wal and -shm, a backup, every audit row and every exception message are
/// searched for them (as UTF-8 and UTF-16LE), and for the raw key material the session held; so is the
/// policy export, serialised as it is written to a file.
/// </summary>
public class LeakScanTests
{
    private const string CanaryValue = "canary-5f2a9c7e-value";
    private const string CanaryPassword = "canary-77d1e0b4-password";
    private const string CanaryPassphrase = "canary-passphrase-8d41b0e3";
    private const string WrongPassphrase = "canary-wrong-passphrase-c2f19a06";
    private static readonly byte[] CanaryBytes = Encoding.UTF8.GetBytes("canary-bytes-31a9e5d8");

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void PassphraseStore_NothingSecretInFilesAuditOrErrors() =>
        Exercise(generated: false);

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void GeneratedSecretStore_NothingSecretInFilesAuditOrErrors() =>
        Exercise(generated: true);

    private static void Exercise(bool generated)
    {
        using var directory = new TempDirectory("secretops-leak-");
        var path = directory.File("store.db");
        var created = SecretStore.Create(path, new StoreCreateOptions
        {
            Passphrase = generated ? ReadOnlyMemory<char>.Empty : CanaryPassphrase.AsMemory(),
            GenerateSecret = generated,
            Kdf = TempStore.WeakKdf,
            AllowWeakKdf = true,
        });
        // Other tests clear every connection pool at any time; this connection keeps the WAL from being folded
        // into the main file and deleted, so the -wal and -shm scanned below hold this test's own writes.
        var keeper = KeepWalOpen(path);
        var clientSecret = created.ClientSecret;
        var wrongSecret = GeneratedSecret.Create();
        var canaries = new Dictionary<string, byte[][]>
        {
            ["value"] = Encodings(CanaryValue),
            ["password"] = Encodings(CanaryPassword),
            ["bytes"] = [CanaryBytes],
            ["passphrase"] = Encodings(CanaryPassphrase),
            ["wrong passphrase"] = Encodings(WrongPassphrase),
            ["wrong client secret"] = Encodings(wrongSecret),
        };
        if (clientSecret is not null)
        {
            canaries["client secret"] = Encodings(clientSecret);
            canaries["client secret (raw bytes)"] = [GeneratedSecret.Parse(clientSecret)];
            canaries["client secret (base64url body)"] = Encodings(clientSecret[GeneratedSecret.Prefix.Length..]);
        }

        var errors = new List<Exception>();
        void Expect<T>(Action action)
            where T : Exception
        {
            errors.Add(Assert.Throws<T>(action));
        }

        ClientCredential Credential() => generated ? ClientCredential.FromGeneratedSecret(clientSecret!) : ClientCredential.FromPassphrase(CanaryPassphrase);
        var store = SecretStore.Open(path);

        // Failed logins first, with wrong credentials of every kind.
        using (var wrong = ClientCredential.FromPassphrase(WrongPassphrase))
        {
            Expect<AuthenticationFailedException>(() => store.Connect("system", wrong));
        }

        using (var wrong = ClientCredential.FromGeneratedSecret(wrongSecret))
        {
            Expect<AuthenticationFailedException>(() => store.Connect("system", wrong));
        }

        using (var wrongKey = ClientCredential.FromPrivateKey(ClientPrivateKey.Generate()))
        {
            Expect<AuthenticationFailedException>(() => store.Connect("system", wrongKey));
        }

        Expect<InvalidParameterException>(() => ClientCredential.FromGeneratedSecret(CanaryPassphrase));
        Expect<InvalidParameterException>(() => ClientCredential.FromGeneratedSecret(clientSecret is null ? wrongSecret[..40] : clientSecret[..40]));

        byte[][] keyMaterial;
        string policy;
        using (var credential = Credential())
        using (var session = store.Connect("system", credential))
        {
            session.CreateNamespace("prod");
            session.CreateNamespace("locked");
            session.SetSecret("prod", "text", SecretValue.FromString(CanaryValue));
            session.SetSecret("prod", "text", SecretValue.FromString(CanaryValue + "-2", secure: true));
            session.SetSecret("prod", "cred", SecretValue.FromCredential("svc-user", CanaryPassword));
            session.SetSecret("prod", "blob", SecretValue.FromBytes(CanaryBytes));
            session.SetSecret("prod", "table", SecretValue.FromTable(new Dictionary<string, SecretValue>
            {
                ["value"] = SecretValue.FromString(CanaryValue),
                ["cred"] = SecretValue.FromCredential("u", CanaryPassword),
            }));
            session.SetSecret("default", "short-lived", SecretValue.FromString(CanaryValue), new SetSecretOptions { TimeToLive = TimeSpan.FromMilliseconds(1) });
            session.SetSecret("locked", "kept", SecretValue.FromString(CanaryValue));
            foreach (var name in new[] { "text", "cred", "blob", "table" })
            {
                using var read = session.GetSecret("prod", name);
                Assert.NotEqual(0, read.Value.Size);
            }

            using (var first = session.GetSecret("prod", "text", 1))
            {
                Assert.Equal(CanaryValue, first.Value.GetString());
            }

            Assert.Equal(2, session.GetHistory("prod", "text").Count);
            Assert.Equal(4, session.ListSecrets("prod").Count);
            session.RestoreVersion("prod", "text", 1);
            session.RemoveSecret("prod", "text", version: 2);
            session.RemoveSecret("prod", "blob");
            session.Store.Backup(directory.File("backup.db"));

            // Failing operations, each of which has the canary somewhere near it.
            Thread.Sleep(5);
            Expect<ExpiredException>(() => session.GetSecret("default", "short-lived"));
            Expect<NotFoundException>(() => session.GetSecret("prod", "blob"));
            Expect<ConflictException>(() => session.SetSecret("prod", "text", SecretValue.FromString(CanaryValue), new SetSecretOptions { ExpectedVersion = 1 }));
            Expect<InvalidParameterException>(() => SecretValue.FromString(CanaryValue + new string('x', SecretValue.MaxSize)));
            Expect<InvalidParameterException>(() => session.GetSecret("prod", "cred").Value.GetString());
            Expect<InvalidParameterException>(() => session.SetSecret("prod", "meta", SecretValue.FromString("x"),
                new SetSecretOptions { Metadata = new Dictionary<string, object> { ["note"] = CanaryValue + "\u0001" } }));
            session.FlushAudit();
            policy = session.ExportPolicy().ToYaml();
            Assert.Contains("name: prod", policy, StringComparison.Ordinal);

            keyMaterial = [.. SessionInternals.CachedKeyArrays(session).Select(k => k.ToArray())];
            var privateKey = SessionInternals.PrivateKey(session);
            keyMaterial = [.. keyMaterial, privateKey.Ecdh.ExportParameters(true).D!, privateKey.ExportPkcs8()];
            Assert.True(keyMaterial.Length >= 5, "the session should hold namespace and secret keys");

            // Access denied (the client revokes its own grants there) and tampered (the file altered underneath the live session).
            session.Revoke(session.ClientName, "locked", null, force: true);
            Expect<AccessDeniedException>(() => session.GetSecret("locked", "kept"));
            using (var connection = RawDb.Open(path))
            {
                RawDb.FlipByte(connection, "versions", "ciphertext", "secret_id = (SELECT id FROM secrets WHERE name = 'cred')", 0);
            }

            Expect<TamperedException>(() => session.GetSecret("prod", "cred"));
            session.FlushAudit();

            // While connected: the main file, -wal and -shm as they are. A connection of our own keeps -wal and
            // -shm in place, since other tests may clear the process-wide pools (closing the session's) at any time.
            using (KeepWalOpen(path))
            {
                ScanFiles(directory.Path, canaries, keyMaterial, "while connected");
            }
        }

        keeper.Dispose();
        SecretStore.ReleaseConnections();
        ScanFiles(directory.Path, canaries, keyMaterial, "after disconnecting");
        Assert.True(File.Exists(directory.File("backup.db")));

        foreach (var row in RawDb.Rows(path, "audit"))
        {
            AssertAbsent(Encoding.UTF8.GetBytes(row), canaries, keyMaterial.Select(Convert.ToHexString).Select(Encoding.UTF8.GetBytes).ToArray(), "audit row " + row);
        }

        AssertAbsent(Encoding.UTF8.GetBytes(policy), canaries, keyMaterial.Select(k => Encoding.UTF8.GetBytes(Convert.ToBase64String(k))).ToArray(), "the policy export");

        Assert.True(errors.Count >= 13, $"{errors.Count} errors collected");
        foreach (var error in errors)
        {
            var text = error.Message + "\n" + error;
            AssertAbsent(Encoding.UTF8.GetBytes(text), canaries, [], $"{error.GetType().Name} message");
        }
    }

    private static byte[][] Encodings(string text) => [Encoding.UTF8.GetBytes(text), Encoding.Unicode.GetBytes(text)];

    private static void ScanFiles(string directory, Dictionary<string, byte[][]> canaries, byte[][] keyMaterial, string when)
    {
        var files = Directory.GetFiles(directory);
        Assert.Contains(files, f => f.EndsWith("store.db", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("backup.db", StringComparison.Ordinal));
        if (when == "while connected")
        {
            Assert.Contains(files, f => f.EndsWith("store.db-wal", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("store.db-shm", StringComparison.Ordinal));
        }

        foreach (var file in files)
        {
            if (ReadShared(file) is { } bytes)
            {
                AssertAbsent(bytes, canaries, keyMaterial, $"{Path.GetFileName(file)} ({when})");
            }
        }
    }

    private static Microsoft.Data.Sqlite.SqliteConnection KeepWalOpen(string path)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        RawDb.Scalar(connection, "SELECT count(*) FROM sqlite_schema");
        return connection;
    }

    /// <summary>The file's bytes, or null when SQLite removed it (a -journal, or side files after the last close).</summary>
    private static byte[]? ReadShared(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static void AssertAbsent(byte[] haystack, Dictionary<string, byte[][]> canaries, byte[][] keyMaterial, string where)
    {
        foreach (var (name, forms) in canaries)
        {
            foreach (var form in forms)
            {
                Assert.True(haystack.AsSpan().IndexOf(form) < 0, $"the {name} appears in {where}");
            }
        }

        foreach (var key in keyMaterial)
        {
            Assert.True(haystack.AsSpan().IndexOf(key) < 0, $"key material ({key.Length} bytes) appears in {where}");
        }
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void KeyFileClient_ItsPrivateKeyNeverEntersTheStore()
    {
        using var store = new TempStore();
        using var key = ClientPrivateKey.Generate();
        var pkcs8 = key.ExportPkcs8();
        var scalar = key.Ecdh.ExportParameters(true).D!;
        using (var session = store.ConnectSystem())
        {
            session.AddClient("laptop", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = key.PublicKey });
            session.Grant("laptop", "default", null, Permissions.Read | Permissions.Write);
        }

        var keeper = KeepWalOpen(store.Path);
        using (var credential = ClientCredential.FromPrivateKey(key.Clone()))
        using (var laptop = SecretStore.Open(store.Path).Connect("laptop", credential))
        {
            laptop.SetSecret("default", "x", SecretValue.FromString(CanaryValue));
            using var read = laptop.GetSecret("default", "x");
            laptop.FlushAudit();
            ScanFiles(store.Directory, [], "while connected", pkcs8, scalar);
        }

        keeper.Dispose();

        SecretStore.ReleaseConnections();
        ScanFiles(store.Directory, [], "after disconnecting", pkcs8, scalar);
        Assert.Single(RawDb.Rows(store.Path, "clients"), r => r.Contains("'laptop'", StringComparison.Ordinal) && r.Contains("| NULL | NULL | NULL | NULL | NULL | NULL |", StringComparison.Ordinal));
    }

    private static void ScanFiles(string directory, Dictionary<string, byte[][]> canaries, string when, params byte[][] keyMaterial)
    {
        foreach (var file in Directory.GetFiles(directory))
        {
            if (ReadShared(file) is { } bytes)
            {
                AssertAbsent(bytes, canaries, keyMaterial, $"{Path.GetFileName(file)} ({when})");
            }
        }
    }

    [Fact]
    public void SanityCheck_TheScannerFindsWhatIsThere()
    {
        // Metadata is stored in clear (docs/SECURITY.md): a canary put there must be found, or the scan proves nothing.
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "x", SecretValue.FromString("v"), new SetSecretOptions { Metadata = new Dictionary<string, object> { ["note"] = CanaryValue } });
        }

        SecretStore.ReleaseConnections();
        var bytes = File.ReadAllBytes(store.Path);
        Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(CanaryValue)) >= 0);
    }
}
