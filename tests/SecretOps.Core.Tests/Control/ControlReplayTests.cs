using SecretOps.Core.Control;
using ScopeKind = SecretOps.Core.Storage.ScopeKind;

namespace SecretOps.Core.Tests.Control;

public class ControlReplayTests
{
    private const Permissions ReadWrite = Permissions.Read | Permissions.Write;

    [Fact]
    public void RealisticLog_ReplaysToTheExpectedState()
    {
        using var log = TestLog.Create();
        var alice = log.AddClient("alice", ClientRole.Admin);
        var bob = log.AddClient("bob", ClientRole.Member, author: alice);
        var carol = log.AddClient("carol", ClientRole.Member, author: alice);
        var prod = log.CreateNamespace("prod", alice);
        log.Append(alice, new Grant(bob, ScopeKind.Namespace, prod, ReadWrite));
        var db = log.CreateSecret(prod, "DB-PASSWORD", bob);
        log.Append(bob, new Grant(carol, ScopeKind.Secret, db, Permissions.Read));
        log.Append(alice, new Revoke(bob, ScopeKind.Namespace, prod, ReadWrite));
        log.Append(alice, log.NextGeneration(prod, 2));
        log.Append(alice, new SetClientStatus(carol, ClientStatus.Disabled));
        log.Append(alice, new SetClientStatus(carol, ClientStatus.Active));
        var newKey = ClientSigningKey.Generate();
        log.Append(carol, new RekeyClient(carol, ClientKind.Passphrase, TestLog.EncryptionSpki(), newKey.VerifyingKey.ExportSubjectPublicKeyInfo()));
        log.Keys[carol].Dispose();
        log.Keys[carol] = newKey;

        log.Append(alice, new UpdateClient(bob, "robert", ClientRole.Admin));
        log.Append(bob, new RetireClient(log.SystemId));
        log.Append(alice, new RetireClient(carol));
        var staging = log.CreateNamespace("staging", bob);
        log.Append(bob, new RemoveNamespace(staging));

        var state = ControlReplay.ReplayAll(log.Entries);

        Assert.Equal(log.Entries.Count, state.Sequence);
        Assert.Equal(log.Entries[0].Hash(), state.GenesisHash);
        Assert.Equal(log.Entries[^1].Hash(), state.HeadHash);
        Assert.Equal(ClientStatus.Retired, state.Client(log.SystemId)!.Status);
        Assert.Equal((ClientRole.Admin, ClientStatus.Active), (state.FindClient("ROBERT")!.Role, state.FindClient("robert")!.Status));
        Assert.Null(state.FindClient("bob"));
        Assert.Equal((ClientKind.Passphrase, ClientStatus.Retired), (state.Client(carol)!.Kind, state.Client(carol)!.Status));
        Assert.True(state.Client(carol)!.SigningKey.SameKeyAs(log.Keys[carol].VerifyingKey));
        Assert.Equal(2, state.FindNamespace("prod")!.KeyGeneration);
        Assert.Equal(2, state.FindNamespace("prod")!.KeyCommitments.Count);
        Assert.Null(state.FindNamespace("staging"));
        Assert.Equal(Permissions.All, state.Flags(alice, ScopeKind.Namespace, prod));
        Assert.Equal(Permissions.None, state.Flags(bob, ScopeKind.Namespace, prod));
        Assert.Equal(Permissions.Delete | Permissions.Permit, state.Flags(bob, ScopeKind.Secret, db));
        Assert.Equal(Permissions.None, state.Flags(carol, ScopeKind.Secret, db));
        Assert.Equal(db, state.FindSecret(prod, "DB-PASSWORD")!.Id);
        Assert.False(state.Grants.ContainsKey(carol));
    }

    [Fact]
    public void MemberMakingItselfAdmin_IsRefused()
    {
        using var log = TestLog.Create();
        var bob = log.AddClient("bob", ClientRole.Member);
        var e = log.Refused(log.Sign(bob, new UpdateClient(bob, "bob", ClientRole.Admin)));
        Assert.Contains("'bob' is a member", e.Message);
    }

