using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Control;

/// <summary>
/// One administrative change, as data. Its <see cref="Encode">canonical bytes</see> are a field list in the
/// associated-data encoding (docs/FORMAT.md §2): first a label naming the kind and its version
/// (<c>secretops/control/&lt;kind&gt;/v1</c>), then the kind's fields in a fixed order. Every field is length-prefixed
/// and the label fixes the field list, so two different entries never encode alike, and <see cref="Decode"/> accepts
/// exactly the bytes <see cref="Encode"/> writes.
/// </summary>
internal abstract record ControlEntry
{
    private protected ControlEntry()
    {
    }

    /// <summary>The purpose label that starts the encoding.</summary>
    public abstract string Label { get; }

    /// <summary>The canonical bytes (the body of a signed entry).</summary>
    public byte[] Encode()
    {
        var fields = new AssociatedData(Label);
        WriteFields(fields);
        return fields.Span.ToArray();
    }

    /// <summary>Reads canonical bytes; anything else (an unknown label, a short, long or mistyped field) throws <see cref="FormatException"/>.</summary>
    public static ControlEntry Decode(ReadOnlySpan<byte> body)
    {
        var reader = new FieldReader(body);
        ControlEntry entry = reader.ReadString() switch
        {
            Genesis.LabelText => new Genesis(
                reader.ReadGuid(), reader.ReadInt64(),
                new KdfFloor(reader.ReadInt32(0, int.MaxValue), reader.ReadInt32(0, int.MaxValue), reader.ReadInt32(0, int.MaxValue)),
                new GenesisClient(reader.ReadGuid(), reader.ReadString(), reader.ReadEnum<ClientKind>(), reader.ReadBytes(), reader.ReadBytes())),
            AddClient.LabelText => new AddClient(reader.ReadGuid(), reader.ReadString(), reader.ReadEnum<ClientKind>(), reader.ReadEnum<ClientRole>(), reader.ReadBytes(), reader.ReadBytes()),
            UpdateClient.LabelText => new UpdateClient(reader.ReadGuid(), reader.ReadString(), reader.ReadEnum<ClientRole>()),
            SetClientStatus.LabelText => new SetClientStatus(reader.ReadGuid(), reader.ReadEnum<ClientStatus>()),
            RetireClient.LabelText => new RetireClient(reader.ReadGuid()),
            RekeyClient.LabelText => new RekeyClient(reader.ReadGuid(), reader.ReadEnum<ClientKind>(), reader.ReadBytes(), reader.ReadBytes()),
            CreateNamespace.LabelText => new CreateNamespace(reader.ReadGuid(), reader.ReadString()),
            RemoveNamespace.LabelText => new RemoveNamespace(reader.ReadGuid()),
            NamespaceKeyGeneration.LabelText => new NamespaceKeyGeneration(reader.ReadGuid(), reader.ReadInt32(1, int.MaxValue), reader.ReadBytes()),
            CreateSecret.LabelText => new CreateSecret(reader.ReadGuid(), reader.ReadGuid(), reader.ReadString()),
            RemoveSecret.LabelText => new RemoveSecret(reader.ReadGuid()),
            Grant.LabelText => new Grant(reader.ReadGuid(), reader.ReadEnum<ScopeKind>(), reader.ReadGuid(), ReadFlags(ref reader)),
            Revoke.LabelText => new Revoke(reader.ReadGuid(), reader.ReadEnum<ScopeKind>(), reader.ReadGuid(), ReadFlags(ref reader)),
            _ => throw new FormatException("The entry's label names no known kind."),
        };
        reader.EnsureEnd();

        // Strict reading makes this hold already; it is checked so that no future field type can break it silently.
        if (!body.SequenceEqual(entry.Encode()))
        {
            throw new FormatException("The entry is not in canonical form.");
        }

        return entry;
    }

    private protected abstract void WriteFields(AssociatedData fields);

    private static Permissions ReadFlags(ref FieldReader reader) => (Permissions)reader.ReadInt32(1, (int)Permissions.All);
}

/// <summary>Argon2id parameters no passphrase of this store may be sealed below.</summary>
internal sealed record KdfFloor(int MemoryKiB, int Iterations, int Parallelism);

/// <summary>The System client as the genesis entry introduces it: its identity and both public keys.</summary>
internal sealed record GenesisClient(Guid Id, string Name, ClientKind Kind, byte[] EncryptionKeySpki, byte[] SigningKeySpki);

