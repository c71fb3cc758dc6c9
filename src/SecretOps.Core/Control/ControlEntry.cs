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
                new GenesisClient(reader.ReadGuid(), reader.ReadString(), reader.ReadEnum<ClientKind>(), reader.ReadBytes(), reader.ReadBytes()),
                new UpgradeBaseline(reader.ReadInt32(0, int.MaxValue), reader.ReadInt64())),
            AddClient.LabelText => new AddClient(reader.ReadGuid(), reader.ReadString(), reader.ReadEnum<ClientKind>(), reader.ReadEnum<ClientRole>(), reader.ReadBytes(), reader.ReadBytes()),
            UpdateClient.LabelText => new UpdateClient(reader.ReadGuid(), reader.ReadString(), reader.ReadEnum<ClientRole>()),
            SetClientStatus.LabelText => new SetClientStatus(reader.ReadGuid(), reader.ReadEnum<ClientStatus>()),
            RetireClient.LabelText => new RetireClient(reader.ReadGuid()),
            RekeyClient.LabelText => new RekeyClient(reader.ReadGuid(), reader.ReadEnum<ClientKind>(), reader.ReadBytes(), reader.ReadBytes()),
            CreateNamespace.LabelText => new CreateNamespace(reader.ReadGuid(), reader.ReadString()),
            RemoveNamespace.LabelText => new RemoveNamespace(reader.ReadGuid()),
            NamespaceKeyGeneration.LabelText => new NamespaceKeyGeneration(
                reader.ReadGuid(), reader.ReadInt32(1, int.MaxValue), reader.ReadBytes(), SecretKeyCommitment.DecodeList(reader.ReadField())),
            CreateSecret.LabelText => new CreateSecret(reader.ReadGuid(), reader.ReadGuid(), reader.ReadString(), reader.ReadBytes()),
            SecretKeyGeneration.LabelText => new SecretKeyGeneration(reader.ReadGuid(), reader.ReadInt32(1, int.MaxValue), reader.ReadBytes()),
            PutVersion.LabelText => new PutVersion(
                reader.ReadGuid(), reader.ReadInt32(1, int.MaxValue), reader.ReadInt32(1, int.MaxValue), reader.ReadEnum<SecretValueType>(), reader.ReadBytes(),
                OptionalText(reader.ReadString()), OptionalTime(reader.ReadInt64()), reader.ReadInt64(), reader.ReadInt32(0, int.MaxValue)),
            RemoveVersion.LabelText => new RemoveVersion(reader.ReadGuid(), reader.ReadInt32(1, int.MaxValue)),
            SetSecretMetadata.LabelText => new SetSecretMetadata(reader.ReadGuid(), OptionalText(reader.ReadString())),
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

    // Optional fields have one canonical absent form each: "" for text (metadata is never empty JSON), 0 for a time.
    private static string? OptionalText(string text) => text.Length == 0 ? null : text;

    private static long? OptionalTime(long unixMilliseconds) => unixMilliseconds == 0 ? null : unixMilliseconds;
}

/// <summary>Argon2id parameters no passphrase of this store may be sealed below.</summary>
internal sealed record KdfFloor(int MemoryKiB, int Iterations, int Parallelism);

/// <summary>The System client as the genesis entry introduces it: its identity and both public keys.</summary>
internal sealed record GenesisClient(Guid Id, string Name, ClientKind Kind, byte[] EncryptionKeySpki, byte[] SigningKeySpki);

/// <summary>
/// What a log made by upgrading a format-1 store says of it: how many entries after the genesis entry are the baseline (the
/// format-1 state as the upgrading administrator checked and signed it), and how many audit entries format 1 wrote. Both 0
/// for a store created in format 2.
/// </summary>
internal sealed record UpgradeBaseline(int Entries, long Format1AuditEntries)
{
    public static readonly UpgradeBaseline None = new(0, 0);
}

/// <summary>
/// The first entry: the store's id and format, the KDF floor, the System client and, for an upgraded store, its baseline.
/// It is signed by the System client's own signing key, and its hash is the store's identity.
/// </summary>
internal sealed record Genesis(Guid StoreId, long Format, KdfFloor KdfFloor, GenesisClient SystemClient, UpgradeBaseline Baseline) : ControlEntry
{
    public const string LabelText = "secretops/control/genesis/v1";

