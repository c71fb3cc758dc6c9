using System.Collections.Immutable;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Control;

/// <summary>A client as the control log makes it.</summary>
internal sealed record ClientState(Guid Id, string Name, ClientKind Kind, ClientRole Role, ClientStatus Status, byte[] EncryptionKeySpki, ClientVerifyingKey SigningKey)
{
    /// <summary>Signing keys a re-key replaced, oldest first: entries it signed before (audit entries) still verify.</summary>
    public ImmutableList<ClientVerifyingKey> FormerSigningKeys { get; init; } = [];

    /// <summary>Every signing key the client has had, the current one first.</summary>
    public IEnumerable<ClientVerifyingKey> SigningKeys => FormerSigningKeys.Reverse().Prepend(SigningKey);
}

/// <summary>
/// A namespace: its current key generation (0 until the first), the key commitment of each generation, oldest first, and
/// the author of each generation (who may have been allowed to create it without Permit).
/// </summary>
internal sealed record NamespaceState(Guid Id, string Name, int KeyGeneration, ImmutableList<byte[]> KeyCommitments)
{
    /// <summary>The commitment of <paramref name="generation"/>; null for a generation the namespace never had.</summary>
    public byte[]? Commitment(int generation) => generation >= 1 && generation <= KeyCommitments.Count ? KeyCommitments[generation - 1] : null;
}

/// <summary>A version as its <see cref="PutVersion"/> entry made it: everything but the value, which its digest pins.</summary>
internal sealed record VersionState(int Number, int KeyGeneration, SecretValueType Type, byte[] ValueDigest, Guid Author, DateTimeOffset Created);

/// <summary>
/// A secret: its namespace and name key, the key commitment of each key generation (oldest first), its versions (those not
/// removed or pruned) and what its current version set: type, metadata, expiry, author and time.
/// </summary>
internal sealed record SecretState(Guid Id, Guid NamespaceId, string NameKey, ImmutableList<byte[]> KeyCommitments, Guid CreatedBy, DateTimeOffset Created)
{
    /// <summary>The newest key generation: what a new version must be sealed under.</summary>
    public int KeyGeneration => KeyCommitments.Count;

    /// <summary>The current version's number; 0 before the first.</summary>
    public int CurrentVersion { get; init; }

    /// <summary>The versions still kept, by number.</summary>
    public ImmutableSortedDictionary<int, VersionState> Versions { get; init; } = ImmutableSortedDictionary<int, VersionState>.Empty;

    /// <summary>The metadata (canonical JSON) the current version set; null for none.</summary>
    public string? Metadata { get; init; }

    /// <summary>When the current version expires; null for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The current version, or null before the first.</summary>
    public VersionState? Current => Versions.GetValueOrDefault(CurrentVersion);

    /// <summary>The commitment of <paramref name="generation"/>; null for a generation the secret never had.</summary>
    public byte[]? Commitment(int generation) => generation >= 1 && generation <= KeyCommitments.Count ? KeyCommitments[generation - 1] : null;
}

/// <summary>A grant's scope: a namespace or a secret.</summary>
internal readonly record struct GrantScope(ScopeKind Kind, Guid ScopeId);

/// <summary>
/// The namespaces and secrets an author may give a new key generation to without Permit there, because its previous entry
/// retired or revoked a client that held their keys. Valid only for the author's entries that immediately follow.
/// </summary>
internal sealed record RotationAllowance(Guid AuthorId, ImmutableHashSet<Guid> Namespaces, ImmutableHashSet<Guid> Secrets)
{
    public bool IsEmpty => Namespaces.IsEmpty && Secrets.IsEmpty;
}

/// <summary>
/// The access state: the replay of the control log up to <see cref="Sequence"/>. Immutable; each entry makes a new state
/// sharing what did not change, so a caller may keep any state (a verified head) while replay goes on.
/// </summary>
internal sealed record AccessState
{
    private static readonly ImmutableDictionary<string, Guid> NoNames = ImmutableDictionary.Create<string, Guid>(StringComparer.OrdinalIgnoreCase);

    internal AccessState(Guid storeId, long format, KdfFloor kdfFloor, byte[] genesisHash)
    {
        StoreId = storeId;
        Format = format;
        KdfFloor = kdfFloor;
        GenesisHash = genesisHash;
        HeadHash = genesisHash;
        Sequence = 1;
    }

    /// <summary>The store's id, from the genesis entry.</summary>
    public Guid StoreId { get; }

    /// <summary>The store format the genesis entry names.</summary>
    public long Format { get; }

    /// <summary>The KDF floor the genesis entry names.</summary>
    public KdfFloor KdfFloor { get; }

