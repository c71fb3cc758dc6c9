using Microsoft.Data.Sqlite;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Sharing;

/// <summary>An admin, two people and a CI runbook on one store, through Core.</summary>
public sealed class SharingScenarioTests : IDisposable
{
    private readonly TempStore store = new();
    private readonly Dictionary<string, string> generated = new();

    public SharingScenarioTests()
    {
        using var system = store.ConnectSystem();
        AddGenerated(system, "admin", ClientRole.Admin);
        using var admin = Connect("admin");
        AddGenerated(admin, "alice", ClientRole.Member);
        AddGenerated(admin, "bob", ClientRole.Member);
        AddGenerated(admin, "ci", ClientRole.Member);
        admin.CreateNamespace("prod");
        admin.SetSecret("prod", "db-password", SecretValue.FromString("v1"));
        admin.SetSecret("prod", "api-token", SecretValue.FromString("token"));
    }

    [Fact]
    public void NamespaceGrant_LetsCiRead_AndRevocationStopsIt()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("ci", "prod", null, Permissions.Read);
        }

        using (var ci = Connect("ci"))
        {
            using var read = ci.GetSecret("prod", "db-password");
            Assert.Equal("v1", read.Value.GetString());
            Assert.Throws<AccessDeniedException>(() => ci.SetSecret("prod", "db-password", SecretValue.FromString("nope")));
        }

        using (var admin = Connect("admin"))
        {
            var rotation = admin.Revoke("ci", "prod", null);
            Assert.Equal(2, rotation!.NewGeneration);
            Assert.Equal(2, rotation.SecretKeysRotated);
            admin.SetSecret("prod", "db-password", SecretValue.FromString("v2"));
            using var old = admin.GetSecret("prod", "db-password", version: 1);
            Assert.Equal("v1", old.Value.GetString());
        }

        using var revoked = Connect("ci");
        Assert.Equal("SecretOps.AccessDenied", Assert.Throws<AccessDeniedException>(() => revoked.GetSecret("prod", "db-password")).ErrorId);
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void RevokedClient_WithEveryKeyItEverHeld_CannotDecryptWhatIsWrittenAfter()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("ci", "prod", null, Permissions.Read | Permissions.Write);
        }

        // The attacker's view before revocation: a copy of the file and its own private key.
        var copy = Path.Combine(store.Directory, "ci-kept-copy.db");
        SecretStore.ReleaseConnections();
        File.Copy(store.Path, copy);
        using var ciKey = OpenPrivateKey("ci");
        var kept = KeysHeldIn(copy, "ci", ciKey);
        Assert.NotEmpty(kept);

        using (var admin = Connect("admin"))
        {
            admin.Revoke("ci", "prod", null);
            admin.SetSecret("prod", "db-password", SecretValue.FromString("written-after-revocation"));
        }

        // Bypassing every permission check, with the correct associated data (the format is public):
        // no key it ever held opens the new version or the key that encrypts it.
        var storeId = SecretStore.Open(store.Path).StoreId;
        SecretStore.ReleaseConnections();
        using var connection = new SqliteConnection($"Data Source={store.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT s.namespace_id, s.id, v.key_generation, v.value_type, v.nonce, v.ciphertext, k.namespace_generation, k.nonce, k.wrapped_key
            FROM versions v JOIN secrets s ON s.id = v.secret_id JOIN secret_keys k ON k.secret_id = s.id AND k.generation = v.key_generation
            WHERE s.name = 'db-password' AND v.version = 2
            """;
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        var (namespaceId, secretId) = (new Guid((byte[])reader[0], bigEndian: true), new Guid((byte[])reader[1], bigEndian: true));
        var (generation, type, namespaceGeneration) = (reader.GetInt32(2), (SecretValueType)reader.GetInt32(3), reader.GetInt32(6));
        var value = new SealedData((byte[])reader[4], (byte[])reader[5]);
        var wrappedKey = new SealedData((byte[])reader[7], (byte[])reader[8]);
        foreach (var key in kept)
        {
            Assert.Throws<TamperedException>(() => Aead.Open(key, value, Contexts.Value(storeId, namespaceId, "prod", secretId, "db-password", 2, generation, type), "new version"));
            Assert.Throws<TamperedException>(() => Aead.OpenKey(key, wrappedKey, Contexts.WrappedSecretKey(storeId, namespaceId, secretId, generation, namespaceGeneration), "new key"));
            key.Dispose();
        }

        Assert.Equal(0, StanzaCount(store.Path, "ci"));
    }

    [Fact]
    public void SecretGrant_ReachesThatSecretOnly()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("alice", "prod", "db-password", Permissions.Read);
            Assert.Contains(admin.ListPermissions(ns: "prod", secret: "db-password"), p => p.Client == "alice" && p.Scope == ScopeType.Secret);
            Assert.Contains(admin.ListPermissions(client: "alice"), p => p.Secret == "db-password");
        }

        using var alice = Connect("alice");
        using (var read = alice.GetSecret("prod", "db-password"))
        {
            Assert.Equal("v1", read.Value.GetString());
        }

        Assert.Throws<AccessDeniedException>(() => alice.GetSecret("prod", "api-token"));
        Assert.Equal(["db-password"], alice.ListSecrets("prod").Select(e => e.Name));
    }

    [Fact]
    public void PermitWithoutRead_CannotGrantRead_AndMembersCannotAdminister()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("bob", "prod", null, Permissions.Permit);
        }

        using var bob = Connect("bob");
        Assert.Contains("does not hold Read", Assert.Throws<AccessDeniedException>(() => bob.Grant("alice", "prod", null, Permissions.Read)).Message);
        Assert.Throws<AccessDeniedException>(() => bob.CreateNamespace("mine"));
        Assert.Throws<AccessDeniedException>(() => bob.AddClient("eve", new ClientCredentialSpec { Kind = ClientKind.Generated }));
    }

    [Fact]
    public void DisabledClientCannotConnect_ReenabledItCan()
    {
        using (var admin = Connect("admin"))
        {
            admin.DisableClient("bob");
        }

        Assert.Contains("disabled", Assert.Throws<AuthenticationFailedException>(() => Connect("bob")).Message);
        using (var admin = Connect("admin"))
        {
            admin.EnableClient("bob");
        }

        using var bob = Connect("bob");
        Assert.True(bob.IsOpen);
    }

    [Fact]
    public void RotatingOwnKey_KeepsAccess_AndTheOldSecretStopsWorking()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("alice", "prod", null, Permissions.Read);
        }

        var oldSecret = generated["alice"];
        using (var alice = Connect("alice"))
        {
            generated["alice"] = alice.RotateClientKey(null, new ClientCredentialSpec { Kind = ClientKind.Generated }).ClientSecret!;
            Assert.False(alice.IsOpen);
        }

        using (var again = Connect("alice"))
        using (var read = again.GetSecret("prod", "db-password"))
        {
            Assert.Equal("v1", read.Value.GetString());
        }

        using var stale = ClientCredential.FromGeneratedSecret(oldSecret);
        Assert.Throws<AuthenticationFailedException>(() => SecretStore.Open(store.Path).Connect("alice", stale));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void Retire_RevokesCryptographically_AndTheSystemClientRetiresOnceAnAdminExists()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("ci", "prod", null, Permissions.Read);
            admin.RetireClient("ci");
            Assert.Equal(ClientStatus.Retired, admin.GetClient("ci").Status);
            Assert.Equal(0, StanzaCount(store.Path, "ci"));
            Assert.Contains("'default'", Assert.Throws<ConflictException>(() => admin.RetireClient("system")).Message);
        }

        using (var system = store.ConnectSystem())
        {
            system.Grant("admin", "default", null, Permissions.All);
        }

        using (var admin = Connect("admin"))
        {
            admin.RetireClient("system");
        }

        Assert.Throws<AuthenticationFailedException>(() => Connect("ci"));
        Assert.Throws<AuthenticationFailedException>(() => store.ConnectSystem());
    }

    [Fact]
    public void Retire_RefusesToOrphanANamespace_UnlessForced()
    {
        using var admin = Connect("admin");
        admin.Grant("bob", "prod", null, Permissions.All);
        using (var bob = Connect("bob"))
        {
            Assert.Throws<AccessDeniedException>(() => bob.RetireClient("admin"));
        }

        admin.CreateNamespace("only-admin");
        using var system = store.ConnectSystem();
        var error = Assert.Throws<ConflictException>(() => system.RetireClient("admin"));
        Assert.Contains("'only-admin'", error.Message);
        Assert.DoesNotContain("'prod'", error.Message);
    }

    [Fact]
    public void SystemCannotRetireBeforeAnAdminExists()
    {
        using var fresh = new TempStore();
        using var system = fresh.ConnectSystem();
        Assert.Contains("active admin", Assert.Throws<ConflictException>(() => system.RetireClient("system")).Message);
    }

    [Fact]
    public void NamespaceRotation_KeepsEveryHolderReading_OldAndNewVersions()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("alice", "prod", null, Permissions.Read);
            admin.Grant("bob", "prod", "api-token", Permissions.Read);
            admin.RotateNamespaceKey("prod");
            admin.SetSecret("prod", "api-token", SecretValue.FromString("token-2"));
        }

        using var alice = Connect("alice");
        using var bob = Connect("bob");
        foreach (var session in new[] { alice, bob })
        {
            using var current = session.GetSecret("prod", "api-token");
            using var old = session.GetSecret("prod", "api-token", version: 1);
            Assert.Equal(("token-2", "token"), (current.Value.GetString(), old.Value.GetString()));
        }
    }

    [Fact]
    public void RevokingTheLastHolder_IsRefused_UnlessForced()
    {
        using var admin = Connect("admin");
        admin.CreateNamespace("solo");
        admin.SetSecret("solo", "x", SecretValue.FromString("y"));
        Assert.Contains("last client able to decrypt", Assert.Throws<ConflictException>(() => admin.Revoke("admin", "solo", null, Permissions.Read | Permissions.Write)).Message);
        using (var read = admin.GetSecret("solo", "x"))
        {
            Assert.Equal("y", read.Value.GetString());
        }

        // Forced: the namespace is rotated to a key nobody holds. The revoke covers the secret admin created there
        // too (issue 12): it can neither add secrets nor read "x" any more.
        admin.Revoke("admin", "solo", null, Permissions.Read | Permissions.Write, force: true);
        Assert.Throws<AccessDeniedException>(() => admin.SetSecret("solo", "new", SecretValue.FromString("z")));
        Assert.Throws<AccessDeniedException>(() => admin.GetSecret("solo", "x"));
    }

    [Fact]
    public void TheLastAdministrator_CannotBeRetired()
    {
        using (var system = store.ConnectSystem())
        {
            system.Grant("admin", "default", null, Permissions.All);
        }

        using (var admin = Connect("admin"))
        {
            admin.RetireClient("system");
            Assert.Contains("last active administrator", Assert.Throws<ConflictException>(() => admin.RetireClient("admin")).Message);
        }
    }

    [Fact]
    public void RevokingWithoutRotation_StopsAnOpenSessionThatHoldsTheKey_AtItsNextRead()
    {
        // The key is not rotated, and the session holds it: only the permission check can stop the read.
        using var ci = ConnectReadingCi();
        using (var admin = Connect("admin"))
        {
            Assert.Null(admin.Revoke("ci", "prod", null, rotate: false));
        }

        Assert.Throws<AccessDeniedException>(() => ci.GetSecret("prod", "db-password"));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void AlteredCiphertext_IsTampered_EvenForASessionThatHoldsTheKey()
    {
        using var ci = ConnectReadingCi();
        RawDb.Execute(store.Path, "UPDATE versions SET ciphertext = zeroblob(length(ciphertext))");
        Assert.Throws<TamperedException>(() => ci.GetSecret("prod", "db-password"));
    }

    [Fact]
    public void DisablingAClient_StopsItsOpenSessions_AtTheirNextOperation()
    {
        using var ci = ConnectReadingCi();
        using (var admin = Connect("admin"))
        {
            admin.DisableClient("ci");
        }

        Assert.Contains("disabled", Assert.Throws<AuthenticationFailedException>(() => ci.GetSecret("prod", "db-password")).Message);
    }

    /// <summary>ci, granted Read on prod, connected and having read once: its session now holds the keys.</summary>
    private Session ConnectReadingCi()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("ci", "prod", null, Permissions.Read);
        }

        var ci = Connect("ci");
        using var first = ci.GetSecret("prod", "db-password");
        Assert.Equal("v1", first.Value.GetString());
        return ci;
    }

    public void Dispose() => store.Dispose();

    private void AddGenerated(Session session, string name, ClientRole role) =>
        generated[name] = session.AddClient(name, new ClientCredentialSpec { Kind = ClientKind.Generated }, role).ClientSecret!;

    private Session Connect(string name)
    {
        using var credential = ClientCredential.FromGeneratedSecret(generated[name]);
        return SecretStore.Open(store.Path).Connect(name, credential);
    }

    private ClientPrivateKey OpenPrivateKey(string name)
    {
        using var credential = ClientCredential.FromGeneratedSecret(generated[name]);
        var opened = SecretStore.Open(store.Path);
        var record = opened.Backend.Read(reader => reader.FindClient(name))!;
        var identity = opened.Backend.Read(reader => opened.Control.Read(reader, opened.Path)).GenesisHash;
        return ClientKeyProtection.Open(record.Protection!, credential, new KeyBinding(opened.StoreId, identity), record.Id);
    }

    /// <summary>Every namespace and secret key the client could unwrap from the stanzas in a file.</summary>
    private static List<SymmetricKey> KeysHeldIn(string path, string client, ClientPrivateKey key)
    {
        var opened = SecretStore.Open(path);
        return opened.Backend.Read(reader =>
        {
            var id = reader.FindClient(client)!.Id;
            var keys = new List<SymmetricKey>();
            foreach (var scope in reader.StanzasOf(id))
            {
                var context = scope.Kind == ScopeKind.Namespace
                    ? Contexts.NamespaceKey(opened.StoreId, scope.ScopeId, scope.Generation)
                    : Contexts.SecretKey(opened.StoreId, scope.ScopeId, scope.Generation);
                keys.Add(reader.Stanza(id, scope)!.Unwrap(key, context));
            }

            return keys;
        });
    }

    private static long StanzaCount(string path, string client)
    {
        SecretStore.ReleaseConnections();
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM stanzas s JOIN clients c ON c.id = s.client_id WHERE c.name = $name";
        command.Parameters.AddWithValue("$name", client);
        return (long)command.ExecuteScalar()!;
    }
}