    [Fact]
    public void MemberGrantingItselfWhatItLacks_IsRefused()
    {
        using var log = TestLog.Create();
        var bob = log.AddClient("bob", ClientRole.Member);
        var ns = log.Namespace("default");
        log.Append(log.SystemId, new Grant(bob, ScopeKind.Namespace, ns, Permissions.Read));
        Assert.Contains("lacks Permit", log.Refused(log.Sign(bob, new Grant(bob, ScopeKind.Namespace, ns, Permissions.Write))).Message);

        log.Append(log.SystemId, new Grant(bob, ScopeKind.Namespace, ns, Permissions.Permit));
        Assert.Contains("grants or revokes Write", log.Refused(log.Sign(bob, new Grant(bob, ScopeKind.Namespace, ns, Permissions.Write))).Message);
    }

    [Fact]
    public void RevokedClientReGrantingItself_IsRefused()
    {
        using var log = TestLog.Create();
        var bob = log.AddClient("bob", ClientRole.Member);
        var ns = log.Namespace("default");
        log.Append(log.SystemId, new Grant(bob, ScopeKind.Namespace, ns, Permissions.All));
        var regrant = new Grant(bob, ScopeKind.Namespace, ns, Permissions.All);
        log.Append(bob, regrant);
        log.Append(log.SystemId, new Revoke(bob, ScopeKind.Namespace, ns, Permissions.All));
        Assert.Contains("lacks Permit", log.Refused(log.Sign(bob, regrant)).Message);
    }

    [Fact]
    public void ForgedSignature_IsRefused()
    {
        using var log = TestLog.Create();
        var entry = log.Sign(log.SystemId, new CreateNamespace(Guid.NewGuid(), "prod"));
        Assert.Contains("signature does not verify", log.Refused(entry with { Signature = new byte[64] }).Message);
        Assert.Contains("signature does not verify", log.Refused(entry with { Signature = entry.Signature[..63] }).Message);
        var flipped = (byte[])entry.Signature.Clone();
        flipped[10] ^= 0x80;
        Assert.Contains("signature does not verify", log.Refused(entry with { Signature = flipped }).Message);
    }

    [Fact]
    public void ValidSignatureByAKeyNotInTheState_IsRefused()
    {
        using var log = TestLog.Create();
        using var stranger = ClientSigningKey.Generate();
        var forged = log.Sign(log.SystemId, new CreateNamespace(Guid.NewGuid(), "prod"), stranger);
        Assert.True(stranger.VerifyingKey.Verify(forged.SignedBytes(), forged.Signature));
        Assert.Contains("signing key of its author 'system'", log.Refused(forged).Message);

        var unknown = ControlLog.Sign(log.State, Guid.NewGuid(), stranger, new CreateNamespace(Guid.NewGuid(), "prod"));
        Assert.Contains("is not a client of the store", log.Refused(unknown).Message);
    }

    [Fact]
    public void EntrySignedAfterItsAuthorWasDisabledOrRetired_IsRefused()
    {
        using var log = TestLog.Create();
        var alice = log.AddClient("alice", ClientRole.Admin);
        var bob = log.AddClient("bob", ClientRole.Admin);
        var signedWhileActive = log.Sign(bob, new CreateNamespace(Guid.NewGuid(), "prod"));
        log.Append(alice, new SetClientStatus(bob, ClientStatus.Disabled));
        Assert.Contains("its author 'bob' is disabled", log.Refused(log.Sign(bob, new CreateNamespace(Guid.NewGuid(), "prod"))).Message);
        Assert.Contains("claims sequence", log.Refused(signedWhileActive).Message);

        log.Append(alice, new RetireClient(bob));
        Assert.Contains("its author 'bob' is retired", log.Refused(log.Sign(bob, new CreateNamespace(Guid.NewGuid(), "prod"))).Message);
    }