/// <summary>
/// The first entry: the store's id and format, the KDF floor and the System client. It is signed by the System client's
/// own signing key, and its hash is the store's identity.
/// </summary>
internal sealed record Genesis(Guid StoreId, long Format, KdfFloor KdfFloor, GenesisClient SystemClient) : ControlEntry
{
    public const string LabelText = "secretops/control/genesis/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields
        .Add(StoreId).Add(Format).Add(KdfFloor.MemoryKiB).Add(KdfFloor.Iterations).Add(KdfFloor.Parallelism)
        .Add(SystemClient.Id).Add(SystemClient.Name).Add((long)SystemClient.Kind).Add(SystemClient.EncryptionKeySpki).Add(SystemClient.SigningKeySpki);
}

/// <summary>A new Admin or Member client with its encryption and signing public keys.</summary>
internal sealed record AddClient(Guid Id, string Name, ClientKind Kind, ClientRole Role, byte[] EncryptionKeySpki, byte[] SigningKeySpki) : ControlEntry
{
    public const string LabelText = "secretops/control/add-client/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) =>
        fields.Add(Id).Add(Name).Add((long)Kind).Add((long)Role).Add(EncryptionKeySpki).Add(SigningKeySpki);
}

/// <summary>A client's name and role (the whole new value of both).</summary>
internal sealed record UpdateClient(Guid Id, string Name, ClientRole Role) : ControlEntry
{
    public const string LabelText = "secretops/control/update-client/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id).Add(Name).Add((long)Role);
}

/// <summary>Disables or enables a client (retirement has its own entry).</summary>
internal sealed record SetClientStatus(Guid Id, ClientStatus Status) : ControlEntry
{
    public const string LabelText = "secretops/control/set-client-status/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id).Add((long)Status);
}

/// <summary>Retires a client for good: its grants go, and it can never author an entry again.</summary>
internal sealed record RetireClient(Guid Id) : ControlEntry
{
    public const string LabelText = "secretops/control/retire-client/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id);
}

/// <summary>A client's new credential kind and key pairs (it re-keys itself, or an admin re-keys it).</summary>
internal sealed record RekeyClient(Guid Id, ClientKind Kind, byte[] EncryptionKeySpki, byte[] SigningKeySpki) : ControlEntry
{
    public const string LabelText = "secretops/control/rekey-client/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id).Add((long)Kind).Add(EncryptionKeySpki).Add(SigningKeySpki);
}

/// <summary>A new namespace, with no key generation yet; its creator gets every permission on it.</summary>
internal sealed record CreateNamespace(Guid Id, string Name) : ControlEntry
{
    public const string LabelText = "secretops/control/create-namespace/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id).Add(Name);
}

/// <summary>Removes a namespace, its secrets and every grant on them.</summary>
internal sealed record RemoveNamespace(Guid Id) : ControlEntry
{
    public const string LabelText = "secretops/control/remove-namespace/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id);
}

/// <summary>
/// A namespace's next key generation. <see cref="CanaryDigest"/> (32 bytes) pins that generation's canary, so a key
/// generation nobody authorised cannot be planted beside it.
/// </summary>
internal sealed record NamespaceKeyGeneration(Guid NamespaceId, int Generation, byte[] CanaryDigest) : ControlEntry
{
    public const string LabelText = "secretops/control/namespace-key-generation/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(NamespaceId).Add(Generation).Add(CanaryDigest);
}

/// <summary>A new secret in a namespace, by its name key (docs/FORMAT.md §7.5); its creator gets every permission on it.</summary>
internal sealed record CreateSecret(Guid Id, Guid NamespaceId, string NameKey) : ControlEntry
{
    public const string LabelText = "secretops/control/create-secret/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id).Add(NamespaceId).Add(NameKey);
}

/// <summary>Removes a secret and every grant on it.</summary>
internal sealed record RemoveSecret(Guid Id) : ControlEntry
{
    public const string LabelText = "secretops/control/remove-secret/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id);
}

/// <summary>Adds <see cref="Flags"/> to a client's grant on a namespace or a secret.</summary>
internal sealed record Grant(Guid ClientId, ScopeKind ScopeKind, Guid ScopeId, Permissions Flags) : ControlEntry
{
    public const string LabelText = "secretops/control/grant/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(ClientId).Add((long)ScopeKind).Add(ScopeId).Add((long)Flags);
}

/// <summary>
/// Takes <see cref="Flags"/> from a client's grant on a namespace or a secret. On a namespace it also takes them from
/// the client's grants on the namespace's secrets, and Read and Write as well when the client keeps neither on the
/// namespace (as Session.Revoke does).
/// </summary>
internal sealed record Revoke(Guid ClientId, ScopeKind ScopeKind, Guid ScopeId, Permissions Flags) : ControlEntry
{
    public const string LabelText = "secretops/control/revoke/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(ClientId).Add((long)ScopeKind).Add(ScopeId).Add((long)Flags);
}
