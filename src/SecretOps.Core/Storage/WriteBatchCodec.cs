using System.Security.Cryptography;
using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Storage;

/// <summary>
/// The wire form of a <see cref="WriteBatch"/>, for a batch a client sends a server to apply (docs/SERVER-PROTOCOL.md,
/// "Write batch encoding"). Every field is framed as <see cref="AssociatedData"/> frames it (uint32 big-endian length, then
/// the bytes): the version tag, the number of changes, then each change as its tag and its fields in declaration order.
/// Decoding is strict: anything but one exact encoding throws <see cref="FormatException"/>, so a server can refuse
/// a hostile body by that one type, and a decoded batch re-encodes to the bytes it came from.
/// </summary>
internal static class WriteBatchCodec
{
    private const string Version = "secretops-batch-v1";

    private enum Tag
    {
        InsertStoreHeader = 1,
        InsertClient = 2,
        UpdateClient = 3,
        SetClientStatus = 4,
        ReplaceClientKey = 5,
        NoteClientUse = 6,
        InsertNamespace = 7,
        UpdateNamespace = 8,
        SetNamespaceKeyGeneration = 9,
        RemoveNamespace = 10,
        InsertNamespaceKey = 11,
        InsertSecret = 12,
        UpdateSecret = 13,
        AdvanceSecretKeyGenerations = 14,
        SetSecretKeyGeneration = 15,
        RemoveSecret = 16,
        InsertSecretKey = 17,
        InsertVersion = 18,
        RemoveVersion = 19,
        PruneVersions = 20,
        PruneVersionsIn = 21,
        PutStanza = 22,
        RemoveStanzas = 23,
        RemoveSecretStanzasIn = 24,
        PutPermission = 25,
        RemovePermission = 26,
        RemovePermissionsOf = 27,
        AppendControl = 28,
        PutSigningKey = 29,
        AppendAudit = 30,
    }

    public static byte[] Encode(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var w = new AssociatedData(Version);
        w.Add(batch.Changes.Count);
        foreach (var change in batch.Changes)
        {
            Write(w, change);
        }

        return w.Span.ToArray();
    }

    public static WriteBatch Decode(ReadOnlySpan<byte> encoded)
    {
        var r = new FieldReader(encoded);
        if (r.ReadString() != Version)
        {
            throw new FormatException($"The write batch does not start with {Version}.");
        }

        // No list is sized from a count: each change read consumes bytes, so a hostile count runs out of input instead.
        var count = r.ReadInt32(0, int.MaxValue);
        var batch = new WriteBatch();
        for (var i = 0; i < count; i++)
        {
            batch.Add(ReadChange(ref r));
        }

        r.EnsureEnd();
        return batch;
    }

