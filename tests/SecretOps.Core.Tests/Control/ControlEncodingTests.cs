using System.Security.Cryptography;
using SecretOps.Core.Control;
using ScopeKind = SecretOps.Core.Storage.ScopeKind;

namespace SecretOps.Core.Tests.Control;

public class ControlEncodingTests
{
    private static readonly Guid A = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
    private static readonly Guid B = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    public static TheoryData<string> Kinds() => [.. Samples().Keys];

    private static Dictionary<string, ControlEntry> Samples() => new()
    {
        ["genesis"] = new Genesis(A, 2, new KdfFloor(65536, 3, 1), new GenesisClient(B, "system", ClientKind.KeyFile, [1, 2], [3])),
        ["add"] = new AddClient(A, "alice", ClientKind.Passphrase, ClientRole.Admin, [1, 2, 3], [4, 5]),
        ["update"] = new UpdateClient(A, "émile", ClientRole.Member),
        ["status"] = new SetClientStatus(A, ClientStatus.Disabled),
        ["retire"] = new RetireClient(A),
        ["rekey"] = new RekeyClient(A, ClientKind.Generated, [1], [2]),
        ["create-ns"] = new CreateNamespace(A, "prod"),
        ["remove-ns"] = new RemoveNamespace(A),
        ["generation"] = new NamespaceKeyGeneration(A, 7, new byte[32]),
        ["create-secret"] = new CreateSecret(A, B, "DB", new byte[32]),
        ["remove-secret"] = new RemoveSecret(A),
        ["generation-with-secrets"] = new NamespaceKeyGeneration(A, 2, new byte[32], [new SecretKeyCommitment(B, Enumerable.Repeat((byte)7, 32).ToArray())]),
        ["secret-generation"] = new SecretKeyGeneration(A, 3, new byte[32]),
        ["put-version"] = new PutVersion(A, 4, 2, SecretValueType.Hashtable, new byte[32], "{\"a\":1}", 1_700_000_000_000, 1_600_000_000_000, 2),
        ["put-version-bare"] = new PutVersion(A, 1, 1, SecretValueType.String, new byte[32], null, null, 1, 0),
        ["remove-version"] = new RemoveVersion(A, 3),
        ["grant"] = new Grant(A, ScopeKind.Secret, B, Permissions.Read | Permissions.Permit),
        ["revoke"] = new Revoke(A, ScopeKind.Secret, B, Permissions.Read | Permissions.Permit),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryKind_RoundTrips_AndStartsWithItsLabel(string kind)
    {
        var entry = Samples()[kind];
        var encoded = entry.Encode();
        Assert.Equal(entry.Encode(), ControlEntry.Decode(encoded).Encode());
        Assert.Equal(entry.GetType(), ControlEntry.Decode(encoded).GetType());
        Assert.StartsWith("secretops/control/", entry.Label);
        Assert.Equal(new SecretOps.Core.Crypto.AssociatedData(entry.Label).Span.ToArray(), encoded[..(4 + entry.Label.Length)]);
    }

    [Fact]
    public void Grant_IsEncodedAsDocumented()
    {
        var encoded = new Grant(A, ScopeKind.Namespace, B, Permissions.Read | Permissions.Write).Encode();
        Assert.Equal(
            "0000001A" + Convert.ToHexString("secretops/control/grant/v1"u8) + "00000010" + "00112233445566778899AABBCCDDEEFF"
            + "00000008" + "0000000000000001" + "00000010" + "0F8FAD5BD9CB469FA16570867728950E" + "00000008" + "0000000000000003",
            Convert.ToHexString(encoded));
    }

    [Fact]
    public void NearCollisions_EncodeDifferently()
    {
        // Adjacent fields: "ab" + "c" against "a" + "bc".
        Assert.NotEqual(new AddClient(A, "x", ClientKind.Generated, ClientRole.Member, "ab"u8.ToArray(), "c"u8.ToArray()).Encode(),
                        new AddClient(A, "x", ClientKind.Generated, ClientRole.Member, "a"u8.ToArray(), "bc"u8.ToArray()).Encode());
        // Same fields, different kinds.
        var sameFields = new ControlEntry[] { new RetireClient(A), new RemoveNamespace(A), new RemoveSecret(A) }.Select(e => Convert.ToHexString(e.Encode()));
        Assert.Equal(3, sameFields.Distinct().Count());
        Assert.NotEqual(new Grant(A, ScopeKind.Namespace, B, Permissions.Read).Encode(), new Revoke(A, ScopeKind.Namespace, B, Permissions.Read).Encode());
        // Same bytes in another field.
        Assert.NotEqual(new CreateSecret(A, B, "X", new byte[32]).Encode(), new CreateSecret(B, A, "X", new byte[32]).Encode());
        Assert.NotEqual(new UpdateClient(A, "ab", ClientRole.Member).Encode(), new UpdateClient(A, "aB", ClientRole.Member).Encode());
    }

    [Fact]
    public void NonCanonicalBodies_AreRefused()
    {
        var grant = new Grant(A, ScopeKind.Namespace, B, Permissions.Read).Encode();
        Assert.Throws<FormatException>(() => ControlEntry.Decode([.. grant, 0]));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(grant.AsSpan(0, grant.Length - 1)));
        Assert.Throws<FormatException>(() => ControlEntry.Decode([]));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(new SecretOps.Core.Crypto.AssociatedData("secretops/control/unknown/v1").Add(A).Span));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(new SecretOps.Core.Crypto.AssociatedData(Grant.LabelText).Add(A).Add(1).Add(B).Add(0).Span));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(new SecretOps.Core.Crypto.AssociatedData(Grant.LabelText).Add(A).Add(1).Add(B).Add(16).Span));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(new SecretOps.Core.Crypto.AssociatedData(Grant.LabelText).Add(A).Add(3).Add(B).Add(1).Span));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(new SecretOps.Core.Crypto.AssociatedData(RetireClient.LabelText).Add(A.ToByteArray().AsSpan(0, 15)).Span));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(new SecretOps.Core.Crypto.AssociatedData(UpdateClient.LabelText).Add(A).Add([0xC3, 0x28]).Add(3).Span));
        Assert.Throws<FormatException>(() => ControlEntry.Decode(new SecretOps.Core.Crypto.AssociatedData(SetClientStatus.LabelText).Add(A).Add(new byte[7]).Span));
    }

    [Fact]
    public void SignedEntry_EncodesDecodes_AndHashesItsEncoding()
    {
        var entry = new SignedControlEntry(3, new byte[32], A, new RetireClient(B).Encode(), new byte[64]);
        var encoded = entry.Encode();
        var decoded = SignedControlEntry.Decode(encoded);
        Assert.Equal(encoded, decoded.Encode());
        Assert.Equal(SHA256.HashData(encoded), entry.Hash());
        Assert.NotEqual(entry.Hash(), (entry with { Sequence = 4 }).Hash());
        Assert.Throws<FormatException>(() => SignedControlEntry.Decode(encoded.AsSpan(0, encoded.Length - 1)));
    }
}