    [Fact]
    public void SkippedSequence_IsRefused_EvenWhenSignedForIt()
    {
        using var log = TestLog.Create();
        var body = new CreateNamespace(Guid.NewGuid(), "prod").Encode();
        var sequence = log.State.Sequence + 2;
        var signature = log.Keys[log.SystemId].Sign(SignedControlEntry.SignedBytes(sequence, log.State.HeadHash, log.SystemId, body));
        var skipped = new SignedControlEntry(sequence, log.State.HeadHash, log.SystemId, body, signature);
        Assert.Contains($"claims sequence {sequence} where {sequence - 1} is next", log.Refused(skipped).Message);
    }

    [Fact]
    public void ChangedPreviousHash_IsRefused_EvenWhenSignedForIt()
    {
        using var log = TestLog.Create();
        var body = new CreateNamespace(Guid.NewGuid(), "prod").Encode();
        var previous = log.Entries[^2].Hash();
        var signature = log.Keys[log.SystemId].Sign(SignedControlEntry.SignedBytes(log.State.Sequence + 1, previous, log.SystemId, body));
        Assert.Contains("previous hash", log.Refused(new SignedControlEntry(log.State.Sequence + 1, previous, log.SystemId, body, signature)).Message);
    }

    [Fact]
    public void BodyAlteredAfterSigning_IsRefused()
    {
        using var log = TestLog.Create();
        var bob = log.AddClient("bob", ClientRole.Member);
        var entry = log.Sign(log.SystemId, new Grant(bob, ScopeKind.Namespace, log.Namespace("default"), Permissions.Read));
        var altered = new Grant(bob, ScopeKind.Namespace, log.Namespace("default"), Permissions.All).Encode();
        Assert.Contains("signature does not verify", log.Refused(entry with { Body = altered }).Message);
        Assert.Contains("signature does not verify", log.Refused(entry with { AuthorId = bob }).Message);
    }

    [Fact]
    public void UndecodableBody_IsRefused_EvenWhenSigned()
    {
        using var log = TestLog.Create();
        var body = new RemoveSecret(Guid.NewGuid()).Encode()[..^1];
        var sequence = log.State.Sequence + 1;
        var signature = log.Keys[log.SystemId].Sign(SignedControlEntry.SignedBytes(sequence, log.State.HeadHash, log.SystemId, body));
        Assert.Contains("body cannot be decoded", log.Refused(new SignedControlEntry(sequence, log.State.HeadHash, log.SystemId, body, signature)).Message);
    }

    [Fact]
    public void DuplicateNames_IgnoringCase_AreRefused()
    {
        using var log = TestLog.Create();
        log.AddClient("bob", ClientRole.Member);
        var carol = log.AddClient("carol", ClientRole.Member);
        Assert.Contains("a client named 'bob' already exists", log.Refused(log.Sign(log.SystemId,
            new AddClient(Guid.NewGuid(), "BOB", ClientKind.Generated, ClientRole.Member, TestLog.EncryptionSpki(), NewSigningSpki()))).Message);
        Assert.Contains("a client named 'bob' already exists", log.Refused(log.Sign(log.SystemId, new UpdateClient(carol, "Bob", ClientRole.Member))).Message);
        Assert.Contains("namespace 'DEFAULT' already exists", log.Refused(log.Sign(log.SystemId, new CreateNamespace(Guid.NewGuid(), "DEFAULT"))).Message);
        var ns = log.Namespace("default");
        log.CreateSecret(ns, "DB", log.SystemId);
        Assert.Contains("already exists in namespace 'default'", log.Refused(log.Sign(log.SystemId, new CreateSecret(Guid.NewGuid(), ns, "DB", TestLog.Digest()))).Message);
        Assert.Contains("not upper-cased", log.Refused(log.Sign(log.SystemId, new CreateSecret(Guid.NewGuid(), ns, "db", TestLog.Digest()))).Message);
    }

