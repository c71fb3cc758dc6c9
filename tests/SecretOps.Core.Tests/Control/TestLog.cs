using System.Security.Cryptography;
using SecretOps.Core.Control;
using ScopeKind = SecretOps.Core.Storage.ScopeKind;

namespace SecretOps.Core.Tests.Control;

/// <summary>A control log under construction in a test: every client's signing key, the entries and the replayed state.</summary>
internal sealed class TestLog : IDisposable
{
    private TestLog(Guid systemId, ClientSigningKey systemKey, SignedControlEntry genesis)
    {
        SystemId = systemId;
        Keys[systemId] = systemKey;
        Entries.Add(genesis);
        State = ControlReplay.Apply(null, genesis);
    }

    public Guid SystemId { get; }

    public Dictionary<Guid, ClientSigningKey> Keys { get; } = [];

    public List<SignedControlEntry> Entries { get; } = [];

    public AccessState State { get; private set; }

    /// <summary>A new log: the genesis entry, then (unless <paramref name="bare"/>) the default namespace with its first key generation.</summary>
    public static TestLog Create(bool bare = false)
    {
        var systemId = Guid.NewGuid();
        var key = ClientSigningKey.Generate();
        var genesis = new Genesis(Guid.NewGuid(), 2, new KdfFloor(64 * 1024, 3, 1),
            new GenesisClient(systemId, "system", ClientKind.Generated, EncryptionSpki(), key.VerifyingKey.ExportSubjectPublicKeyInfo()));
        var log = new TestLog(systemId, key, ControlLog.Sign(null, systemId, key, genesis));
        if (!bare)
        {
            var ns = Guid.NewGuid();
            log.Append(systemId, new CreateNamespace(ns, "default"));
            log.Append(systemId, new NamespaceKeyGeneration(ns, 1, Digest()));
        }

        return log;
    }

    /// <summary>A fresh P-256 encryption public key (SubjectPublicKeyInfo).</summary>
    public static byte[] EncryptionSpki()
    {
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return ecdh.ExportSubjectPublicKeyInfo();
    }

    /// <summary>A random 32-byte canary digest.</summary>
    public static byte[] Digest() => RandomNumberGenerator.GetBytes(32);

    /// <summary>Signs <paramref name="entry"/> as <paramref name="author"/>, replays it and keeps it.</summary>
    public SignedControlEntry Append(Guid author, ControlEntry entry)
    {
        var (signed, state) = ControlLog.Append(State, author, Keys[author], entry);
        Entries.Add(signed);
        State = state;
        return signed;
    }

    /// <summary>Signs the next entry as <paramref name="author"/> without replaying or keeping it.</summary>
    public SignedControlEntry Sign(Guid author, ControlEntry entry, ClientSigningKey? key = null) => ControlLog.Sign(State, author, key ?? Keys[author], entry);

    /// <summary>Applies an entry that must be refused, and returns the refusal.</summary>
    public TamperedException Refused(SignedControlEntry entry)
    {
        var e = Assert.Throws<TamperedException>(() => ControlReplay.Apply(State, entry));
        Assert.Equal($"control log entry {State.Sequence + 1}", e.Target);
        return e;
    }

    /// <summary>Adds a client as <paramref name="author"/> (System by default) and keeps its new signing key.</summary>
    public Guid AddClient(string name, ClientRole role, Guid? author = null)
    {
        var id = Guid.NewGuid();
        var key = ClientSigningKey.Generate();
        Append(author ?? SystemId, new AddClient(id, name, ClientKind.Generated, role, EncryptionSpki(), key.VerifyingKey.ExportSubjectPublicKeyInfo()));
        Keys[id] = key;
        return id;
    }

    /// <summary>Creates a namespace with its first key generation, as <paramref name="author"/>.</summary>
    public Guid CreateNamespace(string name, Guid author)
    {
        var id = Guid.NewGuid();
        Append(author, new CreateNamespace(id, name));
        Append(author, new NamespaceKeyGeneration(id, 1, Digest()));
        return id;
    }

    public Guid CreateSecret(Guid ns, string nameKey, Guid author)
    {
        var id = Guid.NewGuid();
        Append(author, new CreateSecret(id, ns, nameKey, TestLog.Digest()));
        return id;
    }

    /// <summary>Key generation <paramref name="generation"/> of a namespace, with a commitment for each of its secrets.</summary>
    public NamespaceKeyGeneration NextGeneration(Guid ns, int generation) => new(ns, generation, Digest(),
        State.SecretsIn(ns).Order(GuidBytesComparer.Instance).Select(id => new SecretKeyCommitment(id, Digest())).ToList());

    /// <summary>Rotates, as the allowance's author, every namespace and secret the last entry's allowance names.</summary>
    public void RotateAllowed()
    {
        while (State.Allowance is { } allowance)
        {
            if (!allowance.Namespaces.IsEmpty)
            {
                var ns = State.Namespaces[allowance.Namespaces.Order().First()];
                Append(allowance.AuthorId, NextGeneration(ns.Id, ns.KeyGeneration + 1));
            }
            else
            {
                var secret = State.Secrets[allowance.Secrets.Order().First()];
                Append(allowance.AuthorId, new SecretKeyGeneration(secret.Id, secret.KeyGeneration + 1, Digest()));
            }
        }
    }

    public Guid Namespace(string name) => State.FindNamespace(name)!.Id;

    public Permissions Flags(Guid client, Guid ns) => State.Flags(client, ScopeKind.Namespace, ns);

    public void Dispose()
    {
        foreach (var key in Keys.Values)
        {
            key.Dispose();
        }
    }
}
