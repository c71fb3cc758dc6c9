using System.Collections;
using System.Reflection;
using IndependentReader;
using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Crypto;
using SecretOps.Core.Keys;
using SecretOps.Core.Secrets;
using KeyScope = SecretOps.Core.Storage.KeyScope;
using Log = SecretOps.Core.Control;
using ScopeKind = SecretOps.Core.Storage.ScopeKind;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Format2;

/// <summary>
/// Issue 14 (store format 2), property by property, against an attacker who can write the store file with raw SQL: the
/// position of every teammate on a file share. Each test sets up a real store through the API, attacks the file as the
/// attacker would (raw SQL; where the attack needs cryptography, the attacker's own keys and the format's public
/// constructions), then runs the victim's operation: it is refused as tampered naming what and where, or, where the
/// attack is only a row the control log ignores, the outcome is exactly the authentic one. Tests marked
/// <c>Skip = "HOLE: …"</c> are attacks that succeed today.
/// </summary>
/// <remarks>
/// The store: System; <c>admin</c> (Admin) creates namespace <c>prod</c> with secret <c>db</c> = "v1"; members
/// <c>alice</c> (Read on prod), <c>bob</c> (Read and Write on prod) and <c>eve</c> (nothing). All have generated secrets.
/// </remarks>
[Trait("Backend", "SqliteOnly")]
public sealed class SignedStoreAttackTests : IDisposable
{
    private const string Forged = "forged-by-the-attacker";
    private readonly TempStore store = new();
    private readonly Dictionary<string, string> generated = new();

    public SignedStoreAttackTests()
    {
        using (var system = store.ConnectSystem())
        {
            AddGenerated(system, "admin", ClientRole.Admin);
        }

        using var admin = Connect("admin");
        foreach (var member in new[] { "alice", "bob", "eve" })
        {
            AddGenerated(admin, member, ClientRole.Member);
        }

        admin.CreateNamespace("prod");
        admin.SetSecret("prod", "db", SecretValue.FromString("v1"));
        admin.Grant("alice", "prod", null, Permissions.Read);
        admin.Grant("bob", "prod", null, Permissions.Read | Permissions.Write);
    }

    public void Dispose() => store.Dispose();

    // ---------------------------------------------------------------- property 2: versions

    [Fact]
    public void P2_ReadOnlyMember_ForgedVersionAndBumpedPointer_AdminGetAndHistoryRefuse_NeverServeIt()
    {
        ForgeVersionAsAlice(bumpPointer: true);
        var before = StoreState();

        using var admin = Connect("admin");
        var error = Assert.Throws<TamperedException>(() => admin.GetSecret("prod", "db"));
        AssertNames(error, "secret 'db'");
        Assert.DoesNotContain(Forged, error.ToString());
        Assert.Throws<TamperedException>(() => admin.GetHistory("prod", "db"));
        Assert.Throws<TamperedException>(() => admin.GetEntry("prod", "db"));
        // The admin's next write is refused too: it never builds on the forged pointer.
        Assert.Throws<TamperedException>(() => admin.SetSecret("prod", "db", SecretValue.FromString("admin-v2")));
        Assert.Equal(before, StoreState());
    }

    [Fact]
    public void P2_ReadOnlyMember_ForgedVersionRowAlone_IsIgnoredByGet_AndRefusedByHistoryAndByName()
    {
        ForgeVersionAsAlice(bumpPointer: false);
        using var admin = Connect("admin");
        using (var read = admin.GetSecret("prod", "db"))
        {
            Assert.Equal(("v1", 1), (read.Value.GetString(), read.Version));
        }

        var explicitRead = Assert.Throws<TamperedException>(() => admin.GetSecret("prod", "db", 2));
        AssertNames(explicitRead, "version 2");
        Assert.DoesNotContain(Forged, explicitRead.ToString());
        var history = Assert.Throws<TamperedException>(() => admin.GetHistory("prod", "db"));
        AssertNames(history, "version 2");
    }

    [Fact]
    public void P2_ReadOnlyMember_SigningItsOwnPutVersion_IsRefusedByTheLog_ForLackingWrite()
    {
        // Alice signs a real put-version entry with her real signing key: authorship is proven, authority is not.
        var (row, digest) = ForgeVersionAsAlice(bumpPointer: true);
        using (var alice = Connect("alice"))
        {
            var state = Replay();
            var secret = state.Secrets.Values.Single();
            AppendEntry(state, alice.ClientId, SigningKeyOf(alice), new PutVersion(secret.Id, 2, 1, SecretValueType.String, digest, null, null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0));
        }

        var head = LogLength();
        var before = StoreState();
        var error = Assert.Throws<TamperedException>(() => Connect("admin"));
        Assert.Equal($"control log entry {head}", error.Target);
        Assert.Contains("'alice' lacks Write", error.Message);
        Assert.NotNull(row);
        Assert.Equal(before, StoreState());
    }

