using Microsoft.Data.Sqlite;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Sharing;

/// <summary>
/// Issue 12: attacks on revocation, retirement and passphrase sealing by someone who can write the shared store
/// file (a member, or a revoked client that kept its key). Every attack writes the file with raw SQL, as the
/// attacker would, and then tries to read a value written after the defence ran. The attacker's read plants the
/// permission rows it wants first, so only cryptography stands between it and the value.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public sealed class RevocationAttackTests : IDisposable
{
    private const string AfterValue = "written-after-the-rotation";
    private readonly TempStore store = new();
    private readonly Dictionary<string, string> generated = new();

    public RevocationAttackTests()
    {
        using var system = store.ConnectSystem();
        AddGenerated(system, "admin", ClientRole.Admin);
        AddGenerated(system, "admin2", ClientRole.Admin);
        using var admin = Connect("admin");
        foreach (var member in new[] { "alice", "bob", "eve", "ci" })
        {
            AddGenerated(admin, member, ClientRole.Member);
        }

        admin.CreateNamespace("prod");
        admin.SetSecret("prod", "db-password", SecretValue.FromString("v1"));
    }

    [Fact]
    public void CopiedStanza_ForANeverGrantedMember_IsATamperFinding_AndTheRotationWrapsNothingToIt()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("alice", "prod", null, Permissions.Read);
            admin.Grant("ci", "prod", null, Permissions.Read);
        }

        // Eve was never granted prod. She copies Alice's namespace stanza row under her own id.
        RawDb.Execute(store.Path,
            "INSERT INTO stanzas SELECT $eve, scope_kind, scope_id, generation, algorithm, header, nonce, wrapped_key FROM stanzas WHERE client_id = $alice AND scope_kind = 1",
            ("$eve", IdOf("eve")), ("$alice", IdOf("alice")));

        // An admin's routine revoke rotates prod: it must not take Eve's row as a grant.
        using (var admin = Connect("admin"))
        {
            var error = Assert.Throws<TamperedException>(() => admin.Revoke("ci", "prod", null));
            Assert.Equal("SecretOps.Tampered", error.ErrorId);
            Assert.Contains("'eve'", error.Message);
            Assert.Contains("namespace 'prod'", error.Message);
            Assert.Contains(admin.ListPermissions(client: "ci"), p => p.Namespace == "prod");
            Assert.Equal(1L, RawDb.Scalar(store.Path, "SELECT key_generation FROM namespaces WHERE name = 'prod'"));
            admin.SetSecret("prod", "db-password", SecretValue.FromString(AfterValue));
        }

        // The way out the message names: revoking Eve (who holds no grant, only the row) removes the row and rotates
        // without her; the routine revoke then goes ahead.
        using (var admin = Connect("admin"))
        {
            Assert.NotNull(admin.Revoke("eve", "prod", null));
            Assert.NotNull(admin.Revoke("ci", "prod", null));
            admin.SetSecret("prod", "db-password", SecretValue.FromString(AfterValue + "-2"));
        }

        Assert.Equal(0, StanzaCount("eve"));
        AssertCannotRead("eve", "db-password");
        AssertCannotRead("ci", "db-password");
        using var alice = Connect("alice");
        using var read = alice.GetSecret("prod", "db-password");
        Assert.Equal(AfterValue + "-2", read.Value.GetString());
    }

    [Fact]
    public void CopiedSecretStanza_ForANeverGrantedMember_IsATamperFinding_OnASecretRevoke()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("alice", "prod", "db-password", Permissions.Read);
            admin.Grant("ci", "prod", "db-password", Permissions.Read);
        }

        RawDb.Execute(store.Path,
            "INSERT INTO stanzas SELECT $eve, scope_kind, scope_id, generation, algorithm, header, nonce, wrapped_key FROM stanzas WHERE client_id = $alice AND scope_kind = 2",
            ("$eve", IdOf("eve")), ("$alice", IdOf("alice")));
        using (var admin = Connect("admin"))
        {
            var error = Assert.Throws<TamperedException>(() => admin.Revoke("ci", "prod", "db-password"));
            Assert.Contains("'eve'", error.Message);
            Assert.Contains("secret 'db-password' in namespace 'prod'", error.Message);
            admin.SetSecret("prod", "db-password", SecretValue.FromString(AfterValue));
        }

        AssertCannotRead("eve", "db-password");
    }

    [Fact]
    public void PlantedSecretPermission_DoesNotMakeANamespaceRevokeWrapKeysToTheRevokedClient()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("bob", "prod", null, Permissions.Read);
        }

        // Bob, about to be revoked, gives himself a grant on one secret: before, the revoke wrapped every generation of
        // that secret's key to him "to keep his secret grant reachable", and the rotation then wrapped the new one too.
        RawDb.Execute(store.Path, "INSERT INTO permissions VALUES ($bob, 2, (SELECT id FROM secrets WHERE name = 'db-password'), 15, $bob, 0)", ("$bob", IdOf("bob")));
        using (var admin = Connect("admin"))
        {
            admin.Revoke("bob", "prod", null);
            admin.SetSecret("prod", "db-password", SecretValue.FromString(AfterValue));
        }

        Assert.Equal(0, StanzaCount("bob"));
        AssertCannotRead("bob", "db-password");
    }

    [Fact]
    public void NamespaceRevoke_CoversTheSecretsTheClientCreatedThere()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("bob", "prod", null, Permissions.All);
        }

        using (var bob = Connect("bob"))
        {
            bob.SetSecret("prod", "bob-made", SecretValue.FromString("b1"));
        }

        using (var admin = Connect("admin"))
        {
            admin.Revoke("bob", "prod", null);
            admin.SetSecret("prod", "bob-made", SecretValue.FromString(AfterValue));
            Assert.DoesNotContain(admin.ListPermissions(client: "bob"), p => p.Namespace == "prod");
        }

        // Through the program: no read, write, delete or permit on what he created.
        using (var bob = Connect("bob"))
        {
            Assert.Throws<AccessDeniedException>(() => bob.GetSecret("prod", "bob-made"));
            Assert.Throws<AccessDeniedException>(() => bob.SetSecret("prod", "bob-made", SecretValue.FromString("overwritten")));
            Assert.Throws<AccessDeniedException>(() => bob.RemoveSecret("prod", "bob-made"));
            Assert.Throws<AccessDeniedException>(() => bob.Grant("eve", "prod", "bob-made", Permissions.Read));
        }

        // Around the program: no key he holds opens what was written after.
        Assert.Equal(0, StanzaCount("bob"));
        AssertCannotRead("bob", "bob-made");
    }

    [Fact]
    public void Retire_ByAnAdminWithoutTheNamespaceKey_IsRefused_NamingWhatItCannotRotate()
    {
        using (var admin = Connect("admin"))
        {
            admin.Grant("ci", "prod", "db-password", Permissions.Read);
        }

        // admin2 holds nothing in prod, so it cannot give db-password a new key: it must not retire ci and claim it did.
        using (var admin2 = Connect("admin2"))
        {
            var error = Assert.Throws<AccessDeniedException>(() => admin2.RetireClient("ci"));
            Assert.Contains("secret 'db-password' in namespace 'prod'", error.Message);
            Assert.Equal(ClientStatus.Active, admin2.GetClient("ci").Status);
        }

        // A holder retires it, and the rotation then really happens.
        using (var admin = Connect("admin"))
        {
            admin.RetireClient("ci");
            admin.SetSecret("prod", "db-password", SecretValue.FromString(AfterValue));
        }

        Assert.Equal(0, StanzaCount("ci"));
        RawDb.Execute(store.Path, "UPDATE clients SET status = 1 WHERE name = 'ci'");
        AssertCannotRead("ci", "db-password");
    }

    [Fact]
    public void ForcedRetire_OfTheOnlyOtherHolder_StillRotatesTheNamespace()
    {
        using (var system = store.ConnectSystem())
        {
            system.CreateNamespace("solo");
            system.SetSecret("solo", "x", SecretValue.FromString("y"));
            system.Grant("ci", "solo", null, Permissions.Read | Permissions.Write);
            system.Revoke("system", "solo", null, force: false);
        }

        var before = (long)RawDb.Scalar(store.Path, "SELECT key_generation FROM namespaces WHERE name = 'solo'")!;
        using (var admin = Connect("admin"))
        {
            Assert.Throws<ConflictException>(() => admin.RetireClient("ci"));
            admin.RetireClient("ci", force: true);
        }

        // Before, an orphaned namespace was skipped and kept the key ci holds. Now it gets a key nobody holds: ci's kept
        // keys open nothing written under it.
        Assert.Equal(before + 1, RawDb.Scalar(store.Path, "SELECT key_generation FROM namespaces WHERE name = 'solo'"));
        Assert.Equal(0, StanzaCount("ci"));
        Assert.Equal(0L, RawDb.Scalar(store.Path, "SELECT count(*) FROM stanzas WHERE scope_kind = 1 AND generation = $g AND scope_id = (SELECT id FROM namespaces WHERE name = 'solo')", ("$g", before + 1)));
    }

    public void Dispose() => store.Dispose();

    /// <summary>
    /// The attacker (a client whose key it holds) plants every permission row it wants on the secret and its namespace,
    /// un-retires itself, and reads: it must not get the value written after the rotation.
    /// </summary>
    private void AssertCannotRead(string client, string secret)
    {
        var id = IdOf(client);
        RawDb.Execute(store.Path,
            "UPDATE clients SET status = 1 WHERE id = $id; " +
            "INSERT OR REPLACE INTO permissions VALUES ($id, 1, (SELECT id FROM namespaces WHERE name = 'prod'), 15, $id, 0); " +
            "INSERT OR REPLACE INTO permissions VALUES ($id, 2, (SELECT id FROM secrets WHERE name = $secret), 15, $id, 0);",
            ("$id", id), ("$secret", secret));
        // Format 2 refuses the forged rows already at connect (they disagree with the control log); were they not, the
        // keys would still not open anything written after the rotation.
        var error = Record.Exception(() =>
        {
            using var session = Connect(client);
            using var read = session.GetSecret("prod", secret);
            Assert.Fail($"{client} read '{secret}' after its access was rotated away: {read.Value.GetString()}");
        });
        Assert.True(error is AccessDeniedException or TamperedException or AuthenticationFailedException { InnerException: TamperedException },
            $"expected AccessDenied or Tampered, got {error}");
        Assert.DoesNotContain(AfterValue, error.ToString());
    }

    private void AddGenerated(Session session, string name, ClientRole role) =>
        generated[name] = session.AddClient(name, new ClientCredentialSpec { Kind = ClientKind.Generated }, role).ClientSecret!;

    private Session Connect(string name)
    {
        using var credential = ClientCredential.FromGeneratedSecret(generated[name]);
        return SecretStore.Open(store.Path).Connect(name, credential);
    }

    private byte[] IdOf(string client) => (byte[])RawDb.Scalar(store.Path, "SELECT id FROM clients WHERE name = $name", ("$name", client))!;

    private long StanzaCount(string client) =>
        (long)RawDb.Scalar(store.Path, "SELECT count(*) FROM stanzas s JOIN clients c ON c.id = s.client_id WHERE c.name = $name", ("$name", client))!;
}