    private static void Write(AssociatedData w, StoreChange change)
    {
        switch (change)
        {
            case InsertStoreHeader c:
                w.Add((long)Tag.InsertStoreHeader);
                WriteHeader(w, c.Header);
                break;
            case InsertClient c:
                w.Add((long)Tag.InsertClient);
                WriteClient(w, c.Client);
                WriteOptional(w, c.CreatedBy);
                break;
            case UpdateClient c:
                w.Add((long)Tag.UpdateClient).Add(c.ClientId).Add(c.Name);
                WriteOptional(w, c.Description);
                w.Add((long)c.Role);
                break;
            case SetClientStatus c:
                w.Add((long)Tag.SetClientStatus).Add(c.ClientId).Add((long)c.Status);
                break;
            case ReplaceClientKey c:
                w.Add((long)Tag.ReplaceClientKey).Add(c.ClientId).Add((long)c.Kind).Add(c.PublicKey.ExportSubjectPublicKeyInfo());
                WriteOptional(w, c.Protection);
                break;
            case NoteClientUse c:
                w.Add((long)Tag.NoteClientUse).Add(c.ClientId);
                WriteTime(w, c.At);
                break;
            case InsertNamespace c:
                w.Add((long)Tag.InsertNamespace);
                WriteNamespace(w, c.Namespace);
                break;
            case UpdateNamespace c:
                w.Add((long)Tag.UpdateNamespace).Add(c.NamespaceId);
                WriteOptional(w, c.Description);
                WriteOptional(w, c.MaxVersions);
                break;
            case SetNamespaceKeyGeneration c:
                w.Add((long)Tag.SetNamespaceKeyGeneration).Add(c.NamespaceId).Add(c.Expected).Add(c.Generation);
                break;
            case RemoveNamespace c:
                w.Add((long)Tag.RemoveNamespace).Add(c.NamespaceId);
                break;
            case InsertNamespaceKey c:
                w.Add((long)Tag.InsertNamespaceKey).Add(c.NamespaceId).Add(c.Generation);
                WriteSealed(w, c.Canary);
                WriteTime(w, c.Created);
                break;
            case InsertSecret c:
                w.Add((long)Tag.InsertSecret);
                WriteSecret(w, c.Secret);
                w.Add(c.CreatedBy);
                break;
            case UpdateSecret c:
                w.Add((long)Tag.UpdateSecret);
                WriteSecret(w, c.Secret);
                w.Add(c.ExpectedVersion).Add(c.UpdatedBy);
                break;
            case AdvanceSecretKeyGenerations c:
                w.Add((long)Tag.AdvanceSecretKeyGenerations).Add(c.NamespaceId).Add(c.SecretCount);
                break;
            case SetSecretKeyGeneration c:
                w.Add((long)Tag.SetSecretKeyGeneration).Add(c.SecretId).Add(c.Expected).Add(c.Generation);
                break;
            case RemoveSecret c:
                w.Add((long)Tag.RemoveSecret).Add(c.SecretId);
                break;
            case InsertSecretKey c:
                w.Add((long)Tag.InsertSecretKey).Add(c.SecretId).Add(c.Generation).Add(c.NamespaceGeneration);
                WriteSealed(w, c.Wrapped);
                break;
            case InsertVersion c:
                w.Add((long)Tag.InsertVersion).Add(c.SecretId).Add(c.Version.Number).Add(c.Version.KeyGeneration).Add((long)c.Version.Type);
                WriteSealed(w, c.Version.Value);
                WriteTime(w, c.Created);
                w.Add(c.CreatedBy);
                break;
            case RemoveVersion c:
                w.Add((long)Tag.RemoveVersion).Add(c.SecretId).Add(c.Version);
                break;
            case PruneVersions c:
                w.Add((long)Tag.PruneVersions).Add(c.SecretId).Add(c.UpTo);
                break;
            case PruneVersionsIn c:
                w.Add((long)Tag.PruneVersionsIn).Add(c.NamespaceId).Add(c.Keep);
                break;
            case PutStanza c:
                w.Add((long)Tag.PutStanza).Add((long)c.Scope.Kind).Add(c.Scope.ScopeId).Add(c.Scope.Generation);
                WriteStanza(w, c.Stanza);
                break;
            case RemoveStanzas c:
                w.Add((long)Tag.RemoveStanzas).Add(c.ClientId);
                WriteOptional(w, c.Kind);
                WriteOptional(w, c.ScopeId);
                break;
            case RemoveSecretStanzasIn c:
                w.Add((long)Tag.RemoveSecretStanzasIn).Add(c.ClientId).Add(c.NamespaceId);
                break;
            case PutPermission c:
                w.Add((long)Tag.PutPermission).Add(c.ClientId).Add((long)c.Kind).Add(c.ScopeId).Add((long)c.Flags).Add(c.GrantedBy);
                WriteTime(w, c.GrantedAt);
                break;
            case RemovePermission c:
                w.Add((long)Tag.RemovePermission).Add(c.ClientId).Add((long)c.Kind).Add(c.ScopeId);
                break;
            case RemovePermissionsOf c:
                w.Add((long)Tag.RemovePermissionsOf).Add(c.ClientId);
                break;
            case AppendControl c:
                w.Add((long)Tag.AppendControl).Add(c.Sequence).Add(c.Entry);
                break;
            case PutSigningKey c:
                w.Add((long)Tag.PutSigningKey);
                WriteStanza(w, c.Stanza);
                break;
            case AppendAudit c:
                w.Add((long)Tag.AppendAudit).Add(c.Entries.Count);
                foreach (var entry in c.Entries)
                {
                    WriteAudit(w, entry);
                }

                break;
            default:
                throw new ArgumentException($"The write batch codec has no encoding for {change.GetType().Name}.", nameof(change));
        }
    }