    [Fact]
    public void KeyGeneration_MustBeExactlyTheNext()
    {
        using var log = TestLog.Create();
        var ns = log.Namespace("default");
        Assert.Contains("key generation 3 where 2 is next", log.Refused(log.Sign(log.SystemId, log.NextGeneration(ns, 3))).Message);
        Assert.Contains("key generation 1 where 2 is next", log.Refused(log.Sign(log.SystemId, log.NextGeneration(ns, 1))).Message);
        Assert.Contains("not 32 bytes", log.Refused(log.Sign(log.SystemId, new NamespaceKeyGeneration(ns, 2, new byte[31]))).Message);
    }

    [Fact]
    public void KeyGeneration_NeedsPermit_SystemRole_OrARevocationItFollows()
    {
        using var log = TestLog.Create();
        var alice = log.AddClient("alice", ClientRole.Admin);
        var bob = log.AddClient("bob", ClientRole.Member);
        var ns = log.Namespace("default");
        log.Append(log.SystemId, new Grant(bob, ScopeKind.Namespace, ns, ReadWrite));
        Assert.Contains("without Permit there", log.Refused(log.Sign(bob, log.NextGeneration(ns, 2))).Message);
        Assert.Contains("without Permit there", log.Refused(log.Sign(alice, log.NextGeneration(ns, 2))).Message);
        log.Append(log.SystemId, log.NextGeneration(ns, 2));

        // An admin without Permit may rotate what the client it retires held, in the entries right after.
        log.Append(alice, new RetireClient(bob));
        log.Append(alice, log.NextGeneration(ns, 3));
        Assert.Contains("without Permit there", log.Refused(log.Sign(alice, log.NextGeneration(ns, 4))).Message);

        var carol = log.AddClient("carol", ClientRole.Member);
        log.Append(log.SystemId, new Grant(carol, ScopeKind.Namespace, ns, ReadWrite));
        log.Append(alice, new RetireClient(carol));
        log.AddClient("dave", ClientRole.Member, author: alice);
        Assert.Contains("without Permit there", log.Refused(log.Sign(alice, log.NextGeneration(ns, 4))).Message);
    }

    [Fact]
    public void ClientAuthority_MirrorsTheSessionRules()
    {
        using var log = TestLog.Create();
        var alice = log.AddClient("alice", ClientRole.Admin);
        var bob = log.AddClient("bob", ClientRole.Member);
        Assert.Contains("second System client", log.Refused(log.Sign(alice,
            new AddClient(Guid.NewGuid(), "root2", ClientKind.Generated, ClientRole.System, TestLog.EncryptionSpki(), NewSigningSpki()))).Message);
        Assert.Contains("a second System client", log.Refused(log.Sign(alice, new UpdateClient(bob, "bob", ClientRole.System))).Message);
        Assert.Contains("System client's role", log.Refused(log.Sign(alice, new UpdateClient(log.SystemId, "system", ClientRole.Admin))).Message);
        Assert.Contains("'bob' is a member", log.Refused(log.Sign(bob,
            new AddClient(Guid.NewGuid(), "eve", ClientKind.Generated, ClientRole.Admin, TestLog.EncryptionSpki(), NewSigningSpki()))).Message);
        Assert.Contains("'bob' is a member", log.Refused(log.Sign(bob, new SetClientStatus(alice, ClientStatus.Disabled))).Message);
        Assert.Contains("'bob' is a member", log.Refused(log.Sign(bob, new RekeyClient(alice, ClientKind.Generated, TestLog.EncryptionSpki(), NewSigningSpki()))).Message);
        Assert.Contains("'alice' disables or enables itself", log.Refused(log.Sign(alice, new SetClientStatus(alice, ClientStatus.Disabled))).Message);
        Assert.Contains("without a retirement entry", log.Refused(log.Sign(alice, new SetClientStatus(bob, ClientStatus.Retired))).Message);
        Assert.Contains("'alice' retires itself", log.Refused(log.Sign(alice, new RetireClient(alice))).Message);
        Assert.Contains("reuses id", log.Refused(log.Sign(alice,
            new AddClient(bob, "bob2", ClientKind.Generated, ClientRole.Member, TestLog.EncryptionSpki(), NewSigningSpki()))).Message);
        var spki = TestLog.EncryptionSpki();
        Assert.Contains("one key to encrypt and to sign", log.Refused(log.Sign(alice,
            new AddClient(Guid.NewGuid(), "frank", ClientKind.Generated, ClientRole.Member, spki, spki))).Message);

        // The System client goes once an admin exists; then the last admin can neither be demoted nor retired.
        var mine = log.CreateNamespace("mine", alice);
        log.Append(alice, new RetireClient(log.SystemId));
        Assert.Contains("demotes 'alice', the last active administrator", log.Refused(log.Sign(alice, new UpdateClient(alice, "alice", ClientRole.Member))).Message);
        log.Append(alice, new RetireClient(bob));
        Assert.Contains("is retired", log.Refused(log.Sign(alice, new Grant(bob, ScopeKind.Namespace, mine, Permissions.Read))).Message);
        Assert.Contains("retirement is permanent", log.Refused(log.Sign(alice, new SetClientStatus(bob, ClientStatus.Active))).Message);
    }

