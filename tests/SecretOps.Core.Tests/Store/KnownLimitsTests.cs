using SecretOps.Core.Crypto;
using System.Security.Cryptography;
using IndependentReader;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Where the format's protection ends, pinned so docs/SECURITY.md stays true. Names are stored in clear but bound
/// into every value, so swapping them is detected. Since format 2 the current version, metadata, expiry, grants and
/// Delete/Permit come from the signed control log: rows that disagree are refused, planted ones give nothing. What
/// stays possible is pinned here too: a client keeps the keys it held (its own code opens what it could read), and
/// Write still implies holding the key to read. If one of these tests starts failing, update SECURITY.md.
/// </summary>
public class KnownLimitsTests
{
    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void LoweredRetentionRow_MakesTheNextHonestWriterPruneOlderVersions()
    {
        // Retention (namespaces.max_versions) is a row the control log does not cover: whoever can write the file can lower
        // it, and the next writer signs a put-version that keeps only that many. The pruned values are gone, not forged.
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            for (var i = 1; i <= 4; i++)
            {
                session.SetSecret("default", "db", SecretValue.FromString($"v{i}"));
            }
        }

        RawDb.Execute(store.Path, "UPDATE namespaces SET max_versions = 1 WHERE name = 'default'");
        using var after = store.ConnectSystem();
        after.SetSecret("default", "db", SecretValue.FromString("v5"));
        Assert.Equal([5], after.GetHistory("default", "db").Select(v => v.Version));
        Assert.Equal(1L, RawDb.Scalar(store.Path, "SELECT count(*) FROM versions"));
        using var read = after.GetSecret("default", "db");
        Assert.Equal("v5", read.Value.GetString());
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void SwappedSecretNames_AreTampered_NotServedUnderTheOtherName()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "prod-db", SecretValue.FromString("prod value"));
            session.SetSecret("default", "test-db", SecretValue.FromString("test value"));
        }

        // Whoever can write the file can swap names and lookup keys, but values are bound to their secret's name.
        RawDb.Execute(store.Path,
            "UPDATE secrets SET name = 'tmp', name_key = 'TMP' WHERE name = 'prod-db'; " +
            "UPDATE secrets SET name = 'prod-db', name_key = 'PROD-DB' WHERE name = 'test-db'; " +
            "UPDATE secrets SET name = 'test-db', name_key = 'TEST-DB' WHERE name = 'tmp';");
        using var after = store.ConnectSystem();
        Assert.Throws<TamperedException>(() => after.GetSecret("default", "prod-db"));
        Assert.Throws<TamperedException>(() => after.GetSecret("default", "test-db"));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void SwappedNamespaceNames_AreTampered_ForAClientHoldingBoth()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("prod");
            session.CreateNamespace("test");
            session.SetSecret("prod", "db", SecretValue.FromString("prod value"));
            session.SetSecret("test", "db", SecretValue.FromString("test value"));
        }

        RawDb.Execute(store.Path, "UPDATE namespaces SET name = 'tmp' WHERE name = 'prod'; UPDATE namespaces SET name = 'prod' WHERE name = 'test'; UPDATE namespaces SET name = 'test' WHERE name = 'tmp';");
        using var after = store.ConnectSystem();
        Assert.Throws<TamperedException>(() => after.GetSecret("prod", "db"));
        Assert.Throws<TamperedException>(() => after.GetSecret("test", "db"));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void LoweredCurrentVersion_IsRefused_TheSignedLogDecidesTheCurrentVersion()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("old password"));
            session.SetSecret("default", "db", SecretValue.FromString("new password"));
        }

        RawDb.Execute(store.Path, "UPDATE secrets SET current_version = 1");
        using var after = store.ConnectSystem();
        var refused = Assert.Throws<TamperedException>(() => after.GetSecret("default", "db"));
        Assert.Contains("secret 'db'", refused.Message, StringComparison.Ordinal);

        // Deleting the newest version row instead leaves the log naming version 2 as current: still refused, never version 1.
        RawDb.Execute(store.Path, "UPDATE secrets SET current_version = 2; DELETE FROM versions WHERE version = 2");
        using var again = store.ConnectSystem();
        Assert.ThrowsAny<SecretOpsException>(() => again.GetSecret("default", "db"));
        using var old = again.GetSecret("default", "db", version: 1);
        Assert.Equal("old password", old.Value.GetString());
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void ExpiryAndMetadata_AreSigned_AlteredOnesAreRefused()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("v"), new SetSecretOptions
            {
                TimeToLive = TimeSpan.FromHours(1),
                Metadata = new Dictionary<string, object> { ["owner"] = "alice" },
            });
        }

        RawDb.Execute(store.Path, "UPDATE secrets SET expires_at = 1, metadata = '{\"owner\":{\"t\":\"string\",\"v\":\"mallory\"}}'");
        using var after = store.ConnectSystem();
        Assert.Throws<TamperedException>(() => after.GetSecret("default", "db"));
        Assert.Throws<TamperedException>(() => after.ListSecrets("default", includeExpired: true));
    }

    [Fact]
    public void NameMatching_IgnoresCase_BeyondAscii()
    {
        // Uniqueness and lookups use FORMAT.md §6.3's casing (Unicode 15.0 simple uppercase, ı and ſ unchanged; SQLite's NOCASE
        // alone folds only A-Z): "Émile" and "émile" are one secret, found by any casing; "ſecret" and "SECRET" are two.
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", "Émile", SecretValue.FromString("upper"));
        Assert.Equal(2, session.SetSecret("default", "émile", SecretValue.FromString("lower")).Version);
        Assert.Single(session.ListSecrets("default"));
        using (var read = session.GetSecret("default", "ÉMILE"))
        {
            Assert.Equal("lower", read.Value.GetString());
            Assert.Equal("Émile", read.Entry.Name);
        }

        Assert.Single(session.ListSecrets("default", "ÉMILE"));

        session.SetSecret("default", "ſecret", SecretValue.FromString("long s"));
        Assert.Equal(1, session.SetSecret("default", "SECRET", SecretValue.FromString("capital s")).Version);
        Assert.Equal(2, session.SetSecret("default", "ſECRET", SecretValue.FromString("long s again")).Version);
        Assert.Equal(3, session.ListSecrets("default").Count);
    }

    private static (TempStore Store, string RobotSecret) StoreWithRobot(Permissions onProd)
    {
        var store = new TempStore(generateSecret: true);
        using var session = store.ConnectSystem();
        session.CreateNamespace("prod");
        session.SetSecret("prod", "db", SecretValue.FromString("v1"));
        var robot = session.AddClient("robot", new ClientCredentialSpec { Kind = ClientKind.Generated }).ClientSecret!;
        session.Grant("robot", "prod", null, onProd);
        return (store, robot);
    }

    private static Session ConnectRobot(TempStore store, string secret)
    {
        using var credential = ClientCredential.FromGeneratedSecret(secret);
        return SecretStore.Open(store.Path).Connect("robot", credential);
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void WriteWithoutRead_IsRefusedReadsByTheProgram_ButHoldsTheKeyToRead()
    {
        // DESIGN §2: writing a new version needs the scope's key, so Write implies the cryptographic ability to read.
        var (store, robot) = StoreWithRobot(Permissions.Write);
        using (store)
        {
            using (var session = ConnectRobot(store, robot))
            {
                session.SetSecret("prod", "db", SecretValue.FromString("v2 written by robot"));
                Assert.Throws<AccessDeniedException>(() => session.GetSecret("prod", "db"));
            }

            RawDb.Checkpoint(store.Path);
            Assert.Equal("v2 written by robot", FormatReader.Decrypt(store.Path, "robot", robot, "prod", "db").Text);
            Assert.Equal("v1", FormatReader.Decrypt(store.Path, "robot", robot, "prod", "db", 1).Text);
        }
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void PlantedDeleteAndPermit_GiveNothing_TheSignedLogHoldsTheGrants()
    {
        var (store, robot) = StoreWithRobot(Permissions.Read);
        using (store)
        {
            using (var session = ConnectRobot(store, robot))
            {
                Assert.Throws<AccessDeniedException>(() => session.RemoveSecret("prod", "db"));
            }

            // Writing Delete and Permit into its grant row gives it neither: the grant is the log's. (Deleting rows with
            // SQLite itself stays possible: that destroys the store, it does not change what SecretOps does with it.)
            RawDb.Execute(store.Path, "UPDATE permissions SET flags = 15 WHERE client_id = (SELECT id FROM clients WHERE name = 'robot')");
            using var again = ConnectRobot(store, robot);
            Assert.Throws<AccessDeniedException>(() => again.RemoveSecret("prod", "db"));
            Assert.Throws<AccessDeniedException>(() => again.Grant("robot", "prod", null, Permissions.Delete));
            Assert.Single(again.ListSecrets("prod"));
        }
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void DisabledClient_CannotConnect_ButItsKeysStillOpenWhatItWasGranted()
    {
        // Disable is reversible and enforced by the program; Retire (or Revoke) is the cryptographic one.
        var (store, robot) = StoreWithRobot(Permissions.Read);
        using (store)
        {
            using (var session = store.ConnectSystem())
            {
                session.DisableClient("robot");
            }

            Assert.Throws<AuthenticationFailedException>(() => ConnectRobot(store, robot));
            RawDb.Checkpoint(store.Path);
            Assert.Equal("v1", FormatReader.Decrypt(store.Path, "robot", robot, "prod", "db").Text);

            using (var session = store.ConnectSystem())
            {
                session.RetireClient("robot");
            }

            RawDb.Checkpoint(store.Path);
            Assert.Throws<UnauthorizedAccessException>(() => FormatReader.Decrypt(store.Path, "robot", robot, "prod", "db"));
        }
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void RevokedClient_KeysItKept_OpenOldVersions_ButNothingWrittenAfterRotation()
    {
        var (store, robot) = StoreWithRobot(Permissions.Read);
        using (store)
        {
            RawDb.Checkpoint(store.Path);
            var kept = new Dictionary<string, byte[]>();
            Assert.Equal("v1", FormatReader.Decrypt(store.Path, "robot", robot, "prod", "db", null, kept).Text);
            var keptNamespaceKey = kept["namespace_key"];

            using (var session = store.ConnectSystem())
            {
                session.Revoke("robot", "prod", null);
                session.SetSecret("prod", "db", SecretValue.FromString("v2 after revocation"));
            }

            RawDb.Checkpoint(store.Path);
            Assert.Throws<UnauthorizedAccessException>(() => FormatReader.Decrypt(store.Path, "robot", robot, "prod", "db"));

            using var connection = RawDb.Open(store.Path, readOnly: true);
            var storeId = RawDb.Uuid(RawDb.Scalar(connection, "SELECT store_id FROM store_info")!);
            var namespaceId = RawDb.Uuid(RawDb.Scalar(connection, "SELECT id FROM namespaces WHERE name = 'prod'")!);
            var secretId = RawDb.Uuid(RawDb.Scalar(connection, "SELECT id FROM secrets WHERE name = 'db'")!);
            byte[] OpenWithKeptKey(int version)
            {
                var generation = (long)RawDb.Scalar(connection, "SELECT key_generation FROM versions WHERE version = $v", ("$v", version))!;
                var namespaceGeneration = (long)RawDb.Scalar(connection, "SELECT namespace_generation FROM secret_keys WHERE generation = $g", ("$g", generation))!;
                var secretKey = FormatReader.Open(keptNamespaceKey,
                    (byte[])RawDb.Scalar(connection, "SELECT nonce FROM secret_keys WHERE generation = $g", ("$g", generation))!,
                    (byte[])RawDb.Scalar(connection, "SELECT wrapped_key FROM secret_keys WHERE generation = $g", ("$g", generation))!,
                    FormatReader.WrappedSecretKeyAd(storeId, namespaceId, secretId, generation, namespaceGeneration));
                return FormatReader.Open(secretKey,
                    (byte[])RawDb.Scalar(connection, "SELECT nonce FROM versions WHERE version = $v", ("$v", version))!,
                    (byte[])RawDb.Scalar(connection, "SELECT ciphertext FROM versions WHERE version = $v", ("$v", version))!,
                    FormatReader.ValueAd(storeId, namespaceId, "prod", secretId, "db", version, generation, 1));
            }

            Assert.Equal("v1", new DecryptedValue(1, OpenWithKeptKey(1)).Text);
            Assert.ThrowsAny<CryptographicException>(() => OpenWithKeptKey(2));
        }
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void PlantedPermissionAndStanza_Together_DoNotMakeTheNextRotationWrapToThePlanter()
    {
        // In format 1 a Read row plus a stanza row for the current generation looked exactly like a grant to the rotating
        // client. In format 2 the grant is a signed control-log entry: the pair of rows gives the planter nothing.
        using var store = new TempStore();
        string eveSecret;
        using (var system = store.ConnectSystem())
        {
            eveSecret = system.AddClient("eve", new ClientCredentialSpec { Kind = ClientKind.Generated }).ClientSecret!;
            system.SetSecret("default", "db", SecretValue.FromString("v1"));
        }

        // Eve copies the System client's stanza (she cannot open it) and writes herself a Read row.
        RawDb.Execute(store.Path,
            "INSERT INTO stanzas SELECT (SELECT id FROM clients WHERE name = 'eve'), scope_kind, scope_id, generation, algorithm, header, nonce, wrapped_key " +
            "FROM stanzas WHERE client_id = (SELECT id FROM clients WHERE name = 'system') AND scope_kind = 1 AND scope_id = (SELECT id FROM namespaces WHERE name = 'default'); " +
            "INSERT INTO permissions SELECT c.id, 1, n.id, 1, c.id, 0 FROM clients c, namespaces n WHERE c.name = 'eve' AND n.name = 'default';");
        using (var system = store.ConnectSystem())
        {
            system.RotateNamespaceKey("default");
            system.SetSecret("default", "db", SecretValue.FromString("written after the rotation"));
        }

        using var credential = ClientCredential.FromGeneratedSecret(eveSecret);
        using var eve = store.Connect("eve", credential);
        Assert.Throws<AccessDeniedException>(() => eve.GetSecret("default", "db"));
        Assert.Equal(0L, RawDb.Scalar(store.Path, "SELECT count(*) FROM stanzas WHERE client_id = (SELECT id FROM clients WHERE name = 'eve') AND generation = 2"));
    }

    [Fact]
    public void KeyFileClient_TrustsTheFirstStoreItMeetsAtAPath()
    {
        // A key-file client keeps its private key in its own file, not in an envelope bound to the store's identity. A
        // store forged with its public key registered (made with the public API) opens for it if this machine never
        // verified the real store at that path: trust on first use, as SECURITY.md says. After one connect it is refused.
        using var key = ClientPrivateKey.Generate();
        using var forged = new TempStore();
        using (var system = forged.ConnectSystem())
        {
            system.AddClient("ci", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = key.PublicKey });
        }

        using var credential = ClientCredential.FromPrivateKey(key.Clone());
        using var ci = forged.Connect("ci", credential);
        Assert.Equal("ci", ci.ClientName);
    }
}