    private static StoreChange ReadChange(ref FieldReader r) => (Tag)ReadInt32(ref r) switch
    {
        Tag.InsertStoreHeader => new InsertStoreHeader(ReadHeader(ref r)),
        Tag.InsertClient => new InsertClient(ReadClient(ref r), ReadOptionalGuid(ref r)),
        Tag.UpdateClient => new UpdateClient(r.ReadGuid(), r.ReadString(), ReadOptionalString(ref r), r.ReadEnum<ClientRole>()),
        Tag.SetClientStatus => new SetClientStatus(r.ReadGuid(), r.ReadEnum<ClientStatus>()),
        Tag.ReplaceClientKey => new ReplaceClientKey(r.ReadGuid(), r.ReadEnum<ClientKind>(), ReadPublicKey(ref r), ReadOptionalProtection(ref r)),
        Tag.NoteClientUse => new NoteClientUse(r.ReadGuid(), ReadTime(ref r)),
        Tag.InsertNamespace => new InsertNamespace(ReadNamespace(ref r)),
        Tag.UpdateNamespace => new UpdateNamespace(r.ReadGuid(), ReadOptionalString(ref r), ReadOptionalInt32(ref r)),
        Tag.SetNamespaceKeyGeneration => new SetNamespaceKeyGeneration(r.ReadGuid(), ReadInt32(ref r), ReadInt32(ref r)),
        Tag.RemoveNamespace => new RemoveNamespace(r.ReadGuid()),
        Tag.InsertNamespaceKey => new InsertNamespaceKey(r.ReadGuid(), ReadInt32(ref r), ReadSealed(ref r), ReadTime(ref r)),
        Tag.InsertSecret => new InsertSecret(ReadSecret(ref r), r.ReadGuid()),
        Tag.UpdateSecret => new UpdateSecret(ReadSecret(ref r), ReadInt32(ref r), r.ReadGuid()),
        Tag.AdvanceSecretKeyGenerations => new AdvanceSecretKeyGenerations(r.ReadGuid(), ReadInt32(ref r)),
        Tag.SetSecretKeyGeneration => new SetSecretKeyGeneration(r.ReadGuid(), ReadInt32(ref r), ReadInt32(ref r)),
        Tag.RemoveSecret => new RemoveSecret(r.ReadGuid()),
        Tag.InsertSecretKey => new InsertSecretKey(r.ReadGuid(), ReadInt32(ref r), ReadInt32(ref r), ReadSealed(ref r)),
        Tag.InsertVersion => new InsertVersion(
            r.ReadGuid(), new VersionRow(ReadInt32(ref r), ReadInt32(ref r), r.ReadEnum<SecretValueType>(), ReadSealed(ref r)), ReadTime(ref r), r.ReadGuid()),
        Tag.RemoveVersion => new RemoveVersion(r.ReadGuid(), ReadInt32(ref r)),
        Tag.PruneVersions => new PruneVersions(r.ReadGuid(), ReadInt32(ref r)),
        Tag.PruneVersionsIn => new PruneVersionsIn(r.ReadGuid(), ReadInt32(ref r)),
        Tag.PutStanza => new PutStanza(new KeyScope(r.ReadEnum<ScopeKind>(), r.ReadGuid(), ReadInt32(ref r)), ReadStanza(ref r)),
        Tag.RemoveStanzas => new RemoveStanzas(r.ReadGuid(), ReadOptionalScopeKind(ref r), ReadOptionalGuid(ref r)),
        Tag.RemoveSecretStanzasIn => new RemoveSecretStanzasIn(r.ReadGuid(), r.ReadGuid()),
        Tag.PutPermission => new PutPermission(r.ReadGuid(), r.ReadEnum<ScopeKind>(), r.ReadGuid(), ReadPermissions(ref r), r.ReadGuid(), ReadTime(ref r)),
        Tag.RemovePermission => new RemovePermission(r.ReadGuid(), r.ReadEnum<ScopeKind>(), r.ReadGuid()),
        Tag.RemovePermissionsOf => new RemovePermissionsOf(r.ReadGuid()),
        Tag.AppendControl => new AppendControl(r.ReadInt64(), r.ReadBytes()),
        Tag.PutSigningKey => new PutSigningKey(ReadStanza(ref r)),
        Tag.AppendAudit => new AppendAudit(ReadAuditEntries(ref r)),
        _ => throw new FormatException("A write batch change has an unknown tag."),
    };