    [Fact]
    public void LastAdministrator_CannotBeRetired()
    {
        using var log = TestLog.Create();
        var alice = log.AddClient("alice", ClientRole.Admin);
        var bob = log.AddClient("bob", ClientRole.Admin);
        log.Append(alice, new RetireClient(log.SystemId));
        log.Append(alice, new SetClientStatus(bob, ClientStatus.Disabled));
        log.Append(alice, new SetClientStatus(bob, ClientStatus.Active));
        log.Append(bob, new UpdateClient(alice, "alice", ClientRole.Member));
        Assert.Contains("'alice' is a member", log.Refused(log.Sign(alice, new RetireClient(bob))).Message);
        Assert.Contains("demotes 'bob', the last active administrator", log.Refused(log.Sign(bob, new UpdateClient(bob, "bob", ClientRole.Member))).Message);
    }

    [Fact]
    public void SecretsAndNamespaces_NeedTheirPermissions()
    {
        using var log = TestLog.Create();
        var bob = log.AddClient("bob", ClientRole.Member);
        var ns = log.Namespace("default");
        Assert.Contains("'bob' is a member, and only administrators create namespaces", log.Refused(log.Sign(bob, new CreateNamespace(Guid.NewGuid(), "mine"))).Message);
        Assert.Contains("lacks Write on namespace 'default'", log.Refused(log.Sign(bob, new CreateSecret(Guid.NewGuid(), ns, "X", TestLog.Digest()))).Message);
        log.Append(log.SystemId, new Grant(bob, ScopeKind.Namespace, ns, Permissions.Read));
        Assert.Contains("lacks Write", log.Refused(log.Sign(bob, new CreateSecret(Guid.NewGuid(), ns, "X", TestLog.Digest()))).Message);
        log.Append(log.SystemId, new Grant(bob, ScopeKind.Namespace, ns, Permissions.Write));
        var x = log.CreateSecret(ns, "X", bob);
        Assert.Equal(Permissions.All, log.State.Flags(bob, ScopeKind.Secret, x));
        var y = log.CreateSecret(ns, "Y", log.SystemId);
        Assert.Contains("lacks Delete", log.Refused(log.Sign(bob, new RemoveSecret(y))).Message);
        var other = log.CreateNamespace("other", log.SystemId);
        Assert.Contains("lacks Delete on namespace 'other'", log.Refused(log.Sign(bob, new RemoveNamespace(other))).Message);
        Assert.Contains("removes the default namespace", log.Refused(log.Sign(log.SystemId, new RemoveNamespace(ns))).Message);
        log.Append(bob, new RemoveSecret(x));
        Assert.Contains("does not exist", log.Refused(log.Sign(log.SystemId, new Grant(bob, ScopeKind.Secret, x, Permissions.Read))).Message);
        Assert.Contains("reuses id", log.Refused(log.Sign(bob, new CreateSecret(x, ns, "X", TestLog.Digest()))).Message);

        var empty = Guid.NewGuid();
        log.Append(log.SystemId, new CreateNamespace(empty, "empty"));
        Assert.Contains("has no key generation yet", log.Refused(log.Sign(log.SystemId, new CreateSecret(Guid.NewGuid(), empty, "Z", TestLog.Digest()))).Message);
    }