    /// <summary>For a store upgraded from format 1: its baseline (<see cref="UpgradeBaseline.None"/> otherwise).</summary>
    public UpgradeBaseline Baseline { get; init; } = UpgradeBaseline.None;

    /// <summary>The genesis entry's hash: the store's identity.</summary>
    public byte[] GenesisHash { get; }

    /// <summary>The sequence of the last entry applied.</summary>
    public long Sequence { get; init; }

    /// <summary>The hash of the last entry applied (the next entry's previous hash).</summary>
    public byte[] HeadHash { get; init; }

    /// <summary>Every client ever added, retired ones included, by id.</summary>
    public ImmutableDictionary<Guid, ClientState> Clients { get; init; } = ImmutableDictionary<Guid, ClientState>.Empty;

    /// <summary>The namespaces, by id.</summary>
    public ImmutableDictionary<Guid, NamespaceState> Namespaces { get; init; } = ImmutableDictionary<Guid, NamespaceState>.Empty;

    /// <summary>The secrets, by id.</summary>
    public ImmutableDictionary<Guid, SecretState> Secrets { get; init; } = ImmutableDictionary<Guid, SecretState>.Empty;

    /// <summary>Each client's grants, by scope; a client with none has no entry.</summary>
    public ImmutableDictionary<Guid, ImmutableDictionary<GrantScope, Permissions>> Grants { get; init; } = ImmutableDictionary<Guid, ImmutableDictionary<GrantScope, Permissions>>.Empty;

    /// <summary>Client names (ignoring case; retired clients keep theirs) to ids.</summary>
    internal ImmutableDictionary<string, Guid> ClientNames { get; init; } = NoNames;

    /// <summary>Namespace names (ignoring case) to ids.</summary>
    internal ImmutableDictionary<string, Guid> NamespaceNames { get; init; } = NoNames;

    /// <summary>Each namespace's secrets, by name key (ordinal: name keys are already upper-cased).</summary>
    internal ImmutableDictionary<Guid, ImmutableDictionary<string, Guid>> SecretsByNamespace { get; init; } = ImmutableDictionary<Guid, ImmutableDictionary<string, Guid>>.Empty;

    /// <summary>Every id the log has used for a client, namespace or secret, removed ones included: ids are never reused.</summary>
    internal ImmutableHashSet<Guid> UsedIds { get; init; } = ImmutableHashSet<Guid>.Empty;

    /// <summary>Rotations the last entry allows its author to sign next.</summary>
    internal RotationAllowance? Allowance { get; init; }

    /// <summary>A client by id; null when the log never added it.</summary>
    public ClientState? Client(Guid id) => Clients.GetValueOrDefault(id);

    /// <summary>A client by name, ignoring case; null when there is none.</summary>
    public ClientState? FindClient(string name) => ClientNames.TryGetValue(name, out var id) ? Clients[id] : null;

    /// <summary>A namespace by name, ignoring case; null when there is none.</summary>
    public NamespaceState? FindNamespace(string name) => NamespaceNames.TryGetValue(name, out var id) ? Namespaces[id] : null;

    /// <summary>A secret by namespace and name key; null when there is none.</summary>
    public SecretState? FindSecret(Guid namespaceId, string nameKey) =>
        SecretsByNamespace.TryGetValue(namespaceId, out var secrets) && secrets.TryGetValue(nameKey, out var id) ? Secrets[id] : null;

    /// <summary>The secrets of a namespace (ids).</summary>
    public IEnumerable<Guid> SecretsIn(Guid namespaceId) =>
        SecretsByNamespace.TryGetValue(namespaceId, out var secrets) ? secrets.Values : [];

    /// <summary>The flags a client holds directly on one scope.</summary>
    public Permissions Flags(Guid clientId, ScopeKind kind, Guid scopeId) =>
        Grants.TryGetValue(clientId, out var grants) ? grants.GetValueOrDefault(new GrantScope(kind, scopeId)) : Permissions.None;

    /// <summary>The flags a client holds on a namespace and, when given, on a secret in it (as IStoreReader.EffectiveFlags).</summary>
    public Permissions EffectiveFlags(Guid clientId, Guid namespaceId, Guid? secretId) =>
        Flags(clientId, ScopeKind.Namespace, namespaceId) | (secretId is { } id ? Flags(clientId, ScopeKind.Secret, id) : Permissions.None);

    /// <summary>Whether an active client with one of <paramref name="roles"/> exists, other than <paramref name="except"/>.</summary>
    public bool AnyActiveClient(IReadOnlyCollection<ClientRole> roles, Guid? except)
    {
        foreach (var client in Clients.Values)
        {
            if (client.Status == ClientStatus.Active && client.Id != except && roles.Contains(client.Role))
            {
                return true;
            }
        }

        return false;
    }
}