    // ---- Records ----

    private static void WriteHeader(AssociatedData w, StoreHeader header)
    {
        w.Add(header.StoreId);
        WriteTime(w, header.Created);
        WriteBool(w, header.AllowWeakKdf);
        WriteKdf(w, header.Kdf);
    }

    private static StoreHeader ReadHeader(ref FieldReader r) => new(r.ReadGuid(), ReadTime(ref r), ReadBool(ref r), ReadKdf(ref r));

    private static void WriteClient(AssociatedData w, ClientRecord client)
    {
        w.Add(client.Id).Add(client.Name);
        WriteOptional(w, client.Description);
        w.Add((long)client.Kind).Add((long)client.Role).Add((long)client.Status).Add(client.PublicKey.ExportSubjectPublicKeyInfo());
        WriteOptional(w, client.Protection);
        WriteTime(w, client.Created);
        WriteOptional(w, client.LastUsed);
    }

    private static ClientRecord ReadClient(ref FieldReader r) => new(
        r.ReadGuid(), r.ReadString(), ReadOptionalString(ref r), r.ReadEnum<ClientKind>(), r.ReadEnum<ClientRole>(), r.ReadEnum<ClientStatus>(),
        ReadPublicKey(ref r), ReadOptionalProtection(ref r), ReadTime(ref r), ReadOptionalTime(ref r));

    private static ClientPublicKey ReadPublicKey(ref FieldReader r)
    {
        var der = r.ReadField();
        ClientPublicKey key;
        try
        {
            key = ClientPublicKey.FromSubjectPublicKeyInfo(der);
        }
        catch (Exception e) when (e is SecretOpsException or CryptographicException or ArgumentException)
        {
            throw new FormatException("A public key in the write batch is not one SecretOps accepts.", e);
        }

        // The key is kept as it re-exports; any other spelling of it would not re-encode to the bytes received.
        return key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(der) ? key : throw new FormatException("A public key in the write batch is not in canonical DER.");
    }

    private static void WriteProtection(AssociatedData w, KeyProtection protection)
    {
        w.Add(protection.Salt);
        WriteOptional(w, protection.Kdf);
        WriteSealed(w, protection.Envelope);
        WriteOptional(w, protection.Damage);
    }

    private static KeyProtection? ReadOptionalProtection(ref FieldReader r)
    {
        if (!ReadPresence(ref r))
        {
            return null;
        }

        var salt = r.ReadBytes();
        var kdf = ReadPresence(ref r) ? ReadKdf(ref r) : null;
        var envelope = ReadSealed(ref r);
        return new KeyProtection(salt, kdf, envelope) { Damage = ReadOptionalString(ref r) };
    }

    private static void WriteKdf(AssociatedData w, Argon2Parameters kdf) =>
        w.Add((long)kdf.Type).Add(kdf.Iterations).Add(kdf.MemoryKiB).Add(kdf.Parallelism).Add((long)kdf.Version);