    [Fact]
    public void P2_RolledBackCurrentVersion_IsRefused_NotServedAsCurrent()
    {
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "db", SecretValue.FromString("v2"));
        }

        RawDb.Execute(store.Path, "UPDATE secrets SET current_version = 1, updated_at = created_at WHERE name = 'db'");
        using var again = Connect("admin");
        var error = Assert.Throws<TamperedException>(() => again.GetSecret("prod", "db"));
        AssertNames(error, "secret 'db'");
        Assert.DoesNotContain("v1", error.Message);
    }

    [Fact]
    public void P2_DeletedNewestVersionRow_NeverServesTheOlderValueAsCurrent()
    {
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "db", SecretValue.FromString("v2"));
        }

        RawDb.Execute(store.Path, "DELETE FROM versions WHERE version = 2");
        using var again = Connect("admin");
        var error = Record.Exception(() =>
        {
            using var read = again.GetSecret("prod", "db");
            Assert.Fail($"a read returned '{read.Value.GetString()}' (version {read.Version}) after the newest version row was deleted");
        });
        // What happens today: the log's current version (2) is looked up, its row is missing, and the read fails as
        // NotFound ("has no version 2"), not as Tampered although the log holds that version.
        Assert.True(error is TamperedException or NotFoundException, $"expected Tampered (or NotFound), got {error}");
        Assert.Contains("version 2", error.Message);

        // Deleting the row and lowering the pointer as well is refused as tampered.
        RawDb.Execute(store.Path, "UPDATE secrets SET current_version = 1 WHERE name = 'db'");
        using var third = Connect("admin");
        Assert.Throws<TamperedException>(() => third.GetSecret("prod", "db"));
    }

    [Fact]
    public void P2_AlteredMetadataTypeAndExpiry_AreRefused()
    {
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "db", SecretValue.FromString("v2"), new SetSecretOptions { Metadata = new Dictionary<string, object> { ["owner"] = "alice" } });
        }

        foreach (var sql in new[]
                 {
                     "UPDATE secrets SET metadata = '{\"owner\":{\"t\":\"string\",\"v\":\"mallory\"}}'",
                     "UPDATE secrets SET expires_at = 1",
                     "UPDATE secrets SET value_type = 2",
                 })
        {
            using var copy = TempStore.CopyOf(store);
            RawDb.Execute(copy.Path, sql);
            using var credential = ClientCredential.FromGeneratedSecret(generated["admin"]);
            using var admin = copy.Connect("admin", credential);
            Assert.Throws<TamperedException>(() => admin.GetSecret("prod", "db"));
            Assert.Throws<TamperedException>(() => admin.ListSecrets("prod", includeExpired: true));
        }
    }

    // ---------------------------------------------------------------- property 3 (and 1): key generations

    [Fact]
    public void P3_NoClientRotation_WithValidCanaryAndStanzasToEveryHolder_AdminsNextWriteIsRefused_NeverUnderTheAttackersKey()
    {
        using var attackerKey = PlantNamespaceKeyGeneration(bumpColumns: true);
        var before = StoreState();

        using (var admin = Connect("admin"))
        {
            var write = Assert.Throws<TamperedException>(() => admin.SetSecret("prod", "db", SecretValue.FromString("admin-v2")));
            AssertNames(write, "namespace 'prod'");
            var read = Assert.Throws<TamperedException>(() => admin.GetSecret("prod", "db"));
            AssertNames(read, "namespace 'prod'");
            Assert.Throws<TamperedException>(() => admin.RotateNamespaceKey("prod"));
            var check = Record.Exception(() => admin.Check());
            Assert.IsType<TamperedException>(check);
        }

        using (var bob = Connect("bob"))
        {
            Assert.Throws<TamperedException>(() => bob.SetSecret("prod", "db", SecretValue.FromString("bob-v2")));
        }

        // Nothing was written, and certainly no version under the attacker's key generation.
        Assert.Equal(before, StoreState());
        Assert.Equal(0L, RawDb.Scalar(store.Path, "SELECT count(*) FROM versions WHERE key_generation = 2"));
    }

    [Fact]
    public void P3_NoClientRotation_RowsOnly_IsIgnoredByWrites_AndStoreCheckNamesTheUncommittedGeneration()
    {
        using var attackerKey = PlantNamespaceKeyGeneration(bumpColumns: false);
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "db", SecretValue.FromString("admin-v2"));
            var check = admin.Check();
            Assert.False(check.IsHealthy);
            Assert.Contains(check.KeyProblems, p => p.Contains("Namespace 'prod' key generation 2", StringComparison.Ordinal) && p.Contains("control log", StringComparison.Ordinal));
        }

        // The write went under the authentic generation: the attacker's namespace key opens nothing written.
        Assert.Equal(1L, RawDb.Scalar(store.Path, "SELECT key_generation FROM versions WHERE version = 2"));
        Assert.Equal(1L, RawDb.Scalar(store.Path, "SELECT key_generation FROM namespaces WHERE name = 'prod'"));
        using var alice = Connect("alice");
        using var read = alice.GetSecret("prod", "db");
        Assert.Equal("admin-v2", read.Value.GetString());
    }

    [Fact]
    public void P3_RevokedClient_ResettingKeyGenerationColumns_CannotMakeWritesGoUnderKeysItKept()
    {
        Dictionary<KeyScope, byte[]> kept;
        using (var bob = Connect("bob"))
        {
            using (bob.GetSecret("prod", "db"))
            {
            }

            kept = KeysOf(bob);
        }

        Assert.Contains(kept.Keys, k => k.Kind == ScopeKind.Namespace && k.Generation == 1);
        using (var admin = Connect("admin"))
        {
            Assert.NotNull(admin.Revoke("bob", "prod", null));
        }

        Assert.Equal(2L, RawDb.Scalar(store.Path, "SELECT key_generation FROM namespaces WHERE name = 'prod'"));
        RawDb.Execute(store.Path, "UPDATE namespaces SET key_generation = 1 WHERE name = 'prod'; UPDATE secrets SET key_generation = 1 WHERE name = 'db';");
        var before = StoreState();
        using (var admin = Connect("admin"))
        {
            var error = Assert.Throws<TamperedException>(() => admin.SetSecret("prod", "db", SecretValue.FromString("after-revocation")));
            AssertNames(error, "namespace 'prod'");
        }

        Assert.Equal(before, StoreState());
        Assert.Equal(0L, RawDb.Scalar(store.Path, "SELECT count(*) FROM versions WHERE version > 1"));

        // Only the secret's column, then: refused as well.
        RawDb.Execute(store.Path, "UPDATE namespaces SET key_generation = 2 WHERE name = 'prod'");
        using (var admin = Connect("admin"))
        {
            Assert.Throws<TamperedException>(() => admin.SetSecret("prod", "db", SecretValue.FromString("after-revocation")));
            RawDb.Execute(store.Path, "UPDATE secrets SET key_generation = 2 WHERE name = 'db'");
            admin.SetSecret("prod", "db", SecretValue.FromString("after-revocation"));
        }

        Assert.Equal(2L, RawDb.Scalar(store.Path, "SELECT key_generation FROM versions WHERE version = 2"));
    }

    [Fact]
    public void P3_PlantedStanzaWithAKeyTheAttackerKnows_ForTheAdminsCurrentGeneration_IsRefused_NotWrittenUnder()
    {
        // Eve replaces the admin's own stanza for prod with one wrapping a key she made, to the admin's public key.
        using var attackerKey = SymmetricKey.Generate();
        var adminId = IdOf("admin");
        PlantStanza(adminId, ScopeKind.Namespace, NamespaceId("prod"), 1, attackerKey);
        var before = StoreState();

        using (var admin = Connect("admin"))
        {
            var error = Assert.Throws<TamperedException>(() => admin.SetSecret("prod", "db", SecretValue.FromString("admin-v2")));
            Assert.Contains("not the one the control log commits to", error.Message);
            Assert.Throws<TamperedException>(() => admin.SetSecret("prod", "new-secret", SecretValue.FromString("admin-new")));
        }

        Assert.Equal(before, StoreState());
    }

    [Fact]
    public void P3_PlantedSecretStanzaAndSecretKeyRow_ForAGenerationTheLogNeverMade_AreRefused()
    {
        // A per-secret key generation 2 the log never committed to: a wrapped secret key under the namespace key Bob
        // holds (he is a Write holder who wants later writes under a key only he and the victim "share"), and the
        // pointer bumped.
        Dictionary<KeyScope, byte[]> bobKeys;
        using (var bob = Connect("bob"))
        {
            using (bob.GetSecret("prod", "db"))
            {
            }

            bobKeys = KeysOf(bob);
        }

        using var namespaceKey = SymmetricKey.FromBytes(bobKeys.Single(k => k.Key.Kind == ScopeKind.Namespace).Value);
        using var planted = SymmetricKey.Generate();
        var wrapped = Aead.SealKey(namespaceKey, planted, Contexts.WrappedSecretKey(StoreId, NamespaceId("prod"), SecretId("db"), 2, 1));
        RawDb.Execute(store.Path, "INSERT INTO secret_keys VALUES ($s, 2, 1, $n, $w); UPDATE secrets SET key_generation = 2 WHERE name = 'db';",
            ("$s", RawDb.Uuid(SecretId("db"))), ("$n", wrapped.Nonce), ("$w", wrapped.Ciphertext));
        using var admin = Connect("admin");
        Assert.Throws<TamperedException>(() => admin.SetSecret("prod", "db", SecretValue.FromString("admin-v2")));
        Assert.Equal(0L, RawDb.Scalar(store.Path, "SELECT count(*) FROM versions WHERE key_generation = 2"));
    }

    // ---------------------------------------------------------------- property 1: clients, roles, statuses, grants

    [Theory]
    [InlineData(2)] // Admin
    [InlineData(1)] // System
    public void P1_MemberFlippingItsOwnRole_IsRefused_AndGivesItNothing(int role)
    {
        RawDb.Execute(store.Path, "UPDATE clients SET role = $role WHERE name = 'eve'", ("$role", role));
        var before = StoreState();
        var error = Assert.Throws<TamperedException>(() => Connect("eve"));
        AssertNames(error, "client 'eve'");
        using (var admin = Connect("admin"))
        {
            AssertNames(Assert.Throws<TamperedException>(() => admin.ListClients()), "client 'eve'");
            AssertNames(Assert.Throws<TamperedException>(() => admin.GetClient("eve")), "client 'eve'");
        }

        Assert.Equal(before, StoreState());
    }

    [Fact]
    public void P1_DisabledClient_SettingItselfActive_CannotConnect()
    {
        using (var admin = Connect("admin"))
        {
            admin.DisableClient("alice");
        }

        RawDb.Execute(store.Path, "UPDATE clients SET status = 1 WHERE name = 'alice'");
        var error = Assert.Throws<TamperedException>(() => Connect("alice"));
        AssertNames(error, "client 'alice'");

        // Retired, then un-retired by SQL: the same.
        using (var admin = Connect("admin"))
        {
            RawDb.Execute(store.Path, "UPDATE clients SET status = 2 WHERE name = 'alice'");
            admin.EnableClient("alice");
            admin.RetireClient("alice");
        }

        RawDb.Execute(store.Path, "UPDATE clients SET status = 1 WHERE name = 'alice'");
        Assert.Throws<TamperedException>(() => Connect("alice"));
    }

    [Fact]
    public void P1_SubstitutedPublicKey_IsRefused_AndNoGrantOrRotationIsEverWrappedToIt()
    {
        using var attacker = ClientPrivateKey.Generate();
        RawDb.Execute(store.Path, "UPDATE clients SET public_key = $key WHERE name = 'alice'", ("$key", attacker.PublicKey.ExportSubjectPublicKeyInfo()));
        var stanzasBefore = RawDb.Rows(store.Path, "stanzas", "client_id, scope_kind, scope_id, generation");
        using (var admin = Connect("admin"))
        {
            admin.CreateNamespace("staging");
            AssertNames(Assert.Throws<TamperedException>(() => admin.Grant("alice", "staging", null, Permissions.Read)), "client 'alice'");
            AssertNames(Assert.Throws<TamperedException>(() => admin.RotateNamespaceKey("prod")), "client 'alice'");
            AssertNames(Assert.Throws<TamperedException>(() => admin.Revoke("bob", "prod", null)), "client 'alice'");
        }

        // No stanza was written at all (none to the substituted key); prod was not rotated.
        Assert.Equal(stanzasBefore.Count + 1, RawDb.Rows(store.Path, "stanzas").Count); // the admin's stanza for the new namespace
        Assert.Equal(1L, RawDb.Scalar(store.Path, "SELECT key_generation FROM namespaces WHERE name = 'prod'"));
        Assert.Equal(0L, RawDb.Scalar(store.Path, "SELECT count(*) FROM stanzas WHERE client_id = $alice AND scope_id = (SELECT id FROM namespaces WHERE name = 'staging')", ("$alice", RawDb.Uuid(IdOf("alice")))));
        Assert.Throws<TamperedException>(() => Connect("alice"));
    }

    [Fact]
    public void P1_PlantedPermissionRow_GivesNoAccess_AndTheNextRotationWrapsNothingToThePlanter()
    {
        RawDb.Execute(store.Path, "INSERT INTO permissions SELECT c.id, 1, n.id, 15, c.id, 0 FROM clients c, namespaces n WHERE c.name = 'eve' AND n.name = 'prod'");
        using (var eve = Connect("eve"))
        {
            Assert.Throws<AccessDeniedException>(() => eve.GetSecret("prod", "db"));
            Assert.Throws<AccessDeniedException>(() => eve.SetSecret("prod", "db", SecretValue.FromString(Forged)));
            Assert.Throws<AccessDeniedException>(() => eve.RemoveSecret("prod", "db"));
            Assert.Throws<AccessDeniedException>(() => eve.Grant("eve", "prod", null, Permissions.Read));
        }

        using (var admin = Connect("admin"))
        {
            AssertNames(Assert.Throws<TamperedException>(() => admin.ListPermissions()), "client 'eve'");
            admin.RotateNamespaceKey("prod");
            admin.SetSecret("prod", "db", SecretValue.FromString("after-rotation"));
        }

        Assert.Equal(0L, StanzaCount("eve"));
        using var alice = Connect("alice");
        using var read = alice.GetSecret("prod", "db");
        Assert.Equal("after-rotation", read.Value.GetString());
    }

    [Fact]
    public void P1_PlantedPermissionAndCopiedStanza_Together_NoLongerMakeTheRotationWrapToThePlanter()
    {
        // KnownLimitsTests.PlantedPermissionAndStanza_Together_StillMakeTheNextRotationWrapToThePlanter, on format 2.
        RawDb.Execute(store.Path,
            "INSERT INTO stanzas SELECT (SELECT id FROM clients WHERE name = 'eve'), scope_kind, scope_id, generation, algorithm, header, nonce, wrapped_key " +
            "FROM stanzas WHERE client_id = (SELECT id FROM clients WHERE name = 'alice') AND scope_kind = 1; " +
            "INSERT INTO permissions SELECT c.id, 1, n.id, 1, c.id, 0 FROM clients c, namespaces n WHERE c.name = 'eve' AND n.name = 'prod';");
        using (var admin = Connect("admin"))
        {
            admin.RotateNamespaceKey("prod");
            admin.SetSecret("prod", "db", SecretValue.FromString("after-rotation"));
        }

        Assert.Equal(0L, RawDb.Scalar(store.Path, "SELECT count(*) FROM stanzas WHERE generation = 2 AND client_id = (SELECT id FROM clients WHERE name = 'eve')"));
        using var eve = Connect("eve");
        var error = Record.Exception(() =>
        {
            using var read = eve.GetSecret("prod", "db");
            Assert.Fail($"eve read {read.Value.GetString()}");
        });
        Assert.True(error is AccessDeniedException or TamperedException, $"{error}");
    }

    [Fact]
    public void P1_PlantedStanzaForANonHolder_WithAKeyTheAttackerKnows_IsNeverUsedAsAKey()
    {
        // Eve plants, for Alice (a holder of generation 1), a stanza for a generation-2 namespace key she made, and a
        // namespace_keys row with a valid canary: the log commits to no generation 2.
        using var attackerKey = SymmetricKey.Generate();
        var canary = Aead.Seal(attackerKey, Contexts.CanaryPlaintext, Contexts.Canary(StoreId, NamespaceId("prod"), 2));
        RawDb.Execute(store.Path, "INSERT INTO namespace_keys VALUES ($ns, 2, $n, $c, 0)",
            ("$ns", RawDb.Uuid(NamespaceId("prod"))), ("$n", canary.Nonce), ("$c", canary.Ciphertext));
        PlantStanza(IdOf("alice"), ScopeKind.Namespace, NamespaceId("prod"), 2, attackerKey);
        using var alice = Connect("alice");
        using (var read = alice.GetSecret("prod", "db"))
        {
            Assert.Equal("v1", read.Value.GetString());
        }

        var check = alice.Check();
        Assert.Contains(check.KeyProblems, p => p.Contains("key generation 2", StringComparison.Ordinal));
    }

    // ---------------------------------------------------------------- property 1: the control log itself

    [Fact]
    public void P1_EditedControlEntry_IsRefusedNamingItsPosition()
    {
        var last = LogLength();
        using (var connection = RawDb.Open(store.Path))
        {
            RawDb.FlipByte(connection, "control_log", "entry", "sequence = $s", -80, ("$s", last - 1));
        }

        AssertConnectRefused("admin", $"control log entry {last - 1}");
    }

    [Fact]
    public void P1_DeletedControlEntry_InTheMiddle_IsRefused()
    {
        RawDb.Execute(store.Path, "DELETE FROM control_log WHERE sequence = 3");
        var error = AssertConnectRefused("admin", "control log entry 3");
        Assert.Contains("claims sequence 4 where 3 is next", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void P1_DeletedControlEntry_InTheMiddle_Renumbered_IsRefusedByTheChain()
    {
        RawDb.Execute(store.Path, "DELETE FROM control_log WHERE sequence = 3");
        var rows = LogRows();
        using (var connection = RawDb.Open(store.Path))
        {
            RawDb.Execute(connection, "DELETE FROM control_log");
            var position = 1L;
            foreach (var (_, entry) in rows)
            {
                // Renumbered: the sequence inside each entry is rewritten too (signatures then fail, or the chain does).
                var decoded = SignedControlEntry.Decode(entry) with { Sequence = position };
                RawDb.Execute(connection, "INSERT INTO control_log VALUES ($s, $e)", ("$s", position), ("$e", decoded.Encode()));
                position++;
            }
        }

        AssertConnectRefused("admin", "control log entry 3");
    }

    [Fact]
    public void P1_ReorderedControlEntries_AreRefused()
    {
        var last = LogLength();
        RawDb.Execute(store.Path,
            "UPDATE control_log SET sequence = -1 WHERE sequence = $a; UPDATE control_log SET sequence = $a WHERE sequence = $b; UPDATE control_log SET sequence = $b WHERE sequence = -1;",
            ("$a", last - 1), ("$b", last));
        AssertConnectRefused("admin", $"control log entry {last - 1}");
    }

    [Fact]
    public void P1_ForgedEntry_SignedWithAFreshKey_InTheAdminsName_IsRefused()
    {
        var state = Replay();
        using var fresh = ClientSigningKey.Generate();
        AppendEntry(state, IdOf("admin"), fresh, new Log.Grant(IdOf("eve"), ScopeKind.Namespace, NamespaceId("prod"), Permissions.All));
        var error = AssertConnectRefused("eve", $"control log entry {state.Sequence + 1}");
        Assert.Contains("signature does not verify with the signing key of its author 'admin'", error.Message);
    }

    [Fact]
    public void P1_ForgedEntry_SignedByAClientTheLogNeverAdded_IsRefused()
    {
        var state = Replay();
        using var fresh = ClientSigningKey.Generate();
        var stranger = Guid.NewGuid();
        AppendEntry(state, stranger, fresh, new Log.Grant(IdOf("eve"), ScopeKind.Namespace, NamespaceId("prod"), Permissions.All));
        var error = AssertConnectRefused("admin", $"control log entry {state.Sequence + 1}");
        Assert.Contains($"author {stranger} is not a client", error.Message);
    }

    [Fact]
    public void P1_MemberSigningAGrantToItself_WithItsRealKey_IsRefusedForLackingPermit()
    {
        using (var eve = Connect("eve"))
        {
            var state = Replay();
            AppendEntry(state, eve.ClientId, SigningKeyOf(eve), new Log.Grant(eve.ClientId, ScopeKind.Namespace, NamespaceId("prod"), Permissions.All));
        }

        var error = AssertConnectRefused("admin", $"control log entry {LogLength()}");
        Assert.Contains("'eve' lacks Permit", error.Message);
    }

    [Fact]
    public void P1_MemberSigningAnAdminEntry_IsRefused()
    {
        using (var bob = Connect("bob"))
        {
            var state = Replay();
            AppendEntry(state, bob.ClientId, SigningKeyOf(bob), new Log.UpdateClient(bob.ClientId, "bob", ClientRole.Admin));
        }

        var error = AssertConnectRefused("admin", $"control log entry {LogLength()}");
        Assert.Contains("'bob' is a member", error.Message);
    }

    [Fact]
    public void P1_MemberSigningANamespaceKeyGeneration_WithoutPermit_IsRefused()
    {
        // Bob holds Read and Write on prod: a generation he signs himself (to have writes go under a key of his) is refused.
        using (var bob = Connect("bob"))
        {
            var state = Replay();
            using var key = SymmetricKey.Generate();
            var secret = state.Secrets.Values.Single();
            using var secretKey = SymmetricKey.Generate();
            AppendEntry(state, bob.ClientId, SigningKeyOf(bob), new NamespaceKeyGeneration(NamespaceId("prod"), 2, KeyCommitment.Of(ScopeKind.Namespace, NamespaceId("prod"), 2, key),
                [new SecretKeyCommitment(secret.Id, KeyCommitment.Of(ScopeKind.Secret, secret.Id, 2, secretKey))]));
        }

        var error = AssertConnectRefused("admin", $"control log entry {LogLength()}");
        Assert.Contains("'bob'", error.Message);
    }

    [Fact]
    public void P1_EntryCopiedFromAnotherStore_IsRefused()
    {
        // Another store where the attacker is System: its entry granting "eve" everything, appended here.
        using var other = new TempStore();
        using (var system = other.ConnectSystem())
        {
            system.AddClient("eve", new ClientCredentialSpec { Kind = ClientKind.Generated });
            system.CreateNamespace("prod");
            system.Grant("eve", "prod", null, Permissions.All);
        }

        var otherRows = LogRows(other.Path);
        var (_, copied) = otherRows[^1];
        var next = LogLength() + 1;
        RawDb.Execute(store.Path, "INSERT INTO control_log VALUES ($s, $e)", ("$s", next), ("$e", (SignedControlEntry.Decode(copied) with { Sequence = next }).Encode()));
        AssertConnectRefused("admin", $"control log entry {next}");

        // The other store's whole log put in place of this one's: a different genesis, so no credential of this store opens it.
        RawDb.Execute(store.Path, "DELETE FROM control_log");
        foreach (var (sequence, entry) in otherRows)
        {
            RawDb.Execute(store.Path, "INSERT INTO control_log VALUES ($s, $e)", ("$s", sequence), ("$e", entry));
        }

        var error = Record.Exception(() => Connect("admin"));
        Assert.True(error is TamperedException or AuthenticationFailedException, $"{error}");
    }

    [Fact]
    public void P1_SecondGenesis_IsRefused()
    {
        // Signed by an existing client with its real key, at the right place: still refused.
        using (var eve = Connect("eve"))
        {
            var state = Replay();
            using var systemKey = ClientPrivateKey.Generate();
            using var signing = ClientSigningKey.Generate();
            AppendEntry(state, eve.ClientId, SigningKeyOf(eve), new Genesis(Guid.NewGuid(), ControlReplay.Format, new KdfFloor(8, 1, 1),
                new GenesisClient(eve.ClientId, "eve", ClientKind.Generated, systemKey.PublicKey.ExportSubjectPublicKeyInfo(), signing.VerifyingKey.ExportSubjectPublicKeyInfo())));
        }

        var error = AssertConnectRefused("admin", $"control log entry {LogLength()}");
        Assert.Contains("second genesis", error.Message);

        // Replacing entry 1 with a genesis the attacker signed: the chain breaks at entry 2.
        using var fresh = ClientPrivateKey.Generate();
        using var freshSigning = ClientSigningKey.Generate();
        var systemId = store.Created.ClientId;
        var genesis = ControlLog.Sign(null, systemId, freshSigning, new Genesis(StoreId, ControlReplay.Format, new KdfFloor(8, 1, 1),
            new GenesisClient(systemId, "system", ClientKind.Passphrase, fresh.PublicKey.ExportSubjectPublicKeyInfo(), freshSigning.VerifyingKey.ExportSubjectPublicKeyInfo())));
        RawDb.Execute(store.Path, "DELETE FROM control_log WHERE sequence = $last; UPDATE control_log SET entry = $e WHERE sequence = 1", ("$last", LogLength()), ("$e", genesis.Encode()));
        AssertConnectRefused("admin", "control log entry 2");
    }

    [Fact]
    public void P1_GapInTheLog_IsRefused()
    {
        var state = Replay();
        using var eve = Connect("eve");
        var signed = ControlLog.Sign(state with { Sequence = state.Sequence + 1 }, eve.ClientId, SigningKeyOf(eve), new Log.SetSecretMetadata(SecretId("db"), null));
        RawDb.Execute(store.Path, "INSERT INTO control_log VALUES ($s, $e)", ("$s", signed.Sequence), ("$e", signed.Encode()));
        AssertConnectRefused("admin", $"control log entry {state.Sequence + 1}");
    }

    // ---------------------------------------------------------------- property 4: credentials open only their store

    [Fact]
    public void P4_GeneratedClientsRowAndSigningKey_CopiedIntoAForgedStoreWithTheSameStoreIdAndAMatchingLog_DoNotOpen()
    {
        var adminId = IdOf("admin");
        var realState = Replay();
        var realAdmin = realState.Client(adminId)!;
        using var forged = new TempStore();
        using (var system = forged.ConnectSystem())
        {
            system.CreateNamespace("prod");
            // The forged store's System signs an add-client entry for "admin" with the victim's id and both its real
            // public keys, so the log agrees with the copied rows in everything.
            var state = Replay(forged.Path);
            AppendEntry(state, system.ClientId, SigningKeyOf(system), new Log.AddClient(adminId, "admin", ClientKind.Generated, ClientRole.Admin,
                realAdmin.EncryptionKeySpki, realAdmin.SigningKey.ExportSubjectPublicKeyInfo()), forged.Path);
        }

        RawDb.Execute(forged.Path, "ATTACH DATABASE $real AS real; " +
            "INSERT INTO clients SELECT * FROM real.clients WHERE name = 'admin'; " +
            "INSERT INTO signing_keys SELECT * FROM real.signing_keys WHERE client_id = (SELECT id FROM real.clients WHERE name = 'admin'); " +
            "UPDATE store_info SET store_id = (SELECT store_id FROM real.store_info);", ("$real", store.Path));
        using var credential = ClientCredential.FromGeneratedSecret(generated["admin"]);
        var error = Record.Exception(() => SecretStore.Open(forged.Path).Connect("admin", credential).Dispose());
        Assert.True(error is AuthenticationFailedException or TamperedException, $"the victim's credential opened a forged store: {error}");
        Assert.DoesNotContain(generated["admin"], error!.ToString());

        // The same file put in place of the real store: the same.
        ReplaceStoreFile(forged.Path);
        var replaced = Record.Exception(() => Connect("admin").Dispose());
        Assert.True(replaced is AuthenticationFailedException or TamperedException, $"the victim's credential opened a forged store put in place: {replaced}");
    }

    [Fact]
    public void P4_KeyFileClient_DoesNotConnectToAForgedStoreRegisteringItsPublicKey()
    {
        using var ciKey = ClientPrivateKey.Generate();
        using (var admin = Connect("admin"))
        {
            admin.AddClient("ci", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = ciKey.PublicKey });
            admin.Grant("ci", "prod", null, Permissions.Read | Permissions.Write);
        }

        // ci has used the real store from this machine once: its local head for the path holds the real log's entry.
        // (A key-file client has no envelope to bind, so a forged store it meets first, from a machine that never saw the
        // real one, is trusted on first use: KnownLimitsTests.KeyFileClient_TrustsTheFirstStoreItMeetsAtAPath.)
        using (var first = ClientCredential.FromPrivateKey(ciKey.Clone()))
        {
            SecretStore.Open(store.Path).Connect("ci", first).Dispose();
        }

        // The attacker's forged store, made with the public API only, then put where the real one was.
        using var forged = new TempStore();
        using (var system = forged.ConnectSystem())
        {
            system.CreateNamespace("prod");
            var publicKey = ClientPublicKey.FromSubjectPublicKeyInfo((byte[])RawDb.Scalar(store.Path, "SELECT public_key FROM clients WHERE name = 'ci'")!);
            system.AddClient("ci", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = publicKey });
            system.Grant("ci", "prod", null, Permissions.Read | Permissions.Write);
            system.SetSecret("prod", "db", SecretValue.FromString(Forged));
        }

        // (Its own store id is kept: the signing-key stanza is bound to it. Nothing compares it with the real store's.)
        ReplaceStoreFile(forged.Path);
        using var credential = ClientCredential.FromPrivateKey(ciKey);
        var error = Record.Exception(() =>
        {
            using var ci = SecretStore.Open(store.Path).Connect("ci", credential);
            using var read = ci.GetSecret("prod", "db");
            ci.SetSecret("prod", "deploy-token", SecretValue.FromString("ci's real token"));
            Assert.Fail($"ci connected to the forged store, read '{read.Value.GetString()}' and wrote its token under the attacker's keys");
        });
        Assert.True(error is AuthenticationFailedException or TamperedException, $"{error}");
    }

    [Fact]
    public void P4_HeaderStoreId_NotTheGenesisEntrys_IsRefused()
    {
        // Every ciphertext is bound to the header's store id; the signed one is the genesis entry's, and they must agree.
        RawDb.Execute(store.Path, "UPDATE store_info SET store_id = randomblob(16)");
        var before = RawDb.Fingerprint(store.Path);
        var error = Assert.Throws<TamperedException>(() => Connect("admin"));
        Assert.Contains("genesis entry names", error.Message);
        Assert.Equal(before, RawDb.Fingerprint(store.Path));
    }

    [Fact]
    public void SigningSeed_ReplacedWithTheAttackersOwn_WrappedToTheVictim_IsRefusedAtConnect()
    {
        // The attacker wraps a seed it knows to alice's public encryption key (stored in clear) with alice's context: her
        // credential opens it, but the key it gives is not the one the log names for her, so she would sign as someone else.
        var aliceId = IdOf("alice");
        var publicKey = ClientPublicKey.FromSubjectPublicKeyInfo((byte[])RawDb.Scalar(store.Path, "SELECT public_key FROM clients WHERE id = $id", ("$id", RawDb.Uuid(aliceId)))!);
        var (attackersKey, stanza) = SigningKeyStanza.Create(StoreId, aliceId, publicKey);
        attackersKey.Dispose();
        RawDb.Execute(store.Path, "UPDATE signing_keys SET algorithm = $a, header = $h, nonce = $n, wrapped_key = $k WHERE client_id = $id",
            ("$a", (int)stanza.Algorithm), ("$h", stanza.Header), ("$n", stanza.Nonce), ("$k", stanza.Ciphertext), ("$id", RawDb.Uuid(aliceId)));
        var before = StoreState();
        var error = Assert.Throws<TamperedException>(() => Connect("alice"));
        Assert.Contains("signing key", error.Message);
        Assert.Equal(before, StoreState());
    }

    // ---------------------------------------------------------------- property 5: audit

    [Fact]
    public void P5_DeletedAuditEntry_IsDetected()
    {
        RawDb.Execute(store.Path, "DELETE FROM audit WHERE sequence = 3");
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(result.IsValid);
        Assert.Equal(3, result.FirstBrokenSequence);
        using var admin = Connect("admin");
        Assert.False(admin.Check().Audit.IsValid);
    }

    [Fact]
    public void P5_AlteredAuditEntry_WithoutReHashing_IsDetected()
    {
        var target = AdminSecretSetEntry();
        RawDb.Execute(store.Path, "UPDATE audit SET target = 'other' WHERE sequence = $s", ("$s", target));
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(result.IsValid);
        Assert.Equal(target, result.FirstBrokenSequence);
    }

    [Fact]
    public void P5_AlteredSignedAuditEntry_ReHashedChain_IsDetected()
    {
        var target = AdminSecretSetEntry();
        Assert.NotNull(RawDb.Scalar(store.Path, "SELECT signature FROM audit WHERE sequence = $s", ("$s", target)) as byte[]);
        RewriteAudit(target, "UPDATE audit SET target = 'something-else', outcome = 'denied' WHERE sequence = $s", ("$s", target));
        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path)); // the chain itself is consistent again
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(result.IsValid, "an altered signed audit entry passes audit verify");
        Assert.Equal(target, result.FirstBrokenSequence);
        using var admin = Connect("admin");
        Assert.False(admin.Check().Audit.IsValid, "an altered signed audit entry passes store check");
    }

    [Fact]
    public void P5_AlteredSignedAuditEntry_ReHashedChain_IsDetectedByTheStateAwareVerifier()
    {
        // What the wiring above would give: AuditLog.Verify with the verified state does catch it.
        var target = AdminSecretSetEntry();
        RewriteAudit(target, "UPDATE audit SET target = 'something-else' WHERE sequence = $s", ("$s", target));
        var opened = SecretStore.Open(store.Path);
        var result = opened.Backend.Read(reader => Audit.AuditLog.Verify(reader, opened.StoreId, opened.Control.Read(reader, opened.Path)));
        Assert.False(result.IsValid);
        Assert.Equal(target, result.FirstBrokenSequence);
        Assert.Contains("'admin'", result.Problem);
    }

    [Fact]
    public void P5_AlteredAuditEntry_WithItsSignatureStripped_IsRefused()
    {
        var target = AdminSecretSetEntry();
        RewriteAudit(target, "UPDATE audit SET target = 'something-else', signature = NULL WHERE sequence = $s", ("$s", target));
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(result.IsValid, "an altered entry with its signature stripped passes audit verify");
        // Its run now ends at the admin's next signed entry, whose signature (over a hash chaining the altered entry) fails;
        // or, with none, the run is uncovered.
        Assert.True(result.FirstBrokenSequence >= target, $"the broken run is reported before the stripped entry: {result}");
        Assert.Contains("client 'admin'", result.Problem);
        Assert.Equal(result.FirstBrokenSequence, FormatReader.FirstBadAuditSignature(store.Path));
    }

    [Fact]
    public void P5_OneSignatureCoversARun_AndAnUnsignedEntryInIt_AlteredAndReHashed_IsRefused()
    {
        using (var admin = Connect("admin"))
        {
            for (var i = 0; i < 3; i++)
            {
                using var read = admin.GetSecret("prod", "db");
            }

            admin.FlushAudit();
        }

        // The flush wrote the connect and three reads as one run of admin's entries, signed once, on its last entry.
        var run = new List<(long Sequence, bool Signed)>();
        using (var db = RawDb.Open(store.Path, readOnly: true))
        using (var rows = RawDb.Command(db, "SELECT sequence, signature IS NOT NULL FROM audit ORDER BY sequence DESC LIMIT 4").ExecuteReader())
        {
            while (rows.Read())
            {
                run.Insert(0, (rows.GetInt64(0), rows.GetInt64(1) == 1));
            }
        }

        Assert.Equal([false, false, false, true], run.Select(r => r.Signed));
        Assert.True(SecretStore.Open(store.Path).VerifyAudit().IsValid);

        var firstRead = run[1].Sequence;
        RewriteAudit(firstRead, "UPDATE audit SET target = 'other' WHERE sequence = $s", ("$s", firstRead));
        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path)); // the chain itself is consistent again
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(result.IsValid, "an unsigned entry altered inside a signed run passes audit verify");
        Assert.Equal(run[3].Sequence, result.FirstBrokenSequence);
        Assert.Contains("does not verify with a signing key of client 'admin'", result.Problem);
        Assert.Equal(run[3].Sequence, FormatReader.FirstBadAuditSignature(store.Path));
    }

    [Fact]
    public void P5_TheSignedEndOfARun_CutOff_LeavesTheRestOfTheRunRefused()
    {
        using (var admin = Connect("admin"))
        {
            using var read = admin.GetSecret("prod", "db");
        }

        var last = (long)RawDb.Scalar(store.Path, "SELECT max(sequence) FROM audit")!;
        Assert.NotNull(RawDb.Scalar(store.Path, "SELECT signature FROM audit WHERE sequence = $s", ("$s", last)) as byte[]);
        RawDb.Execute(store.Path, "DELETE FROM audit WHERE sequence = $s", ("$s", last));
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(result.IsValid, "cutting off the signed end of a run leaves its other entries passing");
        Assert.Equal(last - 1, result.FirstBrokenSequence);
        Assert.Contains("names client 'admin' but is not signed by it", result.Problem);
    }

    [Fact]
    public void P5_ForgedAuditEntry_ClaimingToBeAClient_IsRefused()
    {
        var last = (long)RawDb.Scalar(store.Path, "SELECT max(sequence) FROM audit")!;
        var previous = (byte[])RawDb.Scalar(store.Path, "SELECT hash FROM audit WHERE sequence = $s", ("$s", last))!;
        var adminId = RawDb.Uuid(IdOf("admin"));
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var hash = System.Security.Cryptography.SHA256.HashData(FormatReader.AuditEntryAd(last + 1, at, adminId, "admin", "secret.remove", "prod", "db", null, "ok", null, "host", "user", 1, "cli", previous));
        RawDb.Execute(store.Path, "INSERT INTO audit VALUES ($s, $at, $c, 'admin', 'secret.remove', 'prod', 'db', NULL, 'ok', NULL, 'host', 'user', 1, 'cli', $p, $h, NULL)",
            ("$s", last + 1), ("$at", at), ("$c", adminId), ("$p", previous), ("$h", hash));
        var result = SecretStore.Open(store.Path).VerifyAudit();
        Assert.False(result.IsValid, "a forged entry in admin's name passes audit verify");
        Assert.Equal(last + 1, result.FirstBrokenSequence);
        Assert.Equal(last + 1, FormatReader.FirstBadAuditSignature(store.Path));
    }

    // ---------------------------------------------------------------- property 6: rollback and forks

    [Fact]
    public void P6_RolledBackStore_IsRefusedAtTheNextConnect_WithTheHint_AndAcceptRestoredStoreGoesThrough()
    {
        var old = Snapshot();
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "db", SecretValue.FromString("v2"));
        }

        using (Connect("admin"))
        {
            // This connect verified (and recorded) the head with v2.
        }

        PutBack(old);
        var before = RawDb.Fingerprint(store.Path);
        var error = Assert.Throws<TamperedException>(() => Connect("admin"));
        Assert.Equal(SecretOpsHint.AcceptRestoredStore, error.Hint);
        Assert.Contains("rolled back or forked", error.Message);
        Assert.Contains("behind entry", error.Message);
        Assert.Equal(before, RawDb.Fingerprint(store.Path));

        using var credential = ClientCredential.FromGeneratedSecret(generated["admin"]);
        using var accepted = SecretStore.Open(store.Path).Connect("admin", credential, new SessionOptions { AcceptRestoredStore = true });
        using var read = accepted.GetSecret("prod", "db");
        Assert.Equal("v1", read.Value.GetString());
    }

    [Fact]
    public void P6_ForkedStore_SameLengthDifferentEntry_IsRefused()
    {
        var old = Snapshot();
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "db", SecretValue.FromString("admin-v2"));
        }

        using (Connect("admin"))
        {
        }

        var length = LogLength();

        // On the old copy, Bob (who may write) makes one other entry: the same length, another entry at the end. He works
        // on another machine: here, the copy at another path (local heads are kept per path).
        var real = Snapshot();
        var elsewhere = old + ".bob.db";
        File.Copy(old, elsewhere);
        using (var bobCredential = ClientCredential.FromGeneratedSecret(generated["bob"]))
        using (var bob = SecretStore.Open(elsewhere).Connect("bob", bobCredential))
        {
            bob.SetSecret("prod", "db", SecretValue.FromString("bob-v2"));
        }

        ReplaceStoreFile(elsewhere);
        Assert.Equal(length, LogLength());
        var error = Assert.Throws<TamperedException>(() => Connect("admin"));
        Assert.Equal(SecretOpsHint.AcceptRestoredStore, error.Hint);
        Assert.Contains($"holds another entry {length}", error.Message);
        PutBack(real);
        using (Connect("admin"))
        {
        }
    }

    [Fact]
    public void P6_LogRewrittenBelowTheLocalHead_WithABadSignatureAndRechained_IsRefusedAtThatEntry()
    {
        // A connect does not verify again the entries up to the head this machine verified, but only when the replay
        // reaches that head with the same hash: a log rewritten below it (one entry re-signed by the attacker, every later
        // entry re-linked) has other hashes from there on, so every signature is verified and the first bad one is named.
        using (Connect("admin"))
        {
        }

        var length = LogLength();
        var target = 4L;
        using var attacker = ClientSigningKey.Generate();
        using (var db = RawDb.Open(store.Path))
        {
            byte[]? previousHash = null;
            for (var sequence = target; sequence <= length; sequence++)
            {
                var entry = SignedControlEntry.Decode((byte[])RawDb.Scalar(db, "SELECT entry FROM control_log WHERE sequence = $s", ("$s", sequence))!);
                entry = previousHash is null ? entry with { Signature = attacker.Sign(entry.SignedBytes()) } : entry with { PreviousHash = previousHash };
                RawDb.Execute(db, "UPDATE control_log SET entry = $e WHERE sequence = $s", ("$e", entry.Encode()), ("$s", sequence));
                previousHash = entry.Hash();
            }
        }

        RawDb.Checkpoint(store.Path);
        var error = Assert.Throws<TamperedException>(() => Connect("admin"));
        Assert.Equal($"control log entry {target}", error.Target);
        Assert.Contains("signature does not verify", error.Message);
    }

    [Fact]
    public void P6_RollbackUnderAnOpenSession_IsRefusedAtItsNextOperation()
    {
        var old = Snapshot();
        using var admin = Connect("admin");
        admin.SetSecret("prod", "db", SecretValue.FromString("v2"));
        PutBack(old);
        var error = Assert.Throws<TamperedException>(() => admin.GetSecret("prod", "db"));
        Assert.Contains("cut back or rewritten", error.Message);
    }

    [Fact]
    public void P6_RollbackOfTheVictimsOwnLastWrite_IsRefused()
    {
        var old = Snapshot();
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "db", SecretValue.FromString("v2"));
        }

        PutBack(old);
        var error = Record.Exception(() =>
        {
            using var admin = Connect("admin");
            using var read = admin.GetSecret("prod", "db");
            Assert.Fail($"after its own write of v2 was rolled back, the admin read '{read.Value.GetString()}' as current (version {read.Version})");
        });
        Assert.IsType<TamperedException>(error);
    }

    // ---------------------------------------------------------------- the hardening issue's attacks (issue 12)

    [Fact]
    public void Earlier_PlantedDeletePermission_NoLongerLetsAReaderRemoveTheSecret()
    {
        // KnownLimitsTests.DeleteAndPermit_AreRowsThatTheProgramEnforces_NotCryptography, on format 2.
        RawDb.Execute(store.Path, "UPDATE permissions SET flags = 15 WHERE client_id = (SELECT id FROM clients WHERE name = 'alice')");
        using (var alice = Connect("alice"))
        {
            Assert.Throws<AccessDeniedException>(() => alice.RemoveSecret("prod", "db"));
            Assert.Throws<AccessDeniedException>(() => alice.Grant("eve", "prod", null, Permissions.Read));
        }

        using var admin = Connect("admin");
        using var read = admin.GetSecret("prod", "db");
        Assert.Equal("v1", read.Value.GetString());
    }

    [Fact]
    public void Earlier_RevokedThenUnRevokedByRows_ReadsNothingWrittenAfter()
    {
        // RevocationAttackTests.AssertCannotRead: the revoked client plants every row it wants and reads.
        using (var admin = Connect("admin"))
        {
            admin.Revoke("bob", "prod", null);
            admin.SetSecret("prod", "db", SecretValue.FromString("after-revocation"));
        }

        RawDb.Execute(store.Path,
            "INSERT OR REPLACE INTO permissions SELECT c.id, 1, n.id, 15, c.id, 0 FROM clients c, namespaces n WHERE c.name = 'bob' AND n.name = 'prod'; " +
            "INSERT OR REPLACE INTO permissions SELECT c.id, 2, s.id, 15, c.id, 0 FROM clients c, secrets s WHERE c.name = 'bob' AND s.name = 'db';");
        using var bob = Connect("bob");
        var error = Record.Exception(() =>
        {
            using var read = bob.GetSecret("prod", "db");
            Assert.Fail($"bob read {read.Value.GetString()}");
        });
        Assert.True(error is AccessDeniedException or TamperedException, $"{error}");
        Assert.DoesNotContain("after-revocation", error.ToString());
    }

    [Fact]
    public void Earlier_RetiredClient_UnRetiredByRows_CannotConnect()
    {
        using (var admin = Connect("admin"))
        {
            admin.RetireClient("bob");
        }

        RawDb.Execute(store.Path, "UPDATE clients SET status = 1 WHERE name = 'bob'");
        Assert.Throws<TamperedException>(() => Connect("bob"));
    }

    [Fact]
    public void Earlier_SwappedSecretNames_AreStillRefused()
    {
        using (var admin = Connect("admin"))
        {
            admin.SetSecret("prod", "other", SecretValue.FromString("other value"));
        }

        RawDb.Execute(store.Path,
            "UPDATE secrets SET name = 'tmp', name_key = 'TMP' WHERE name = 'db'; " +
            "UPDATE secrets SET name = 'db', name_key = 'DB' WHERE name = 'other'; " +
            "UPDATE secrets SET name = 'other', name_key = 'OTHER' WHERE name = 'tmp';");
        using var again = Connect("admin");
        Assert.Throws<TamperedException>(() => again.GetSecret("prod", "db"));
        Assert.Throws<TamperedException>(() => again.GetSecret("prod", "other"));
    }

    [Fact]
    public void Earlier_LoweredStoreKdfDefaults_AreStillRefusedForANewPassphrase()
    {
        // KdfDowngradeTests on format 2: the header says weak; the command does not ask for weak.
        RawDb.Execute(store.Path, "UPDATE store_info SET kdf_memory_kib = 8, kdf_iterations = 1, kdf_parallelism = 1, allow_weak_kdf = 1");
        using var admin = Connect("admin");
        Assert.Throws<InvalidParameterException>(() =>
            admin.AddClient("dave", new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = "dave's passphrase".AsMemory() }));
    }

    [Fact]
    public void Earlier_LoweredStoreKdfDefaults_BelowTheGenesisFloor_AreRefused()
    {
        using var strong = new StrongerWeakStore();
        RawDb.Execute(strong.Path, "UPDATE store_info SET kdf_memory_kib = 8, kdf_iterations = 1");
        using var system = strong.Connect();
        var error = Record.Exception(() =>
            system.AddClient("dave", new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = "dave's passphrase".AsMemory(), AllowWeakKdf = true }));
        Assert.True(error is InvalidParameterException or TamperedException,
            $"sealed at m={RawDb.Scalar(strong.Path, "SELECT kdf_memory_kib FROM clients WHERE name = 'dave'")} KiB below the genesis floor of 256 KiB");
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A store created weak, but with defaults (m = 256 KiB, t = 2) above what it is later lowered to.</summary>
    private sealed class StrongerWeakStore : IDisposable
    {
        private readonly TempDirectory directory = new();

        public StrongerWeakStore()
        {
            Path = directory.File("store.db");
            SecretStore.Create(Path, new StoreCreateOptions
            {
                Passphrase = TempStore.Passphrase.AsMemory(),
                Kdf = new Argon2Parameters(Argon2Type.Argon2id, iterations: 2, memoryKiB: 256, parallelism: 1),
                AllowWeakKdf = true,
            });
        }

        public string Path { get; }

        public Session Connect()
        {
            using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
            return SecretStore.Open(Path).Connect(SecretStore.SystemClientName, credential);
        }

        public void Dispose() => directory.Dispose();
    }

    /// <summary>
    /// Alice (Read only) makes version 2 of db as a writer would: "forged" sealed under the secret key she can unwrap,
    /// bound to everything a value is bound to; with <paramref name="bumpPointer"/> the secret row points at it.
    /// Returns the ciphertext and its value digest.
    /// </summary>
    private (SealedData Value, byte[] Digest) ForgeVersionAsAlice(bool bumpPointer)
    {
        Dictionary<KeyScope, byte[]> keys;
        using (var alice = Connect("alice"))
        {
            using (alice.GetSecret("prod", "db"))
            {
            }

            keys = KeysOf(alice);
        }

        var secretId = SecretId("db");
        using var secretKey = SymmetricKey.FromBytes(keys[new KeyScope(ScopeKind.Secret, secretId, 1)]);
        using var value = SecretValue.FromString(Forged);
        var sealedValue = Aead.Seal(secretKey, value.Serialized, Contexts.Value(StoreId, NamespaceId("prod"), "prod", secretId, "db", 2, 1, SecretValueType.String));
        RawDb.Execute(store.Path, "INSERT INTO versions VALUES ($s, 2, 1, 1, $n, $c, $at, (SELECT id FROM clients WHERE name = 'admin'))",
            ("$s", RawDb.Uuid(secretId)), ("$n", sealedValue.Nonce), ("$c", sealedValue.Ciphertext), ("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        if (bumpPointer)
        {
            RawDb.Execute(store.Path, "UPDATE secrets SET current_version = 2 WHERE id = $s", ("$s", RawDb.Uuid(secretId)));
        }

        return (sealedValue, KeyCommitment.OfValue(sealedValue));
    }

    /// <summary>
    /// Eve (no grant, no key) "rotates" prod: a namespace key generation 2 she made with a valid canary, stanzas wrapped to
    /// every holder from the public keys in clients, db's key generation 2 wrapped under it, and (when
    /// <paramref name="bumpColumns"/>) the key_generation columns moved to 2. Returns her namespace key.
    /// </summary>
    private SymmetricKey PlantNamespaceKeyGeneration(bool bumpColumns)
    {
        var nsId = NamespaceId("prod");
        var secretId = SecretId("db");
        var namespaceKey = SymmetricKey.Generate();
        using var secretKey = SymmetricKey.Generate();
        var canary = Aead.Seal(namespaceKey, Contexts.CanaryPlaintext, Contexts.Canary(StoreId, nsId, 2));
        var wrapped = Aead.SealKey(namespaceKey, secretKey, Contexts.WrappedSecretKey(StoreId, nsId, secretId, 2, 2));
        RawDb.Execute(store.Path, "INSERT INTO namespace_keys VALUES ($ns, 2, $n, $c, 0); INSERT INTO secret_keys VALUES ($s, 2, 2, $wn, $w);",
            ("$ns", RawDb.Uuid(nsId)), ("$n", canary.Nonce), ("$c", canary.Ciphertext), ("$s", RawDb.Uuid(secretId)), ("$wn", wrapped.Nonce), ("$w", wrapped.Ciphertext));
        var holders = RawDb.Rows(store.Path, "stanzas").Count; // sanity: rows exist
        Assert.True(holders > 0);
        using (var connection = RawDb.Open(store.Path))
        {
            var recipients = new List<Guid>();
            using (var command = RawDb.Command(connection, "SELECT DISTINCT client_id FROM stanzas WHERE scope_kind = 1 AND scope_id = $ns AND generation = 1", ("$ns", RawDb.Uuid(nsId))))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    recipients.Add(RawDb.Uuid(reader.GetValue(0)));
                }
            }

            Assert.True(recipients.Count >= 3); // admin, alice, bob
            foreach (var recipient in recipients)
            {
                PlantStanza(connection, recipient, ScopeKind.Namespace, nsId, 2, namespaceKey);
            }

            if (bumpColumns)
            {
                RawDb.Execute(connection, "UPDATE namespaces SET key_generation = 2 WHERE id = $ns; UPDATE secrets SET key_generation = 2 WHERE id = $s;",
                    ("$ns", RawDb.Uuid(nsId)), ("$s", RawDb.Uuid(secretId)));
            }
        }

        return namespaceKey;
    }

    private void PlantStanza(Guid recipient, ScopeKind kind, Guid scopeId, int generation, SymmetricKey key)
    {
        using var connection = RawDb.Open(store.Path);
        PlantStanza(connection, recipient, kind, scopeId, generation, key);
    }

    /// <summary>Wraps <paramref name="key"/> to the recipient's public key as stored in clients, as any stanza is wrapped.</summary>
    private void PlantStanza(Microsoft.Data.Sqlite.SqliteConnection connection, Guid recipient, ScopeKind kind, Guid scopeId, int generation, SymmetricKey key)
    {
        var publicKey = ClientPublicKey.FromSubjectPublicKeyInfo((byte[])RawDb.Scalar(connection, "SELECT public_key FROM clients WHERE id = $id", ("$id", RawDb.Uuid(recipient)))!);
        var context = kind == ScopeKind.Namespace ? Contexts.NamespaceKey(StoreId, scopeId, generation) : Contexts.SecretKey(StoreId, scopeId, generation);
        var stanza = Stanza.Wrap(key, recipient, publicKey, context);
        RawDb.Execute(connection, "INSERT OR REPLACE INTO stanzas VALUES ($c, $k, $s, $g, $a, $h, $n, $w)",
            ("$c", RawDb.Uuid(recipient)), ("$k", (int)kind), ("$s", RawDb.Uuid(scopeId)), ("$g", generation), ("$a", (int)stanza.Algorithm),
            ("$h", stanza.Header), ("$n", stanza.Nonce), ("$w", stanza.Ciphertext));
    }

    /// <summary>Runs <paramref name="sql"/> on the audit table, then re-hashes the chain from <paramref name="from"/> on, as an attacker would.</summary>
    private void RewriteAudit(long from, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = RawDb.Open(store.Path);
        RawDb.Execute(connection, sql, parameters);
        FormatReader.ReHashAuditChain(connection, from);
    }

    /// <summary>The sequence of the admin's signed audit entry for setting db.</summary>
    private long AdminSecretSetEntry() => (long)RawDb.Scalar(store.Path,
        "SELECT min(sequence) FROM audit WHERE action = 'secret.set' AND client_name = 'admin' AND signature IS NOT NULL")!;

    private TamperedException AssertConnectRefused(string client, string target)
    {
        var before = StoreState();
        var error = Assert.Throws<TamperedException>(() => Connect(client));
        Assert.Equal(target, error.Target);
        Assert.Contains(target, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("SecretOps.Tampered", error.ErrorId);
        Assert.Equal(before, StoreState());
        return error;
    }

    /// <summary>Every row but the audit log and the clients' last-used times (a connect notes them): what a refused operation must leave as it was.</summary>
    private string StoreState() =>
        RawDb.Fingerprint(store.Path, "audit", "clients")
        + string.Join('\n', RawDb.Rows(store.Path, "(SELECT id, name, description, kind, role, status, public_key, kdf_salt, private_key_nonce, private_key FROM clients)", "id"));

    private static void AssertNames(TamperedException error, string what)
    {
        Assert.Equal("SecretOps.Tampered", error.ErrorId);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }

    private string Snapshot()
    {
        RawDb.Checkpoint(store.Path);
        var copy = System.IO.Path.Combine(store.Directory, $"snapshot-{Guid.NewGuid():N}.db");
        File.Copy(store.Path, copy);
        return copy;
    }

    private void PutBack(string snapshot)
    {
        RawDb.Checkpoint(store.Path);
        File.Copy(snapshot, store.Path, overwrite: true);
    }

    /// <summary>Puts another store file (checkpointed first) where the victim's store is.</summary>
    private void ReplaceStoreFile(string other)
    {
        RawDb.Checkpoint(other);
        PutBack(other);
    }

    private AccessState Replay(string? path = null) =>
        ControlReplay.ReplayAll(LogRows(path).Select(r => ControlView.Decode(r.Sequence, r.Entry)));

    private List<(long Sequence, byte[] Entry)> LogRows(string? path = null)
    {
        using var connection = RawDb.Open(path ?? store.Path, readOnly: true);
        using var command = RawDb.Command(connection, "SELECT sequence, entry FROM control_log ORDER BY sequence");
        using var reader = command.ExecuteReader();
        var rows = new List<(long, byte[])>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return rows;
    }

    private long LogLength() => (long)RawDb.Scalar(store.Path, "SELECT max(sequence) FROM control_log")!;

    private void AppendEntry(AccessState state, Guid author, ClientSigningKey key, ControlEntry entry, string? path = null)
    {
        var signed = ControlLog.Sign(state, author, key, entry);
        RawDb.Execute(path ?? store.Path, "INSERT INTO control_log VALUES ($s, $e)", ("$s", signed.Sequence), ("$e", signed.Encode()));
    }

    /// <summary>The signing key a connected session holds (the attacker's own, for a client it controls).</summary>
    private static ClientSigningKey SigningKeyOf(Session session) =>
        (ClientSigningKey)typeof(Session).GetField("signingKey", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(session)!;

    /// <summary>Copies of every key a session has unwrapped, by scope: what a client keeps after it is revoked.</summary>
    private static Dictionary<KeyScope, byte[]> KeysOf(Session session)
    {
        var ring = (KeyRing)typeof(Session).GetField("keys", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(session)!;
        var cache = (IDictionary)typeof(KeyRing).GetField("keys", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(ring)!;
        var copies = new Dictionary<KeyScope, byte[]>();
        foreach (DictionaryEntry entry in cache)
        {
            copies[(KeyScope)entry.Key] = ((SymmetricKey)entry.Value!).Bytes.ToArray();
        }

        return copies;
    }

    private Guid StoreId => RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT store_id FROM store_info")!);

    private Guid NamespaceId(string name) => RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT id FROM namespaces WHERE name = $n", ("$n", name))!);

    private Guid SecretId(string name) => RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT id FROM secrets WHERE name = $n", ("$n", name))!);

    private Guid IdOf(string client) => RawDb.Uuid(RawDb.Scalar(store.Path, "SELECT id FROM clients WHERE name = $n", ("$n", client))!);

    private long StanzaCount(string client) =>
        (long)RawDb.Scalar(store.Path, "SELECT count(*) FROM stanzas s JOIN clients c ON c.id = s.client_id WHERE c.name = $name", ("$name", client))!;

    private void AddGenerated(Session session, string name, ClientRole role) =>
        generated[name] = session.AddClient(name, new ClientCredentialSpec { Kind = ClientKind.Generated }, role).ClientSecret!;

    private Session Connect(string name)
    {
        using var credential = ClientCredential.FromGeneratedSecret(generated[name]);
        return SecretStore.Open(store.Path).Connect(name, credential);
    }
}