    [Fact]
    public void NamespaceRevoke_TakesTheSecretGrantsInIt_AsSessionDoes()
    {
        using var log = TestLog.Create();
        var bob = log.AddClient("bob", ClientRole.Member);
        var ns = log.Namespace("default");
        log.Append(log.SystemId, new Grant(bob, ScopeKind.Namespace, ns, ReadWrite | Permissions.Delete));
        var s = log.CreateSecret(ns, "MINE", bob);
        log.Append(log.SystemId, new Revoke(bob, ScopeKind.Namespace, ns, Permissions.Delete));
        Assert.Equal(ReadWrite | Permissions.Permit, log.State.Flags(bob, ScopeKind.Secret, s));
        log.Append(log.SystemId, new Revoke(bob, ScopeKind.Namespace, ns, ReadWrite));
        Assert.Equal(Permissions.Permit, log.State.Flags(bob, ScopeKind.Secret, s));
        Assert.Equal(Permissions.None, log.Flags(bob, ns));
        Assert.Contains("holds no permission", log.Refused(log.Sign(log.SystemId, new Revoke(bob, ScopeKind.Namespace, ns, Permissions.Read))).Message);
    }

    [Fact]
    public void GenesisRules()
    {
        using var log = TestLog.Create(bare: true);
        var genesis = ControlEntry.Decode(log.Entries[0].Body);
        Assert.Contains("second genesis", log.Refused(log.Sign(log.SystemId, genesis)).Message);

        using var key = ClientSigningKey.Generate();
        var systemId = Guid.NewGuid();
        Genesis Make(long format = 2, KdfFloor? floor = null) => new(Guid.NewGuid(), format, floor ?? new KdfFloor(65536, 3, 1),
            new GenesisClient(systemId, "system", ClientKind.Generated, TestLog.EncryptionSpki(), key.VerifyingKey.ExportSubjectPublicKeyInfo()));
        TamperedException First(SignedControlEntry entry)
        {
            var e = Assert.Throws<TamperedException>(() => ControlReplay.ReplayAll([entry]));
            Assert.Equal("control log entry 1", e.Target);
            return e;
        }

        Assert.Contains("does not start with a genesis", First(ControlLog.Sign(null, systemId, key, new RetireClient(systemId))).Message);
        Assert.Contains("format 1", First(ControlLog.Sign(null, systemId, key, Make(format: 1))).Message);
        Assert.Contains("KDF floor", First(ControlLog.Sign(null, systemId, key, Make(floor: new KdfFloor(7, 1, 1)))).Message);
        Assert.Contains("not authored by the System client", First(ControlLog.Sign(null, Guid.NewGuid(), key, Make())).Message);
        using var other = ClientSigningKey.Generate();
        Assert.Contains("System client's signing key", First(ControlLog.Sign(null, systemId, other, Make())).Message);
        var good = ControlLog.Sign(null, systemId, key, Make());
        Assert.Contains("previous hash", First(good with { PreviousHash = new byte[31] }).Message);
        Assert.Contains("claims sequence 0", First(good with { Sequence = 0 }).Message);
        Assert.Throws<TamperedException>(() => ControlReplay.ReplayAll([]));
        Assert.Equal(good.Hash(), ControlReplay.ReplayAll([good]).GenesisHash);
    }

    private static byte[] NewSigningSpki()
    {
        using var key = ClientSigningKey.Generate();
        return key.VerifyingKey.ExportSubjectPublicKeyInfo();
    }
}