    private static Argon2Parameters ReadKdf(ref FieldReader r)
    {
        var type = r.ReadEnum<Argon2Type>();
        var iterations = ReadInt32(ref r);
        var memoryKiB = ReadInt32(ref r);
        var parallelism = ReadInt32(ref r);
        var version = r.ReadEnum<Argon2Version>();
        try
        {
            return new Argon2Parameters(type, iterations, memoryKiB, parallelism, version);
        }
        catch (InvalidParameterException e)
        {
            throw new FormatException("Argon2 parameters in the write batch are out of range.", e);
        }
    }

    private static void WriteSealed(AssociatedData w, SealedData data) => w.Add(data.Nonce).Add(data.Ciphertext);

    private static SealedData ReadSealed(ref FieldReader r) => new(r.ReadBytes(), r.ReadBytes());

    private static void WriteNamespace(AssociatedData w, NamespaceRecord ns)
    {
        w.Add(ns.Id).Add(ns.Name);
        WriteOptional(w, ns.Description);
        w.Add(ns.KeyGeneration);
        WriteOptional(w, ns.MaxVersions);
        WriteTime(w, ns.Created);
        w.Add(ns.CreatedBy);
    }

    private static NamespaceRecord ReadNamespace(ref FieldReader r) => new(
        r.ReadGuid(), r.ReadString(), ReadOptionalString(ref r), ReadInt32(ref r), ReadOptionalInt32(ref r), ReadTime(ref r), r.ReadGuid());

    private static void WriteSecret(AssociatedData w, SecretRecord secret)
    {
        w.Add(secret.Id).Add(secret.NamespaceId).Add(secret.Name).Add((long)secret.Type).Add(secret.CurrentVersion).Add(secret.KeyGeneration);
        WriteOptional(w, secret.Metadata);
        WriteOptional(w, secret.ExpiresAt);
        WriteTime(w, secret.Created);
        w.Add(secret.CreatedBy);
        WriteTime(w, secret.Updated);
        w.Add(secret.UpdatedBy);
    }

    private static SecretRecord ReadSecret(ref FieldReader r) => new(
        r.ReadGuid(), r.ReadGuid(), r.ReadString(), r.ReadEnum<SecretValueType>(), ReadInt32(ref r), ReadInt32(ref r), ReadOptionalString(ref r),
        ReadOptionalTime(ref r), ReadTime(ref r), r.ReadString(), ReadTime(ref r), r.ReadString());

    private static void WriteStanza(AssociatedData w, Stanza stanza) =>
        w.Add(stanza.RecipientId).Add((long)stanza.Algorithm).Add(stanza.Header).Add(stanza.Nonce).Add(stanza.Ciphertext);

    private static Stanza ReadStanza(ref FieldReader r) => new(r.ReadGuid(), r.ReadEnum<StanzaAlgorithm>(), r.ReadBytes(), r.ReadBytes(), r.ReadBytes());

    private static void WriteAudit(AssociatedData w, ChainedAuditEntry chained)
    {
        var e = chained.Entry;
        w.Add(e.Sequence);
        WriteTime(w, e.Time);
        WriteOptional(w, e.ClientId);
        w.Add(e.ClientName).Add(e.Action);
        WriteOptional(w, e.Namespace);
        WriteOptional(w, e.Target);
        WriteOptional(w, e.Version);
        w.Add(e.Outcome);
        WriteOptional(w, e.ErrorId);
        w.Add(e.Host).Add(e.OsUser).Add(e.ProcessId).Add(e.Surface);
        w.Add(chained.PreviousHash).Add(chained.Hash);
        WriteOptional(w, chained.Signature);
    }

    private static List<ChainedAuditEntry> ReadAuditEntries(ref FieldReader r)
    {
        // As for the changes: the count sizes nothing, and each entry read consumes bytes.
        var count = r.ReadInt32(0, int.MaxValue);
        var entries = new List<ChainedAuditEntry>();
        for (var i = 0; i < count; i++)
        {
            var entry = new AuditEntry(
                r.ReadInt64(), ReadTime(ref r), ReadOptionalGuid(ref r), r.ReadString(), r.ReadString(), ReadOptionalString(ref r), ReadOptionalString(ref r),
                ReadOptionalInt32(ref r), r.ReadString(), ReadOptionalString(ref r), r.ReadString(), r.ReadString(), ReadInt32(ref r), r.ReadString());
            entries.Add(new ChainedAuditEntry(entry, r.ReadBytes(), r.ReadBytes(), ReadPresence(ref r) ? r.ReadBytes() : null));
        }

        return entries;
    }

