using System.Security.Cryptography;
using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;
using SecretOps.Core.Tests.Store;

namespace SecretOps.Core.Tests.Storage;

/// <summary>
/// What every <see cref="IStoreBackend"/> must guarantee, exercised through the seam alone: each change of a
/// <see cref="WriteBatch"/> is read back as written; a batch applies whole or not at all; the reader of a write sees
/// the store, never the batch; writers on one store lose nothing; failures are SecretOps errors. A backend plugs in by
/// deriving from this class and saying how to make a new store and how to open a second backend on it.
/// </summary>
/// <remarks>
/// Only <see cref="BackupTo_WritesAFileStore_WithTheSameRows"/> names a concrete backend: a backup is a file store,
/// whatever it was taken from.
/// </remarks>
public abstract class BackendContract : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2024, 2, 29, 23, 59, 58, 789, TimeSpan.Zero);
    private static readonly byte[] Genesis = RandomNumberGenerator.GetBytes(32);
    private readonly TempDirectory scratch = new("secretops-contract-");
    private readonly StoreHeader header = new(Guid.NewGuid(), T0, AllowWeakKdf: true, new Argon2Parameters(Argon2Type.Argon2id, 3, 65536, 4));
    private IStoreBackend? store;

    /// <summary>A new store holding only <paramref name="header"/>, kept by the subclass until it is disposed.</summary>
    private protected abstract IStoreBackend NewStore(StoreHeader header);

    /// <summary>A second, independent backend on the store <paramref name="first"/> is on (as another process would open it).</summary>
    private protected abstract IStoreBackend OpenAgain(IStoreBackend first);

    /// <summary>Whether a writer waits for a reader's snapshot to end before it commits (a rollback journal), rather than committing beside it.</summary>
    private protected virtual bool WritersWaitForReaders => false;

    /// <summary>The store of the test, made at first use.</summary>
    private protected IStoreBackend Store => store ??= NewStore(header);

    /// <summary>A path in this test's scratch directory.</summary>
    private protected string ScratchFile(string name) => scratch.File(name);

    // ---- Every change round-trips through its lookup ----

    [Fact]
    public void Header_AndEmptyStore_ReadBackAsWritten()
    {
        var read = Store.Read(r => (r.Header(), r.Statistics(), r.Clients(), r.Namespaces(), r.LastAuditEntry()));
        Assert.NotNull(read.Item1);
        Assert.Equal(header.StoreId, read.Item1.StoreId);
        Assert.Equal(T0, read.Item1.Created);
        Assert.True(read.Item1.AllowWeakKdf);
        Assert.Equal((65536, 3, 4), (read.Item1.Kdf.MemoryKiB, read.Item1.Kdf.Iterations, read.Item1.Kdf.Parallelism));
        Assert.Equal((0, 0, 0, 0L), (read.Item2.Namespaces, read.Item2.Secrets, read.Item2.Clients, read.Item2.AuditEntries));
        Assert.Empty(read.Item3);
        Assert.Empty(read.Item4);
        Assert.Null(read.Item5);
    }

    [Fact]
    public void Clients_RoundTrip_WithNullsAndEveryKind_AndAreFoundByIdInAnyFormOrByNameIgnoringCase()
    {
        var world = Seed();
        var clients = Store.Read(r => r.Clients());
        Assert.Equal(["alice", "Bob", "carol"], clients.Select(c => c.Name));
        Assert.Equal(Describe(world.Alice), Describe(clients[0]));
        Assert.Equal(Describe(world.Bob), Describe(clients[1]));
        Assert.Equal(Describe(world.Carol), Describe(clients[2]));
        Assert.Null(clients[2].Protection);
        Assert.Null(clients[1].Protection!.Kdf);
        Assert.Null(clients[1].Description);

        Store.Read(r =>
        {
            Assert.Equal(world.Bob.Id, r.FindClient("BOB")?.Id);
            Assert.Equal(world.Bob.Id, r.FindClient("bob")?.Id);
            Assert.Equal(world.Alice.Id, r.FindClient(world.Alice.Id.ToString("B").ToUpperInvariant())?.Id);
            Assert.Equal(world.Alice.Id, r.FindClient(world.Alice.Id.ToString("N"))?.Id);
            Assert.Null(r.FindClient("bo"));
            Assert.Null(r.FindClient(Guid.NewGuid().ToString()));
            Assert.Equal(ClientStatus.Retired, r.ClientStatus(world.Carol.Id));
            Assert.Null(r.ClientStatus(Guid.NewGuid()));
            Assert.Equal("Bob", r.ClientName(world.Bob.Id));
            Assert.Null(r.ClientName(Guid.NewGuid()));
            return 0;
        });
    }

    [Fact]
    public void ClientChanges_UpdateStatusKeyAndUse_ReadBackAsWritten()
    {
        var world = Seed();
        using var newKey = ClientPrivateKey.Generate(ClientKeyAlgorithm.EcP384);
        var protection = new KeyProtection(Bytes(16), new Argon2Parameters(Argon2Type.Argon2id, 2, 1024, 1), new SealedData(Bytes(12), Bytes(48)));
        var used = T0.AddDays(3).AddMilliseconds(1);
        Commit(Store,
            new UpdateClient(world.Bob.Id, "robert", "Robert — ünïcode ✓", ClientRole.Admin),
            new SetClientStatus(world.Bob.Id, ClientStatus.Disabled),
            new ReplaceClientKey(world.Bob.Id, ClientKind.Passphrase, newKey.PublicKey, protection),
            new NoteClientUse(world.Bob.Id, used),
            new UpdateClient(world.Alice.Id, "alice", null, ClientRole.Member),
            new ReplaceClientKey(world.Alice.Id, ClientKind.KeyFile, newKey.PublicKey, null));

        var expectedBob = world.Bob with
        {
            Name = "robert", Description = "Robert — ünïcode ✓", Role = ClientRole.Admin, Status = ClientStatus.Disabled, Kind = ClientKind.Passphrase,
            PublicKey = newKey.PublicKey, Protection = protection, LastUsed = used,
        };
        var expectedAlice = world.Alice with { Description = null, Role = ClientRole.Member, Kind = ClientKind.KeyFile, PublicKey = newKey.PublicKey, Protection = null };
        Store.Read(r =>
        {
            Assert.Equal(Describe(expectedBob), Describe(r.FindClient("ROBERT")!));
            Assert.Null(r.FindClient("bob"));
            Assert.Equal(Describe(expectedAlice), Describe(r.FindClient("alice")!));
            return 0;
        });
    }

    [Fact]
    public void Namespaces_RoundTrip_AndAreFoundByNameIgnoringCase_AndChangesApply()
    {
        var world = Seed();
        Store.Read(r =>
        {
            Assert.Equal([world.Other, world.Prod], r.Namespaces());
            Assert.Equal(world.Prod, r.FindNamespace("PROD"));
            Assert.Equal(world.Prod, r.GetNamespace(world.Prod.Id));
            Assert.Null(r.FindNamespace("pro"));
            Assert.Null(r.GetNamespace(Guid.NewGuid()));
            Assert.Equal(2, r.CountSecrets(world.Prod.Id));
            Assert.Equal(1, r.CountSecrets(world.Other.Id));
            Assert.True(r.NamespaceKeyExists(world.Prod.Id, 1));
            Assert.False(r.NamespaceKeyExists(world.Prod.Id, 2));
            return 0;
        });

        var canary = new SealedData(Bytes(12), Bytes(40));
        Commit(Store,
            new UpdateNamespace(world.Prod.Id, null, null),
            new UpdateNamespace(world.Other.Id, "Ünïcode — described", 3),
            new InsertNamespaceKey(world.Prod.Id, 2, canary, T0.AddHours(1)),
            new SetNamespaceKeyGeneration(world.Prod.Id, Expected: 1, Generation: 2),
            new PutStanza(new KeyScope(ScopeKind.Namespace, world.Prod.Id, 2), StanzaFor(world.Alice.Id)));

        Store.Read(r =>
        {
            Assert.Equal(world.Prod with { Description = null, MaxVersions = null, KeyGeneration = 2 }, r.GetNamespace(world.Prod.Id));
            Assert.Equal(world.Other with { Description = "Ünïcode — described", MaxVersions = 3 }, r.GetNamespace(world.Other.Id));
            Assert.True(r.NamespaceKeyExists(world.Prod.Id, 2));
            var canaries = r.CanariesHeldBy(world.Alice.Id);
            Assert.Equal([("other", 1), ("prod", 1), ("prod", 2)], canaries.Select(c => (c.Namespace, c.Generation)));
            Assert.Equal(Describe(canary), Describe(canaries[2].Canary));
            Assert.Equal(["prod:1"], r.CanariesHeldBy(world.Bob.Id).Select(c => $"{c.Namespace}:{c.Generation}"));
            return 0;
        });
    }

    [Fact]
    public void Secrets_RoundTrip_WithNullsTimesAndUnicodeNames_AndAreFoundByNameKeyInFullUnicode()
    {
        var world = Seed();
        Store.Read(r =>
        {
            Assert.Equal(world.Db, r.GetSecret(world.Db.Id));
            Assert.Equal(world.Emile, r.GetSecret(world.Emile.Id));
            Assert.Null(world.Emile.Metadata);
            Assert.Null(world.Emile.ExpiresAt);

            // The name key is full-Unicode upper case: "émile" and "ÉMILE" are the one secret "Émile".
            Assert.Equal(world.Emile, r.FindSecret(world.Prod.Id, Names.LookupKey("émile")));
            Assert.Equal(world.Emile, r.FindSecret(world.Prod.Id, Names.LookupKey("ÉMILE")));
            Assert.Null(r.FindSecret(world.Prod.Id, Names.LookupKey("Emile")));
            Assert.Null(r.FindSecret(world.Other.Id, Names.LookupKey("Émile")));
            Assert.Equal([world.Db, world.Emile], r.Secrets(world.Prod.Id));
            Assert.Equal([world.Emile], r.Secrets(world.Prod.Id, nameKey: "ÉMILE"));
            Assert.Equal([Listed(world.Db), Listed(world.Emile)], r.ListedSecrets(world.Prod.Id));
            Assert.Equal([Listed(world.Emile)], r.ListedSecrets(world.Prod.Id, nameKey: "ÉMILE"));
            Assert.Equal([(world.Db.Id, 1), (world.Emile.Id, 1)], r.SecretKeyGenerations(world.Prod.Id).OrderBy(s => s.SecretId == world.Emile.Id));
            return 0;
        });
    }

    [Fact]
    public void SecretsByNameKeyPrefix_MatchExactlyThoseStartingWithIt()
    {
        var world = Seed();
        var names = new[] { "db-user", "DB-Replica", "dbx", "app-db-", "Éclair", "ezra", "école" };
        var changes = new List<StoreChange>();
        foreach (var name in names)
        {
            changes.Add(new InsertSecret(NewSecret(world.Other.Id, name, world), world.Alice.Id));
        }

        Commit(Store, [.. changes]);
        Store.Read(r =>
        {
            Assert.Equal(["DB-Replica", "db-user"], r.Secrets(world.Other.Id, nameKeyPrefix: "DB-").Select(s => s.Name).Order(StringComparer.Ordinal));
            Assert.Equal(["Éclair", "école"], r.Secrets(world.Other.Id, nameKeyPrefix: "É").Select(s => s.Name).Order(StringComparer.Ordinal));
            Assert.Empty(r.Secrets(world.Other.Id, nameKeyPrefix: "ZZ"));
            Assert.Equal(["token"], r.Secrets(world.Other.Id, nameKeyPrefix: "TOK").Select(s => s.Name));
            Assert.Equal(r.Secrets(world.Other.Id, nameKeyPrefix: "É").Select(Listed), r.ListedSecrets(world.Other.Id, nameKeyPrefix: "É"));
            return 0;
        });
    }

    [Fact]
    public void SecretChanges_UpdateAndKeyGenerations_ReadBackAsWritten()
    {
        var world = Seed();
        var updated = world.Db with
        {
            Type = SecretValueType.Bytes, CurrentVersion = 2, Metadata = null, ExpiresAt = null, Updated = T0.AddMinutes(5).AddMilliseconds(7), UpdatedBy = "Bob",
        };
        Commit(Store,
            new InsertVersion(world.Db.Id, new VersionRow(2, 1, SecretValueType.Bytes, Sealed()), T0.AddMinutes(5), world.Bob.Id),
            new UpdateSecret(updated, ExpectedVersion: 1, world.Bob.Id),
            new AdvanceSecretKeyGenerations(world.Prod.Id, SecretCount: 2),
            new SetSecretKeyGeneration(world.Token.Id, Expected: 1, Generation: 7));

        Store.Read(r =>
        {
            Assert.Equal(updated with { KeyGeneration = 2 }, r.GetSecret(world.Db.Id));
            Assert.Equal(world.Emile with { KeyGeneration = 2 }, r.GetSecret(world.Emile.Id));
            Assert.Equal(7, r.GetSecret(world.Token.Id)!.KeyGeneration);
            return 0;
        });
    }

    [Fact]
    public void VersionsAndSecretKeys_RoundTrip_AndPruningRemovesExactlyTheOldOnes()
    {
        var world = Seed();
        var v2 = new VersionRow(2, 1, SecretValueType.Credential, Sealed());
        var v3 = new VersionRow(3, 2, SecretValueType.String, Sealed());
        var key2 = new SealedData(Bytes(12), Bytes(48));
        Commit(Store,
            new InsertVersion(world.Db.Id, v2, T0.AddSeconds(1), world.Bob.Id),
            new InsertVersion(world.Db.Id, v3, T0.AddSeconds(2), world.Alice.Id),
            new InsertSecretKey(world.Db.Id, 2, 1, key2),
            new UpdateSecret(world.Db with { CurrentVersion = 3 }, 1, world.Alice.Id),
            new InsertVersion(world.Emile.Id, new VersionRow(2, 1, SecretValueType.String, Sealed()), T0, world.Alice.Id),
            new UpdateSecret(world.Emile with { CurrentVersion = 2 }, 1, world.Alice.Id));

        Store.Read(r =>
        {
            Assert.Equal(Describe(world.DbV1), Describe(r.Version(world.Db.Id, 1)!));
            Assert.Equal(Describe(v2), Describe(r.Version(world.Db.Id, 2)!));
            Assert.Equal(Describe(v3), Describe(r.Version(world.Db.Id, 3)!));
            Assert.Null(r.Version(world.Db.Id, 4));
            Assert.Equal(
                [new VersionSummary(1, SecretValueType.String, T0, world.Alice.Id), new VersionSummary(2, SecretValueType.Credential, T0.AddSeconds(1), world.Bob.Id),
                 new VersionSummary(3, SecretValueType.String, T0.AddSeconds(2), world.Alice.Id)],
                r.Versions(world.Db.Id));
            var wrapped = r.WrappedSecretKey(world.Db.Id, 2)!;
            Assert.Equal((1, Describe(key2)), (wrapped.NamespaceGeneration, Describe(wrapped.Wrapped)));
            Assert.Null(r.WrappedSecretKey(world.Db.Id, 3));
            return 0;
        });

        // Retention: one secret up to version 1; then every secret of prod keeps its newest one.
        Commit(Store, new PruneVersions(world.Db.Id, 1));
        Assert.Equal([2, 3], Store.Read(r => r.Versions(world.Db.Id)).Select(v => v.Number));
        Assert.Equal([1, 2], Store.Read(r => r.Versions(world.Emile.Id)).Select(v => v.Number));
        Commit(Store, new PruneVersionsIn(world.Prod.Id, 1));
        Assert.Equal([3], Store.Read(r => r.Versions(world.Db.Id)).Select(v => v.Number));
        Assert.Equal([2], Store.Read(r => r.Versions(world.Emile.Id)).Select(v => v.Number));
        Assert.Equal([1], Store.Read(r => r.Versions(world.Token.Id)).Select(v => v.Number));

        Commit(Store, new RemoveVersion(world.Db.Id, 3));
        Assert.Empty(Store.Read(r => r.Versions(world.Db.Id)));
    }

    [Fact]
    public void Stanzas_RoundTrip_PutReplacesTheOneForTheSameGeneration_AndHolderQueriesSeeThem()
    {
        var world = Seed();
        var scope = new KeyScope(ScopeKind.Secret, world.Db.Id, 1);
        var replacement = StanzaFor(world.Alice.Id, StanzaAlgorithm.RsaOaepSha256);
        Commit(Store, new PutStanza(scope, replacement));

        Store.Read(r =>
        {
            Assert.Equal(Describe(replacement), Describe(r.Stanza(world.Alice.Id, scope)!));
            Assert.Equal(Describe(world.Stanzas[(world.Bob.Id, scope)]), Describe(r.Stanza(world.Bob.Id, scope)!));
            Assert.Null(r.Stanza(world.Alice.Id, scope with { Generation = 2 }));
            Assert.Null(r.Stanza(world.Carol.Id, scope));
            Assert.Equal(world.Stanzas.Keys.Where(k => k.Client == world.Alice.Id).Select(k => k.Scope).OrderBy(Key), r.StanzasOf(world.Alice.Id).OrderBy(Key));
            Assert.True(r.HasStanza(world.Bob.Id, ScopeKind.Secret, world.Db.Id));
            Assert.False(r.HasStanza(world.Bob.Id, ScopeKind.Secret, world.Emile.Id));
            Assert.False(r.HasStanza(world.Bob.Id, ScopeKind.Namespace, world.Db.Id));
            Assert.True(r.HasSecretStanzasIn(world.Bob.Id, world.Prod.Id));
            Assert.False(r.HasSecretStanzasIn(world.Bob.Id, world.Other.Id));
            Assert.True(r.HasOtherActiveHolder(ScopeKind.Secret, world.Db.Id, world.Alice.Id));
            Assert.False(r.HasOtherActiveHolder(ScopeKind.Secret, world.Emile.Id, world.Alice.Id));
            return 0;
        });
    }

    [Fact]
    public void Permissions_RoundTrip_PutReplaces_AndRemovalsTakeExactlyTheAddressedGrants()
    {
        var world = Seed();
        Store.Read(r =>
        {
            Assert.Equal(Permissions.Read | Permissions.Write, r.Flags(world.Alice.Id, ScopeKind.Namespace, world.Prod.Id));
            Assert.Equal(Permissions.None, r.Flags(world.Alice.Id, ScopeKind.Secret, world.Db.Id));
            Assert.Equal(Permissions.Read | Permissions.Write, r.EffectiveFlags(world.Bob.Id, world.Prod.Id, world.Db.Id));
            Assert.Equal(Permissions.Read, r.EffectiveFlags(world.Bob.Id, world.Prod.Id, world.Emile.Id));
            Assert.Equal(Permissions.Read, r.EffectiveFlags(world.Bob.Id, world.Prod.Id, null));
            Assert.Equal([(world.Db.Id, Permissions.Write)], r.SecretGrantsIn(world.Bob.Id, world.Prod.Id));
            Assert.Equal(
                [new PermissionRow("alice", world.Alice.Id, ScopeKind.Namespace, world.Other.Id, "other", null, Permissions.Read, "alice", T0),
                 new PermissionRow("alice", world.Alice.Id, ScopeKind.Namespace, world.Prod.Id, "prod", null, Permissions.Read | Permissions.Write, "alice", T0),
                 new PermissionRow("Bob", world.Bob.Id, ScopeKind.Namespace, world.Prod.Id, "prod", null, Permissions.Read, "alice", T0),
                 new PermissionRow("Bob", world.Bob.Id, ScopeKind.Secret, world.Prod.Id, "prod", "db-password", Permissions.Write, "alice", T0.AddMilliseconds(1))],
                r.Permissions(null, null, null));
            Assert.Equal(["prod/", "prod/db-password"], r.Permissions(world.Bob.Id, world.Prod.Id, world.Db.Id).Select(p => $"{p.Namespace}/{p.Secret}"));
            Assert.Equal(["prod/"], r.Permissions(world.Bob.Id, world.Prod.Id, world.Emile.Id).Select(p => $"{p.Namespace}/{p.Secret}"));
            return 0;
        });

        Commit(Store, new PutPermission(world.Bob.Id, ScopeKind.Namespace, world.Prod.Id, Permissions.Read | Permissions.Delete, world.Carol.Id, T0.AddDays(1)));
        var replaced = Store.Read(r => r.Permissions(world.Bob.Id, world.Prod.Id, null)).Single(p => p.Kind == ScopeKind.Namespace);
        Assert.Equal((Permissions.Read | Permissions.Delete, "carol", T0.AddDays(1)), (replaced.Flags, replaced.GrantedBy, replaced.GrantedAt));

        Commit(Store, new RemovePermission(world.Bob.Id, ScopeKind.Secret, world.Db.Id));
        Assert.Equal(["Bob:Namespace:prod"], Grants(Store, world.Bob.Id));
        Assert.Equal(["alice:Namespace:other", "alice:Namespace:prod"], Grants(Store, world.Alice.Id));

        Commit(Store, new RemovePermissionsOf(world.Alice.Id));
        Assert.Empty(Grants(Store, world.Alice.Id));
        Assert.Equal(["Bob:Namespace:prod"], Grants(Store, world.Bob.Id));
    }

    [Fact]
    public void KeyRecipients_AreTheGrantedNotRetiredHoldersOfThatGeneration_AndUngrantedStanzasAreFound()
    {
        var world = Seed();
        var prod1 = new KeyScope(ScopeKind.Namespace, world.Prod.Id, 1);
        var emile1 = new KeyScope(ScopeKind.Secret, world.Emile.Id, 1);
        Commit(Store,
            // Carol is retired: her stanza and grant never make her a recipient.
            new PutStanza(prod1, StanzaFor(world.Carol.Id)),
            new PutPermission(world.Carol.Id, ScopeKind.Namespace, world.Prod.Id, Permissions.Read, world.Alice.Id, T0));

        Store.Read(r =>
        {
            Assert.Equal(new[] { world.Alice.Id, world.Bob.Id }.Order(), r.Recipients(ScopeKind.Namespace, world.Prod.Id, 1, excluded: null).Order());
            Assert.Equal([world.Alice.Id], r.Recipients(ScopeKind.Namespace, world.Prod.Id, 1, excluded: world.Bob.Id));
            Assert.Empty(r.Recipients(ScopeKind.Namespace, world.Prod.Id, 2, excluded: null));
            // Alice holds a stanza for db-password but no grant on the secret itself: the grant must be on the stanza's scope.
            Assert.Equal([world.Bob.Id], r.Recipients(ScopeKind.Secret, world.Db.Id, 1, excluded: null));

            var bySecret = r.SecretRecipientsIn(world.Prod.Id, excluded: null);
            Assert.Equal([(world.Db.Id, 1)], bySecret.Keys);
            Assert.Equal([world.Bob.Id], bySecret[(world.Db.Id, 1)]);
            Assert.Empty(r.SecretRecipientsIn(world.Prod.Id, excluded: world.Bob.Id));

            // Alice's secret stanzas in prod are held with no grant on the secret: the first by client name is hers;
            // with her excluded, Carol's (retired) namespace stanza is next.
            Assert.Equal(new UngrantedStanza("alice", ScopeKind.Secret, "db-password"), r.FirstUngrantedStanza(world.Prod.Id, world.Db.Id, excluded: null));
            Assert.Equal("alice", r.FirstUngrantedStanza(world.Prod.Id, null, excluded: null)?.Client);
            Assert.Equal(new UngrantedStanza("carol", ScopeKind.Namespace, null), r.FirstUngrantedStanza(world.Prod.Id, null, excluded: world.Alice.Id));
            Assert.Null(r.FirstUngrantedStanza(world.Prod.Id, world.Db.Id, excluded: world.Alice.Id));
            return 0;
        });

        // A grant without Read or Write (Delete only) makes no recipient, and its stanza counts as ungranted.
        Commit(Store,
            new PutStanza(emile1, StanzaFor(world.Bob.Id)),
            new PutPermission(world.Bob.Id, ScopeKind.Secret, world.Emile.Id, Permissions.Delete, world.Alice.Id, T0));
        Assert.Empty(Store.Read(r => r.Recipients(ScopeKind.Secret, world.Emile.Id, 1, excluded: null)));
        Assert.Equal(new UngrantedStanza("Bob", ScopeKind.Secret, "Émile"), Store.Read(r => r.FirstUngrantedStanza(world.Prod.Id, world.Emile.Id, excluded: world.Alice.Id)));
    }

    [Fact]
    public void LookUpSecret_AnswersStatusNamespaceSecretFlagsAndVersion_InOneCall()
    {
        var world = Seed();
        Store.Read(r =>
        {
            var current = r.LookUpSecret(world.Bob.Id, "PROD", "DB-PASSWORD", null)!;
            Assert.Equal(ClientStatus.Active, current.Status);
            Assert.Equal(world.Prod, current.Namespace);
            Assert.Equal(world.Db, current.Secret);
            Assert.Equal(Permissions.Read | Permissions.Write, current.Held);
            Assert.Equal(Describe(world.DbV1), Describe(current.Version!));

            var missingVersion = r.LookUpSecret(world.Carol.Id, "prod", Names.LookupKey("émile"), 9)!;
            Assert.Equal((ClientStatus?)ClientStatus.Retired, missingVersion.Status);
            Assert.Equal(world.Emile, missingVersion.Secret);
            Assert.Equal(Permissions.None, missingVersion.Held);
            Assert.Null(missingVersion.Version);

            var noSecret = r.LookUpSecret(Guid.NewGuid(), "other", "DB-PASSWORD", null)!;
            Assert.Null(noSecret.Status);
            Assert.Equal(world.Other, noSecret.Namespace);
            Assert.Null(noSecret.Secret);
            Assert.Null(noSecret.Version);

            Assert.Null(r.LookUpSecret(world.Bob.Id, "staging", "DB-PASSWORD", null));
            return 0;
        });
    }

    [Fact]
    public void AuditEntries_RoundTrip_WithNullsAndUnicode_AndAreListedByFilter()
    {
        var world = Seed();
        var chain = AppendAuditEntries(Store, 3, world.Alice.Id);
        var unicode = Link(chain[^1], new AuditEntry(4, T0.AddDays(2).AddMilliseconds(999), null, "Émile ✓", "secret.get", "prod", "Émile", 3, "denied", "SecretOps.AccessDenied", "hôte", "ünïx", 77, "cli"));
        Commit(Store, new AppendAudit([unicode]));

        Store.Read(r =>
        {
            var stored = r.AuditChain().ToList();
            Assert.Equal(chain.Append(unicode).Select(Describe), stored.Select(Describe));
            Assert.Equal(4L, r.LastAuditEntry()!.Sequence);
            Assert.Equal(unicode.Hash, r.LastAuditEntry()!.Hash);
            Assert.Equal(4L, r.Statistics().AuditEntries);

            Assert.Equal([1L, 2, 3, 4], r.AuditEntries(new AuditQuery()).Select(e => e.Sequence));
            Assert.Equal([3L, 4], r.AuditEntries(new AuditQuery(Last: 2)).Select(e => e.Sequence));
            Assert.Equal([4L], r.AuditEntries(new AuditQuery(Since: T0.AddDays(2))).Select(e => e.Sequence));
            Assert.Equal([1L, 2, 3], r.AuditEntries(new AuditQuery(Client: "ALICE")).Select(e => e.Sequence));
            Assert.Equal([1L, 2, 3], r.AuditEntries(new AuditQuery(Client: world.Alice.Id.ToString("B"))).Select(e => e.Sequence));
            Assert.Equal([4L], r.AuditEntries(new AuditQuery(Action: "SECRET.GET")).Select(e => e.Sequence));
            Assert.Equal(unicode.Entry, r.AuditEntries(new AuditQuery(Client: "Émile ✓")).Single());
            return 0;
        });
    }

    // ---- Batches are atomic ----

    [Theory]
    [InlineData("UpdateSecret with a stale ExpectedVersion")]
    [InlineData("UpdateSecret of a secret that does not exist")]
    [InlineData("SetNamespaceKeyGeneration with a wrong Expected")]
    [InlineData("SetSecretKeyGeneration with a wrong Expected")]
    [InlineData("AdvanceSecretKeyGenerations with a wrong count")]
    [InlineData("RemoveVersion of a missing version")]
    [InlineData("InsertVersion of a version that exists")]
    [InlineData("AppendAudit whose sequence collides")]
    [InlineData("AppendAudit that skips a sequence")]
    [InlineData("AppendAudit that does not link to the last hash")]
    [InlineData("InsertSecret whose name differs only in Unicode case")]
    [InlineData("InsertClient whose name differs only in case")]
    [InlineData("InsertNamespace whose name differs only in case")]
    [InlineData("UpdateClient of a client that does not exist")]
    public void ABatch_WithOneFailingChange_AppliesNothing_AndFailsAsASecretOpsError(string failing)
    {
        var world = Seed();
        var audit = AppendAuditEntries(Store, 2, world.Alice.Id);
        var before = Store.Read(Snapshot);
        var good = GoodChanges(world, audit[^1]);
        StoreChange bad = failing switch
        {
            "UpdateSecret with a stale ExpectedVersion" => new UpdateSecret(world.Emile with { CurrentVersion = 3 }, ExpectedVersion: 2, world.Alice.Id),
            "UpdateSecret of a secret that does not exist" => new UpdateSecret(world.Emile with { Id = Guid.NewGuid(), CurrentVersion = 2 }, 1, world.Alice.Id),
            "SetNamespaceKeyGeneration with a wrong Expected" => new SetNamespaceKeyGeneration(world.Other.Id, Expected: 2, Generation: 3),
            "SetSecretKeyGeneration with a wrong Expected" => new SetSecretKeyGeneration(world.Token.Id, Expected: 2, Generation: 3),
            "AdvanceSecretKeyGenerations with a wrong count" => new AdvanceSecretKeyGenerations(world.Prod.Id, SecretCount: 3),
            "RemoveVersion of a missing version" => new RemoveVersion(world.Token.Id, 2),
            "InsertVersion of a version that exists" => new InsertVersion(world.Token.Id, new VersionRow(1, 1, SecretValueType.String, Sealed()), T0, world.Alice.Id),
            "AppendAudit whose sequence collides" => new AppendAudit([Link(audit[0], Entry(2, world.Alice.Id))]),
            "AppendAudit that skips a sequence" => new AppendAudit([Link(audit[^1], Entry(4, world.Alice.Id))]),
            "AppendAudit that does not link to the last hash" => new AppendAudit([Link(audit[0], Entry(3, world.Alice.Id))]),
            "InsertSecret whose name differs only in Unicode case" => new InsertSecret(NewSecret(world.Prod.Id, "éMILE", world), world.Alice.Id),
            "InsertClient whose name differs only in case" => new InsertClient(NewClient("ALICE", ClientKind.Generated, ClientStatus.Active), world.Alice.Id),
            "InsertNamespace whose name differs only in case" => new InsertNamespace(world.Other with { Id = Guid.NewGuid(), Name = "Other" }),
            "UpdateClient of a client that does not exist" => new UpdateClient(Guid.NewGuid(), "nobody", null, ClientRole.Member),
            _ => throw new ArgumentOutOfRangeException(nameof(failing)),
        };

        // The audit entries in the good changes link to the log's end; the failing audit cases replace them.
        var changes = bad is AppendAudit ? good.Where(c => c is not AppendAudit).Append(bad) : good.Append(bad);
        var error = Record.Exception(() => Commit(Store, [.. changes]));

        Assert.IsAssignableFrom<SecretOpsException>(error);
        Assert.Equal(before, Store.Read(Snapshot));
        Assert.Equal(before, OpenAgain(Store).Read(Snapshot));

        // The same batch without the failing change commits: the atomicity above was not for want of anything to apply.
        Commit(Store, [.. good]);
        Assert.NotEqual(before, Store.Read(Snapshot));
    }

    [Fact]
    public void ABodyThatThrows_AppliesNothing_AndItsErrorReachesTheCaller()
    {
        var world = Seed();
        var audit = AppendAuditEntries(Store, 1, world.Alice.Id);
        var before = Store.Read(Snapshot);
        var refused = new ConflictException("decided against it after filling the batch", "db-password");
        var error = Assert.Throws<ConflictException>(() => Store.Write<int>((r, batch) =>
        {
            foreach (var change in GoodChanges(world, audit[^1]))
            {
                batch.Add(change);
            }

            throw refused;
        }));

        Assert.Same(refused, error);
        Assert.Equal(before, Store.Read(Snapshot));
        // The backend is still usable after the refusal.
        Commit(Store, [.. GoodChanges(world, audit[^1])]);
        Assert.NotEqual(before, Store.Read(Snapshot));
    }

    [Fact]
    public void ABufferedWrite_CommitsWhole_ForEveryOpener_AndARefusedOneAppliesNothing()
    {
        var world = Seed();
        var before = AppendAuditEntries(Store, 1, world.Alice.Id);
        var entry = Link(before[^1], Entry(before.Count + 1, world.Alice.Id));
        Store.Write((_, batch) =>
        {
            batch.Add(new AppendAudit([entry]));
            return 0;
        }, CommitDurability.Buffered);
        Assert.Equal(entry.Hash, OpenAgain(Store).Read(r => r.LastAuditEntry())!.Hash);

        var refused = Link(entry, Entry(before.Count + 2, world.Alice.Id));
        Assert.Throws<ConflictException>(() => Store.Write<int>((_, batch) =>
        {
            batch.Add(new AppendAudit([refused]));
            throw new ConflictException("decided against it", "audit");
        }, CommitDurability.Buffered));
        Assert.Equal(entry.Hash, Store.Read(r => r.LastAuditEntry())!.Hash);
    }

    [Fact]
    public void TheReaderOfAWrite_SeesTheStoreAsItWas_NotTheBatchBeingFilled()
    {
        var world = Seed();
        var staging = world.Other with { Id = Guid.NewGuid(), Name = "staging" };
        var seen = Store.Write((r, batch) =>
        {
            batch.Add(new InsertNamespace(staging));
            batch.Add(new UpdateSecret(world.Db with { CurrentVersion = 2 }, 1, world.Bob.Id));
            batch.Add(new InsertVersion(world.Db.Id, new VersionRow(2, 1, SecretValueType.String, Sealed()), T0, world.Bob.Id));
            batch.Add(new RemoveStanzas(world.Alice.Id));
            batch.Add(new RemoveNamespace(world.Other.Id));
            return (r.FindNamespace("staging"), r.GetSecret(world.Db.Id)?.CurrentVersion, r.Version(world.Db.Id, 2), r.StanzasOf(world.Alice.Id).Count, r.GetNamespace(world.Other.Id));
        });

        Assert.Null(seen.Item1);
        Assert.Equal(1, seen.Item2);
        Assert.Null(seen.Item3);
        Assert.Equal(5, seen.Item4);
        Assert.Equal(world.Other, seen.Item5);
        Store.Read(r =>
        {
            Assert.Equal(staging, r.FindNamespace("staging"));
            Assert.Equal(2, r.GetSecret(world.Db.Id)!.CurrentVersion);
            Assert.Empty(r.StanzasOf(world.Alice.Id));
            Assert.Null(r.GetNamespace(world.Other.Id));
            return 0;
        });
    }

    [Fact]
    public void ChangesApplyInBatchOrder()
    {
        var world = Seed();
        var prod2 = new KeyScope(ScopeKind.Namespace, world.Prod.Id, 2);
        var fresh = StanzaFor(world.Alice.Id);
        Commit(Store, new RemoveStanzas(world.Alice.Id), new PutStanza(prod2, fresh));
        Assert.Equal([prod2], Store.Read(r => r.StanzasOf(world.Alice.Id)));
        Assert.Equal(Describe(fresh), Describe(Store.Read(r => r.Stanza(world.Alice.Id, prod2))!));

        Commit(Store, new PutStanza(prod2, StanzaFor(world.Bob.Id)), new RemoveStanzas(world.Bob.Id));
        Assert.Empty(Store.Read(r => r.StanzasOf(world.Bob.Id)));

        // A secret inserted, given a version, then removed in one batch is gone; one removed then inserted again is there.
        var temporary = NewSecret(world.Other.Id, "temporary", world);
        Commit(Store,
            new InsertSecret(temporary, world.Alice.Id),
            new InsertVersion(temporary.Id, new VersionRow(1, 1, SecretValueType.String, Sealed()), T0, world.Alice.Id),
            new RemoveSecret(temporary.Id),
            new RemoveSecret(world.Token.Id),
            new InsertSecret(world.Token with { Name = "TOKEN" }, world.Alice.Id));
        Assert.Null(Store.Read(r => r.GetSecret(temporary.Id)));
        Assert.Equal("TOKEN", Store.Read(r => r.GetSecret(world.Token.Id))!.Name);
        Assert.Empty(Store.Read(r => r.Versions(world.Token.Id)));
    }

    // ---- Removals take exactly what they address ----

    [Fact]
    public void RemoveStanzas_OfOneScope_TakesOnlyThatClientsStanzasForIt()
    {
        var world = Seed();
        var before = Stanzas(Store, world);
        Commit(Store, new RemoveStanzas(world.Alice.Id, ScopeKind.Secret, world.Db.Id));
        Assert.Equal(before.Where(s => !(s.Client == world.Alice.Id && s.Scope.ScopeId == world.Db.Id)), Stanzas(Store, world));

        Commit(Store, new RemoveStanzas(world.Alice.Id));
        Assert.Equal(before.Where(s => s.Client != world.Alice.Id), Stanzas(Store, world));
        Assert.NotEmpty(Stanzas(Store, world));

        // Removing what is not there is no error: the backend confirms that none is left.
        Commit(Store, new RemoveStanzas(world.Alice.Id), new RemoveStanzas(world.Carol.Id, ScopeKind.Namespace, world.Prod.Id));
    }

    [Fact]
    public void RemoveSecretStanzasIn_TakesTheClientsSecretStanzasOfThatNamespace_AndNothingElse()
    {
        var world = Seed();
        var before = Stanzas(Store, world);
        Commit(Store, new RemoveSecretStanzasIn(world.Alice.Id, world.Prod.Id));
        var secretsOfProd = new[] { world.Db.Id, world.Emile.Id };
        Assert.Equal(before.Where(s => !(s.Client == world.Alice.Id && s.Scope.Kind == ScopeKind.Secret && secretsOfProd.Contains(s.Scope.ScopeId))), Stanzas(Store, world));
        Assert.True(Store.Read(r => r.HasStanza(world.Alice.Id, ScopeKind.Namespace, world.Prod.Id)));
        Assert.True(Store.Read(r => r.HasStanza(world.Alice.Id, ScopeKind.Secret, world.Token.Id)));
        Assert.True(Store.Read(r => r.HasStanza(world.Bob.Id, ScopeKind.Secret, world.Db.Id)));
    }

    [Fact]
    public void RemoveNamespace_TakesItsSecretsVersionsKeysStanzasAndGrants_AndLeavesTheOtherNamespace()
    {
        var world = Seed();
        var otherBefore = Store.Read(r => Describe(r, world, world.Other));
        Commit(Store, new RemoveNamespace(world.Prod.Id));

        Store.Read(r =>
        {
            Assert.Null(r.GetNamespace(world.Prod.Id));
            Assert.Null(r.FindNamespace("prod"));
            Assert.False(r.NamespaceKeyExists(world.Prod.Id, 1));
            foreach (var secret in new[] { world.Db, world.Emile })
            {
                Assert.Null(r.GetSecret(secret.Id));
                Assert.Empty(r.Versions(secret.Id));
                Assert.Null(r.Version(secret.Id, 1));
                Assert.Null(r.WrappedSecretKey(secret.Id, 1));
            }

            foreach (var client in new[] { world.Alice.Id, world.Bob.Id })
            {
                Assert.DoesNotContain(r.StanzasOf(client), s => s.ScopeId == world.Prod.Id || s.ScopeId == world.Db.Id || s.ScopeId == world.Emile.Id);
                Assert.Equal(Permissions.None, r.EffectiveFlags(client, world.Prod.Id, world.Db.Id));
                Assert.Equal(Permissions.None, r.Flags(client, ScopeKind.Secret, world.Db.Id));
            }

            Assert.DoesNotContain(r.Permissions(null, null, null), p => p.NamespaceId == world.Prod.Id);
            Assert.Equal(otherBefore, Describe(r, world, world.Other));
            Assert.Equal(1, r.Statistics().Secrets);
            return 0;
        });
    }

    [Fact]
    public void RemoveSecret_TakesItsVersionsKeysStanzasAndGrants_AndLeavesItsNamespaceAndSiblings()
    {
        var world = Seed();
        Commit(Store, new InsertSecretKey(world.Db.Id, 2, 1, Sealed()), new PutStanza(new KeyScope(ScopeKind.Secret, world.Db.Id, 2), StanzaFor(world.Bob.Id)));
        var emileBefore = Store.Read(r => (r.GetSecret(world.Emile.Id), Describe(r.Version(world.Emile.Id, 1)!), Describe(r.Stanza(world.Alice.Id, new KeyScope(ScopeKind.Secret, world.Emile.Id, 1))!)));
        Commit(Store, new RemoveSecret(world.Db.Id));

        Store.Read(r =>
        {
            Assert.Null(r.GetSecret(world.Db.Id));
            Assert.Null(r.FindSecret(world.Prod.Id, "DB-PASSWORD"));
            Assert.Empty(r.Versions(world.Db.Id));
            Assert.Null(r.WrappedSecretKey(world.Db.Id, 1));
            Assert.Null(r.WrappedSecretKey(world.Db.Id, 2));
            Assert.False(r.HasStanza(world.Alice.Id, ScopeKind.Secret, world.Db.Id));
            Assert.False(r.HasStanza(world.Bob.Id, ScopeKind.Secret, world.Db.Id));
            Assert.Empty(r.SecretGrantsIn(world.Bob.Id, world.Prod.Id));
            Assert.Equal(Permissions.None, r.Flags(world.Bob.Id, ScopeKind.Secret, world.Db.Id));
            Assert.Equal(Permissions.Read, r.EffectiveFlags(world.Bob.Id, world.Prod.Id, world.Db.Id));
            Assert.Equal(Permissions.Read, r.Flags(world.Bob.Id, ScopeKind.Namespace, world.Prod.Id));
            Assert.True(r.HasStanza(world.Bob.Id, ScopeKind.Namespace, world.Prod.Id));
            Assert.Equal(emileBefore, (r.GetSecret(world.Emile.Id), Describe(r.Version(world.Emile.Id, 1)!), Describe(r.Stanza(world.Alice.Id, new KeyScope(ScopeKind.Secret, world.Emile.Id, 1))!)));
            Assert.Equal(1, r.CountSecrets(world.Prod.Id));
            return 0;
        });

        // The name is free again.
        Commit(Store, new InsertSecret(NewSecret(world.Prod.Id, "DB-Password", world), world.Alice.Id));
    }

    // ---- Reads ----

    [Fact]
    public async Task Read_SeesOneSnapshot_WhileAnotherBackendCommits()
    {
        var world = Seed();
        var writer = OpenAgain(Store);
        Task? commit = null;
        var (first, second) = Store.Read(r =>
        {
            var before = Snapshot(r);
            commit = Task.Run(() => Commit(writer,
                new UpdateSecret(world.Db with { CurrentVersion = 2 }, 1, world.Bob.Id),
                new InsertVersion(world.Db.Id, new VersionRow(2, 1, SecretValueType.String, Sealed()), T0, world.Bob.Id),
                new RemoveNamespace(world.Other.Id)));
            if (!WritersWaitForReaders)
            {
                // Here the writer commits beside the open snapshot: wait for it, so the second look is after the commit.
                Assert.True(commit.Wait(TimeSpan.FromSeconds(60)), "the writer should commit while the snapshot is open");
            }
            else
            {
                // Here it cannot commit until the snapshot ends: give it the chance to try (it must not get through).
                commit.Wait(TimeSpan.FromMilliseconds(300));
            }

            return (before, Snapshot(r));
        });

        Assert.Equal(first, second);
        await commit!.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Store.Read(r =>
        {
            Assert.Equal(2, r.GetSecret(world.Db.Id)!.CurrentVersion);
            Assert.Null(r.GetNamespace(world.Other.Id));
            return 0;
        });
    }

    [Fact]
    public void TryReadOnce_AnswersOneLookup_AndIsNullWhenTheBodyIs()
    {
        var world = Seed();
        Assert.Equal(ClientStatus.Retired, Store.TryReadOnce(r => r.ClientStatus(world.Carol.Id)));
        Assert.Null(Store.TryReadOnce(r => r.ClientStatus(Guid.NewGuid())));
        Assert.Equal(2, Store.TryReadOnce<int>(r => r.CountSecrets(world.Prod.Id)));

        Commit(OpenAgain(Store), new SetClientStatus(world.Carol.Id, ClientStatus.Active));
        Assert.Equal(ClientStatus.Active, Store.TryReadOnce(r => r.ClientStatus(world.Carol.Id)));
    }

    [Fact]
    public void ASecondBackend_OnTheSameStore_SeesWhatTheFirstCommitted_AndTheFirstSeesItsWrites()
    {
        var world = Seed();
        var second = OpenAgain(Store);
        Assert.Equal(Store.Read(Snapshot), second.Read(Snapshot));
        Assert.Equal(Store.Location, second.Location);
        Assert.Equal(Store.IsShared, second.IsShared);
        Assert.False(second.IsReadOnly);

        Commit(second, new SetClientStatus(world.Bob.Id, ClientStatus.Disabled), new RemoveSecret(world.Emile.Id));
        Assert.Equal(ClientStatus.Disabled, Store.Read(r => r.ClientStatus(world.Bob.Id)));
        Assert.Null(Store.Read(r => r.GetSecret(world.Emile.Id)));

        Commit(Store, new SetClientStatus(world.Bob.Id, ClientStatus.Active));
        Assert.Equal(ClientStatus.Active, second.Read(r => r.ClientStatus(world.Bob.Id)));
    }

    [Fact]
    public async Task ConcurrentWrites_FromTwoBackends_AllCommit_AndNoneIsLost()
    {
        const int WritesEach = 12;
        var world = Seed();
        var backends = new[] { Store, OpenAgain(Store) };
        using var start = new Barrier(backends.Length);
        var writers = backends.Select((backend, index) => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(60));
            for (var i = 0; i < WritesEach; i++)
            {
                // Read, decide, write: the next version and the next audit entry come only from what was read.
                backend.Write((r, batch) =>
                {
                    var secret = r.GetSecret(world.Db.Id)!;
                    var next = secret.CurrentVersion + 1;
                    batch.Add(new InsertVersion(secret.Id, new VersionRow(next, 1, SecretValueType.String, Sealed()), T0, world.Alice.Id));
                    batch.Add(new UpdateSecret(secret with { CurrentVersion = next }, secret.CurrentVersion, world.Alice.Id));
                    var last = r.LastAuditEntry();
                    var entry = Entry((last?.Sequence ?? 0) + 1, world.Alice.Id) with { Target = $"writer {index}" };
                    batch.Add(new AppendAudit([Chained(entry, last?.Hash ?? Genesis)]));
                    return 0;
                });
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        var total = backends.Length * WritesEach;
        Store.Read(r =>
        {
            Assert.Equal(1 + total, r.GetSecret(world.Db.Id)!.CurrentVersion);
            Assert.Equal(Enumerable.Range(1, 1 + total), r.Versions(world.Db.Id).Select(v => v.Number));
            var chain = r.AuditChain().ToList();
            Assert.Equal(Enumerable.Range(1, total).Select(n => (long)n), chain.Select(c => c.Entry.Sequence));
            Assert.All(chain.Skip(1).Zip(chain), pair => Assert.Equal(pair.Second.Hash, pair.First.PreviousHash));
            Assert.Equal(WritesEach, chain.Count(c => c.Entry.Target == "writer 0"));
            return 0;
        });
    }

    [Fact]
    public void BackupTo_WritesAFileStore_WithTheSameRows()
    {
        var world = Seed();
        AppendAuditEntries(Store, 3, world.Alice.Id);
        var copy = ScratchFile("backup/store-backup.db");
        StoreFiles.CreateOwnerOnlyFile(copy).Dispose();
        Store.BackupTo(copy);

        var (restored, restoredHeader) = SqliteBackend.Open(copy, shared: null);
        try
        {
            Assert.Equal(header.StoreId, restoredHeader.StoreId);
            Assert.Equal(Store.Read(Snapshot), restored.Read(Snapshot));
            Assert.Equal("ok", restored.Read(r => r.IntegrityCheck()));
        }
        finally
        {
            restored.ReleaseConnections();
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes what the backends keep open, then removes the scratch directory.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            store?.ReleaseConnections();
            scratch.Dispose();
        }
    }

    // ---- The world every test starts from ----

    /// <summary>What <see cref="Seed"/> wrote.</summary>
    private protected sealed record World(
        ClientRecord Alice, ClientRecord Bob, ClientRecord Carol, NamespaceRecord Prod, NamespaceRecord Other,
        SecretRecord Db, SecretRecord Emile, SecretRecord Token, VersionRow DbV1, IReadOnlyDictionary<(Guid Client, KeyScope Scope), Stanza> Stanzas);

    /// <summary>
    /// Three clients (alice with a passphrase, Bob generated with no description, carol retired with a key file), namespaces
    /// prod (secrets db-password and Émile) and other (secret token), each key generation 1 with its version 1, stanzas for
    /// alice on everything and for Bob on prod and db-password, and grants: alice Read|Write on prod and Read on other, Bob
    /// Read on prod and Write on db-password. One batch.
    /// </summary>
    private protected World Seed()
    {
        var alice = NewClient("alice", ClientKind.Passphrase, ClientStatus.Active) with { Description = "Émile's laptop ✓", LastUsed = null };
        var bob = NewClient("Bob", ClientKind.Generated, ClientStatus.Active) with { Description = null };
        var carol = NewClient("carol", ClientKind.KeyFile, ClientStatus.Retired);
        var prod = new NamespaceRecord(Guid.NewGuid(), "prod", "Production — ünïcode", 1, 5, T0, alice.Id);
        var other = new NamespaceRecord(Guid.NewGuid(), "other", null, 1, null, T0.AddMilliseconds(-1), bob.Id);
        var partial = new World(alice, bob, carol, prod, other, null!, null!, null!, null!, null!);
        var db = NewSecret(prod.Id, "db-password", partial) with { Metadata = "{\"owner\":\"Zoë\"}", ExpiresAt = T0.AddDays(30).AddMilliseconds(1) };
        var emile = NewSecret(prod.Id, "Émile", partial) with { Type = SecretValueType.SecureString };
        var token = NewSecret(other.Id, "token", partial);
        var dbV1 = new VersionRow(1, 1, SecretValueType.String, Sealed());
        var stanzas = new Dictionary<(Guid, KeyScope), Stanza>();
        foreach (var (client, kind, scope) in new[]
        {
            (alice.Id, ScopeKind.Namespace, prod.Id), (alice.Id, ScopeKind.Secret, db.Id), (alice.Id, ScopeKind.Secret, emile.Id),
            (alice.Id, ScopeKind.Namespace, other.Id), (alice.Id, ScopeKind.Secret, token.Id), (bob.Id, ScopeKind.Namespace, prod.Id), (bob.Id, ScopeKind.Secret, db.Id),
        })
        {
            stanzas[(client, new KeyScope(kind, scope, 1))] = StanzaFor(client);
        }

        var changes = new List<StoreChange>
        {
            new InsertClient(alice, null), new InsertClient(bob, alice.Id), new InsertClient(carol, alice.Id),
            new InsertNamespace(prod), new InsertNamespace(other),
            new InsertNamespaceKey(prod.Id, 1, Sealed(), T0), new InsertNamespaceKey(other.Id, 1, Sealed(), T0),
        };
        foreach (var secret in new[] { db, emile, token })
        {
            changes.Add(new InsertSecret(secret, alice.Id));
            changes.Add(new InsertSecretKey(secret.Id, 1, 1, Sealed()));
            changes.Add(new InsertVersion(secret.Id, secret == db ? dbV1 : new VersionRow(1, 1, secret.Type, Sealed()), T0, alice.Id));
        }

        changes.AddRange(stanzas.Select(s => new PutStanza(s.Key.Item2, s.Value)));
        changes.Add(new PutPermission(alice.Id, ScopeKind.Namespace, prod.Id, Permissions.Read | Permissions.Write, alice.Id, T0));
        changes.Add(new PutPermission(alice.Id, ScopeKind.Namespace, other.Id, Permissions.Read, alice.Id, T0));
        changes.Add(new PutPermission(bob.Id, ScopeKind.Namespace, prod.Id, Permissions.Read, alice.Id, T0));
        changes.Add(new PutPermission(bob.Id, ScopeKind.Secret, db.Id, Permissions.Write, alice.Id, T0.AddMilliseconds(1)));
        Commit(Store, [.. changes]);
        return new World(alice, bob, carol, prod, other, db, emile, token, dbV1, stanzas);
    }

    /// <summary>Valid changes touching clients, namespaces, secrets, versions, stanzas, grants and audit, for atomicity tests.</summary>
    private static List<StoreChange> GoodChanges(World world, ChainedAuditEntry lastAudit) =>
    [
        new InsertNamespace(world.Other with { Id = Guid.NewGuid(), Name = "staging" }),
        new SetClientStatus(world.Bob.Id, ClientStatus.Disabled),
        new InsertVersion(world.Db.Id, new VersionRow(2, 1, SecretValueType.String, Sealed()), T0, world.Bob.Id),
        new UpdateSecret(world.Db with { CurrentVersion = 2 }, ExpectedVersion: 1, world.Bob.Id),
        new RemoveStanzas(world.Alice.Id, ScopeKind.Secret, world.Emile.Id),
        new PutStanza(new KeyScope(ScopeKind.Namespace, world.Other.Id, 1), StanzaFor(world.Bob.Id)),
        new PutPermission(world.Bob.Id, ScopeKind.Namespace, world.Other.Id, Permissions.Read, world.Alice.Id, T0),
        new RemoveVersion(world.Emile.Id, 1),
        new AppendAudit([Link(lastAudit, Entry(lastAudit.Entry.Sequence + 1, world.Bob.Id))]),
    ];

    private static void Commit(IStoreBackend backend, params StoreChange[] changes) => backend.Write((_, batch) =>
    {
        foreach (var change in changes)
        {
            batch.Add(change);
        }

        return 0;
    });

    /// <summary>Appends <paramref name="count"/> chained entries to the log's end, one batch, and returns the whole chain.</summary>
    private static List<ChainedAuditEntry> AppendAuditEntries(IStoreBackend backend, int count, Guid client)
    {
        var last = backend.Read(r => r.AuditChain().ToList());
        var entries = new List<ChainedAuditEntry>();
        var previous = last.Count == 0 ? Genesis : last[^1].Hash;
        for (var i = 0; i < count; i++)
        {
            var entry = Chained(Entry(last.Count + i + 1, client), previous);
            entries.Add(entry);
            previous = entry.Hash;
        }

        Commit(backend, new AppendAudit(entries));
        return [.. last, .. entries];
    }

    private static ListedSecret Listed(SecretRecord s) => new(s.Id, s.NamespaceId, s.Name, s.Type, s.CurrentVersion, s.KeyGeneration, s.Metadata, s.ExpiresAt);

    private static AuditEntry Entry(long sequence, Guid client) =>
        new(sequence, T0.AddSeconds(sequence), client, "alice", "secret.set", "prod", "db-password", (int)sequence, "ok", null, "host", "user", 4242, "api");

    private static ChainedAuditEntry Chained(AuditEntry entry, byte[] previous) => new(entry, previous, SHA256.HashData([.. previous, .. BitConverter.GetBytes(entry.Sequence)]), null);

    private static ChainedAuditEntry Link(ChainedAuditEntry previous, AuditEntry entry) => Chained(entry, previous.Hash);

    private static ClientRecord NewClient(string name, ClientKind kind, ClientStatus status)
    {
        using var key = ClientPrivateKey.Generate();
        var protection = kind switch
        {
            ClientKind.Passphrase => new KeyProtection(Bytes(16), new Argon2Parameters(Argon2Type.Argon2id, 1, 64, 1), Sealed()),
            ClientKind.Generated => new KeyProtection(Bytes(16), null, Sealed()),
            _ => null,
        };
        return new ClientRecord(Guid.NewGuid(), name, $"{name}'s key", kind, ClientRole.Member, status, key.PublicKey, protection, T0, T0.AddHours(1).AddMilliseconds(3));
    }

    private static SecretRecord NewSecret(Guid namespaceId, string name, World world) =>
        new(Guid.NewGuid(), namespaceId, name, SecretValueType.String, 1, 1, null, null, T0, world.Alice.Name, T0.AddMilliseconds(2), world.Alice.Name);

    private static Stanza StanzaFor(Guid client, StanzaAlgorithm algorithm = StanzaAlgorithm.EcdhP256) => new(client, algorithm, Bytes(65), Bytes(12), Bytes(48));

    private static SealedData Sealed() => new(Bytes(12), Bytes(40));

    private static byte[] Bytes(int length) => RandomNumberGenerator.GetBytes(length);

    private static (ScopeKind, Guid, int) Key(KeyScope scope) => (scope.Kind, scope.ScopeId, scope.Generation);

    private static List<(Guid Client, KeyScope Scope, string Stanza)> Stanzas(IStoreBackend backend, World world) => backend.Read(r =>
        new[] { world.Alice.Id, world.Bob.Id, world.Carol.Id }
            .SelectMany(client => r.StanzasOf(client).OrderBy(Key).Select(scope => (client, scope, Describe(r.Stanza(client, scope)!))))
            .ToList());

    private static List<string> Grants(IStoreBackend backend, Guid client) =>
        backend.Read(r => r.Permissions(client, null, null)).Select(p => $"{p.Client}:{p.Kind}:{p.Namespace}{(p.Secret is null ? "" : "/" + p.Secret)}").ToList();

    // ---- Descriptions: rows as text, so byte arrays compare by content and a difference reads plainly ----

    /// <summary>Everything a reader can reach: the store as a list of lines, equal for equal stores.</summary>
    private protected static List<string> Snapshot(IStoreReader r)
    {
        var lines = new List<string>();
        var header = r.Header();
        var statistics = r.Statistics();
        lines.Add($"header {header?.StoreId} {header?.Created:O} {header?.AllowWeakKdf} {header?.Kdf.MemoryKiB}/{header?.Kdf.Iterations}/{header?.Kdf.Parallelism}");
        lines.Add($"counts {statistics.Namespaces} {statistics.Secrets} {statistics.Clients} {statistics.AuditEntries}");
        var clients = r.Clients();
        lines.AddRange(clients.Select(Describe));
        foreach (var client in clients)
        {
            lines.AddRange(r.StanzasOf(client.Id).OrderBy(Key).Select(scope => $"stanza {scope} {Describe(r.Stanza(client.Id, scope)!)}"));
        }

        foreach (var ns in r.Namespaces())
        {
            lines.Add(Describe(r, null, ns));
        }

        lines.AddRange(r.Permissions(null, null, null).Select(p => p.ToString()));
        lines.AddRange(r.AuditChain().Select(Describe));
        return lines;
    }

    private static string Describe(IStoreReader r, World? world, NamespaceRecord ns)
    {
        var lines = new List<string> { ns.ToString() };
        lines.AddRange(Enumerable.Range(1, ns.KeyGeneration + 1).Select(g => $"key {g} {r.NamespaceKeyExists(ns.Id, g)}"));
        foreach (var secret in r.Secrets(ns.Id))
        {
            lines.Add(secret.ToString());
            lines.AddRange(r.Versions(secret.Id).Select(v => $"{v} {Describe(r.Version(secret.Id, v.Number)!)}"));
            lines.AddRange(Enumerable.Range(1, secret.KeyGeneration + 1).Select(g => r.WrappedSecretKey(secret.Id, g) is { } k ? $"secret key {g} {k.NamespaceGeneration} {Describe(k.Wrapped)}" : $"no secret key {g}"));
        }

        if (world is not null)
        {
            foreach (var client in new[] { world.Alice.Id, world.Bob.Id, world.Carol.Id })
            {
                lines.AddRange(r.StanzasOf(client).Where(s => s.ScopeId == ns.Id || r.GetSecret(s.ScopeId)?.NamespaceId == ns.Id).OrderBy(Key).Select(s => $"stanza {client} {s}"));
                lines.AddRange(r.Permissions(client, ns.Id, null).Select(p => p.ToString()));
            }
        }

        return string.Join("\n", lines);
    }

    private static string Describe(ClientRecord c) =>
        $"client {c.Id} {c.Name} [{c.Description}] {c.Kind} {c.Role} {c.Status} {Convert.ToHexString(c.PublicKey.ExportSubjectPublicKeyInfo())} " +
        $"{(c.Protection is { } p ? $"{Convert.ToHexString(p.Salt)} {p.Kdf?.MemoryKiB}/{p.Kdf?.Iterations}/{p.Kdf?.Parallelism} {Describe(p.Envelope)} {p.Damage}" : "unprotected")} " +
        $"{c.Created:O} {c.LastUsed:O}";

    private static string Describe(SealedData data) => $"{Convert.ToHexString(data.Nonce)}:{Convert.ToHexString(data.Ciphertext)}";

    private static string Describe(VersionRow v) => $"v{v.Number} g{v.KeyGeneration} {v.Type} {Describe(v.Value)}";

    private static string Describe(Stanza s) => $"{s.RecipientId} {s.Algorithm} {Convert.ToHexString(s.Header)} {Convert.ToHexString(s.Nonce)} {Convert.ToHexString(s.Ciphertext)}";

    private static string Describe(ChainedAuditEntry c) => $"{c.Entry} {Convert.ToHexString(c.PreviousHash)} {Convert.ToHexString(c.Hash)}";
}