    public Genesis(Guid storeId, long format, KdfFloor kdfFloor, GenesisClient systemClient)
        : this(storeId, format, kdfFloor, systemClient, UpgradeBaseline.None)
    {
    }

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields
        .Add(StoreId).Add(Format).Add(KdfFloor.MemoryKiB).Add(KdfFloor.Iterations).Add(KdfFloor.Parallelism)
        .Add(SystemClient.Id).Add(SystemClient.Name).Add((long)SystemClient.Kind).Add(SystemClient.EncryptionKeySpki).Add(SystemClient.SigningKeySpki)
        .Add(Baseline.Entries).Add(Baseline.Format1AuditEntries);
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
/// A namespace's next key generation: its <see cref="KeyCommitment"/> and, because every secret of the namespace gets a new
/// key generation with it, each secret's new key commitment (exactly the namespace's secrets, in id order). A key anyone
/// unwraps later is checked against these, so a key generation nobody authorised cannot be planted beside them.
/// </summary>
internal sealed record NamespaceKeyGeneration(Guid NamespaceId, int Generation, byte[] KeyCommitment, IReadOnlyList<SecretKeyCommitment> SecretKeys) : ControlEntry
{
    public const string LabelText = "secretops/control/namespace-key-generation/v1";

    public NamespaceKeyGeneration(Guid namespaceId, int generation, byte[] keyCommitment)
        : this(namespaceId, generation, keyCommitment, [])
    {
    }

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) =>
        fields.Add(NamespaceId).Add(Generation).Add(KeyCommitment).Add(SecretKeyCommitment.EncodeList(SecretKeys));
}

/// <summary>A secret's new key commitment inside a <see cref="NamespaceKeyGeneration"/>: 16 bytes of id (RFC 4122 order), 32 of commitment.</summary>
internal sealed record SecretKeyCommitment(Guid SecretId, byte[] KeyCommitment)
{
    private const int Size = 16 + 32;

    public static byte[] EncodeList(IReadOnlyList<SecretKeyCommitment> list)
    {
        var bytes = new byte[list.Count * Size];
        for (var i = 0; i < list.Count; i++)
        {
            var slot = bytes.AsSpan(i * Size, Size);
            if (list[i].KeyCommitment.Length != 32 || !list[i].SecretId.TryWriteBytes(slot[..16], bigEndian: true, out _))
            {
                throw new ArgumentException("A secret key commitment is not 32 bytes.", nameof(list));
            }

            list[i].KeyCommitment.CopyTo(slot[16..]);
        }

        return bytes;
    }

    public static IReadOnlyList<SecretKeyCommitment> DecodeList(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % Size != 0)
        {
            throw new FormatException("The secret key commitments are not a whole number of 48-byte records.");
        }

        var list = new SecretKeyCommitment[bytes.Length / Size];
        for (var i = 0; i < list.Length; i++)
        {
            var slot = bytes.Slice(i * Size, Size);
            list[i] = new SecretKeyCommitment(new Guid(slot[..16], bigEndian: true), slot[16..].ToArray());
        }

        return list;
    }
}

/// <summary>
/// A new secret in a namespace, by its name key (docs/FORMAT.md §7.5), with the commitment of its first key generation;
/// its creator gets every permission on it. Its first value follows as a <see cref="PutVersion"/>.
/// </summary>
internal sealed record CreateSecret(Guid Id, Guid NamespaceId, string NameKey, byte[] KeyCommitment) : ControlEntry
{
    public const string LabelText = "secretops/control/create-secret/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(Id).Add(NamespaceId).Add(NameKey).Add(KeyCommitment);
}

/// <summary>One secret's next key generation on its own (when a client loses its grant on that secret).</summary>
internal sealed record SecretKeyGeneration(Guid SecretId, int Generation, byte[] KeyCommitment) : ControlEntry
{
    public const string LabelText = "secretops/control/secret-key-generation/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(SecretId).Add(Generation).Add(KeyCommitment);
}

/// <summary>
/// A secret's next version: everything a read returns except the value itself, which is pinned by
/// <see cref="ValueDigest"/> (SHA-256 over the sealed value, docs/FORMAT.md). It becomes the current version; versions
/// below <see cref="KeepFrom"/> (0: none) are pruned by the namespace's retention.
/// </summary>
internal sealed record PutVersion(
    Guid SecretId, int Version, int KeyGeneration, SecretValueType Type, byte[] ValueDigest, string? Metadata, long? ExpiresAt, long Created, int KeepFrom) : ControlEntry
{
    public const string LabelText = "secretops/control/put-version/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields
        .Add(SecretId).Add(Version).Add(KeyGeneration).Add((long)Type).Add(ValueDigest).Add(Metadata ?? string.Empty).Add(ExpiresAt ?? 0).Add(Created).Add(KeepFrom);
}

/// <summary>Replaces a secret's metadata without a new version (null clears it).</summary>
internal sealed record SetSecretMetadata(Guid SecretId, string? Metadata) : ControlEntry
{
    public const string LabelText = "secretops/control/set-secret-metadata/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(SecretId).Add(Metadata ?? string.Empty);
}

/// <summary>Removes one version that is not the current one.</summary>
internal sealed record RemoveVersion(Guid SecretId, int Version) : ControlEntry
{
    public const string LabelText = "secretops/control/remove-version/v1";

    public override string Label => LabelText;

    private protected override void WriteFields(AssociatedData fields) => fields.Add(SecretId).Add(Version);
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