    // ---- Scalars: an int is an 8-byte integer field, a bool or presence flag an integer 0 or 1, and an absent optional
    // value is its flag 0 alone (so null and empty differ). A time is two integer fields, its clock ticks and its offset
    // in minutes, which keeps a DateTimeOffset exactly. ----

    private static int ReadInt32(ref FieldReader r) => r.ReadInt32(int.MinValue, int.MaxValue);

    private static void WriteBool(AssociatedData w, bool value) => w.Add(value ? 1 : 0);

    private static bool ReadBool(ref FieldReader r) => r.ReadInt32(0, 1) == 1;

    private static bool ReadPresence(ref FieldReader r) => ReadBool(ref r);

    private static Permissions ReadPermissions(ref FieldReader r) => (Permissions)r.ReadInt32(0, (int)Permissions.All);

    private static void WriteTime(AssociatedData w, DateTimeOffset time) => w.Add(time.Ticks).Add((long)time.Offset.TotalMinutes);

    private static DateTimeOffset ReadTime(ref FieldReader r)
    {
        var ticks = r.ReadInt64();
        var offsetMinutes = r.ReadInt32(-14 * 60, 14 * 60);
        try
        {
            return new DateTimeOffset(ticks, TimeSpan.FromMinutes(offsetMinutes));
        }
        catch (ArgumentException e)
        {
            throw new FormatException("A time in the write batch is out of range.", e);
        }
    }

    private static void WriteOptional(AssociatedData w, string? value)
    {
        WriteBool(w, value is not null);
        if (value is not null)
        {
            w.Add(value);
        }
    }

    private static void WriteOptional(AssociatedData w, byte[]? value)
    {
        WriteBool(w, value is not null);
        if (value is not null)
        {
            w.Add(value);
        }
    }

    private static void WriteOptional(AssociatedData w, Guid? value)
    {
        WriteBool(w, value.HasValue);
        if (value is { } present)
        {
            w.Add(present);
        }
    }

    private static void WriteOptional(AssociatedData w, int? value)
    {
        WriteBool(w, value.HasValue);
        if (value is { } present)
        {
            w.Add(present);
        }
    }

    private static void WriteOptional(AssociatedData w, ScopeKind? value)
    {
        WriteBool(w, value.HasValue);
        if (value is { } present)
        {
            w.Add((long)present);
        }
    }

    private static void WriteOptional(AssociatedData w, DateTimeOffset? value)
    {
        WriteBool(w, value.HasValue);
        if (value is { } present)
        {
            WriteTime(w, present);
        }
    }

    private static void WriteOptional(AssociatedData w, Argon2Parameters? value)
    {
        WriteBool(w, value is not null);
        if (value is not null)
        {
            WriteKdf(w, value);
        }
    }

    private static void WriteOptional(AssociatedData w, KeyProtection? value)
    {
        WriteBool(w, value is not null);
        if (value is not null)
        {
            WriteProtection(w, value);
        }
    }

    private static string? ReadOptionalString(ref FieldReader r) => ReadPresence(ref r) ? r.ReadString() : null;

    private static Guid? ReadOptionalGuid(ref FieldReader r) => ReadPresence(ref r) ? r.ReadGuid() : null;

    private static int? ReadOptionalInt32(ref FieldReader r) => ReadPresence(ref r) ? ReadInt32(ref r) : null;

    private static ScopeKind? ReadOptionalScopeKind(ref FieldReader r) => ReadPresence(ref r) ? r.ReadEnum<ScopeKind>() : null;

    private static DateTimeOffset? ReadOptionalTime(ref FieldReader r) => ReadPresence(ref r) ? ReadTime(ref r) : null;
}
