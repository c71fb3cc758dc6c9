// Format 2 for the independent reader: the signed control log, signing keys, key commitments, value digests and audit
// signatures, written from docs/FORMAT.md §14–§18 alone, with Microsoft.Data.Sqlite and System.Security.Cryptography
// (ECDsa, HKDF, SHA256) and no engine type. Each step cites the section it follows.
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace IndependentReader;

public static partial class FormatReader
{
    // ---- §15.1 The order n of the P-256 group: a signature's s must be at most n / 2 (low S); a scalar lies in [1, n - 1].
    private static readonly BigInteger P256Order = new(Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), isUnsigned: true, isBigEndian: true);

    /// <summary>§14.2: the 32 zero bytes that stand for the genesis entry's previous hash.</summary>
    public static readonly byte[] NoPreviousHash = new byte[32];

    // ---- §15.2 A signing key from its 32-byte seed: d = HKDF-SHA256(IKM = seed, salt = empty, info = "secretops/signing-key/v1" || c, 32)
    // for the first counter byte c = 0, 1, … whose output, read big-endian, lies in [1, n - 1].
    public static byte[] SigningScalar(byte[] seed, out int counter)
    {
        if (seed.Length != 32)
        {
            throw new CryptographicException("a signing seed is 32 bytes");
        }

        for (counter = 0; counter < 256; counter++)
        {
            var scalar = HKDF.DeriveKey(HashAlgorithmName.SHA256, seed, 32, [], [.. Encoding.ASCII.GetBytes("secretops/signing-key/v1"), (byte)counter]);
            var d = new BigInteger(scalar, isUnsigned: true, isBigEndian: true);
            if (d > 0 && d < P256Order)
            {
                return scalar;
            }
        }

        throw new CryptographicException("no scalar");
    }

    /// <summary>§15.2: the SubjectPublicKeyInfo of the P-256 key whose private scalar is <paramref name="scalar"/>.</summary>
    public static byte[] P256PublicKeyOf(byte[] scalar)
    {
        using var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar });
        return key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>§15.3: ECDSA P-256 / SHA-256 over the message, P1363 r || s (64 bytes), s at most n / 2; the key a canonical SPKI.</summary>
    public static bool VerifySignature(byte[] signingSpki, byte[] message, byte[] signature)
    {
        if (signature.Length != 64 || new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true) > P256Order >> 1)
        {
            return false;
        }

        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(signingSpki, out var read);
        if (read != signingSpki.Length || !key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(signingSpki)
            || key.ExportParameters(false).Curve.Oid.Value != "1.2.840.10045.3.1.7")
        {
            throw new CryptographicException("a signing key is not a canonical P-256 SubjectPublicKeyInfo");
        }

        return key.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    // ---- §14.2 A log entry: signed bytes, encoding (what control_log.entry holds) and hash.
    public static byte[] ControlSignedBytes(long sequence, byte[] previousHash, Guid author, byte[] body) =>
        Ad("secretops/control-signature/v1", sequence, previousHash, author, body);

    public static byte[] ControlEntryEncoding(long sequence, byte[] previousHash, Guid author, byte[] body, byte[] signature) =>
        Ad("secretops/control-entry/v1", sequence, previousHash, author, body, signature);

    // ---- §16 Key commitments and value digests.
    public static byte[] KeyCommitment(long scopeKind, Guid scopeId, long generation, byte[] key) =>
        SHA256.HashData(Ad("secretops/key-commitment/v1", scopeKind, scopeId, generation, key));

    public static byte[] ValueDigest(byte[] nonce, byte[] ciphertext) => SHA256.HashData(Ad("secretops/value-digest/v1", nonce, ciphertext));

    // ---- §15.2 The signing seed's stanza context, §17 the envelope AD v2, §18 what an audit signature covers.
    public static byte[] SigningSeedContext(Guid storeId, Guid clientId) => Ad("secretops/signing-seed/v1", storeId, clientId);

    public static byte[] ClientKeyAdV2(byte[] genesisHash, Guid clientId, long kind, byte[] salt, long memoryKiB, long iterations, long parallelism) =>
        Ad("secretops/client-key/v2", genesisHash, clientId, kind, salt, memoryKiB, iterations, parallelism);

    public static byte[] AuditSignedBytes(Guid storeId, byte[] auditHash) => Ad("secretops/audit-signature/v1", storeId, auditHash);

    /// <summary>§2 read back: the fields of an encoded field list; a cut-off field or trailing bytes are refused.</summary>
    public static List<byte[]> Fields(byte[] encoded)
    {
        var fields = new List<byte[]>();
        var offset = 0;
        while (offset < encoded.Length)
        {
            if (encoded.Length - offset < 4)
            {
                throw new InvalidDataException("a field length is cut off");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(encoded.AsSpan(offset));
            if (length > (uint)(encoded.Length - offset - 4))
            {
                throw new InvalidDataException("a field is longer than what remains");
            }

            fields.Add(encoded.AsSpan(offset + 4, (int)length).ToArray());
            offset += 4 + (int)length;
        }

        return fields;
    }

    /// <summary>One decoded control log entry (§14.2) with its body's fields after the label (§14.3).</summary>
    public sealed record LogEntry(long Sequence, byte[] PreviousHash, Guid Author, byte[] Body, byte[] Signature, string Kind, List<byte[]> Fields)
    {
        public byte[] SignedBytes => ControlSignedBytes(Sequence, PreviousHash, Author, Body);

        public byte[] Hash => SHA256.HashData(ControlEntryEncoding(Sequence, PreviousHash, Author, Body, Signature));

        public long Int(int i) => Fields[i].Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(Fields[i]) : throw new InvalidDataException("an integer field is not 8 bytes");

        public Guid Id(int i) => Fields[i].Length == 16 ? new Guid(Fields[i], bigEndian: true) : throw new InvalidDataException("a UUID field is not 16 bytes");

        public string Text(int i) => new UTF8Encoding(false, true).GetString(Fields[i]);
    }

    /// <summary>§14.3: the field kinds of each entry kind after its label: G UUID, I integer, S text, B bytes.</summary>
    private static readonly Dictionary<string, string> EntryKinds = new()
    {
        ["genesis"] = "GIIIIGSIBBII",
        ["add-client"] = "GSIIBB",
        ["update-client"] = "GSI",
        ["set-client-status"] = "GI",
        ["retire-client"] = "G",
        ["rekey-client"] = "GIBB",
        ["create-namespace"] = "GS",
        ["remove-namespace"] = "G",
        ["namespace-key-generation"] = "GIBB",
        ["create-secret"] = "GGSB",
        ["secret-key-generation"] = "GIB",
        ["put-version"] = "GIIIBSIII",
        ["remove-version"] = "GI",
        ["set-secret-metadata"] = "GS",
        ["remove-secret"] = "G",
        ["grant"] = "GIGI",
        ["revoke"] = "GIGI",
    };

    /// <summary>§14.2, §14.3: decodes control_log.entry (stored at <paramref name="row"/>) and its body.</summary>
    public static LogEntry DecodeEntry(long row, byte[] encoded)
    {
        var outer = Fields(encoded);
        if (outer.Count != 6 || Encoding.UTF8.GetString(outer[0]) != "secretops/control-entry/v1" || outer[1].Length != 8 || outer[3].Length != 16)
        {
            throw new InvalidDataException($"control log row {row} is not an entry");
        }

        var sequence = BinaryPrimitives.ReadInt64BigEndian(outer[1]);
        if (sequence != row)
        {
            throw new InvalidDataException($"control log row {row} holds entry {sequence}");
        }

        var body = Fields(outer[4]);
        var label = body.Count > 0 ? Encoding.UTF8.GetString(body[0]) : "";
        var kind = label.StartsWith("secretops/control/", StringComparison.Ordinal) && label.EndsWith("/v1", StringComparison.Ordinal) ? label[18..^3] : "";
        if (!EntryKinds.TryGetValue(kind, out var shape) || body.Count != shape.Length + 1)
        {
            throw new InvalidDataException($"control log entry {row}: unknown kind or wrong field count");
        }

        var entry = new LogEntry(sequence, outer[2], new Guid(outer[3], bigEndian: true), outer[4], outer[5], kind, body.Skip(1).ToList());
        for (var i = 0; i < shape.Length; i++)
        {
            _ = shape[i] switch
            {
                'G' => entry.Id(i).ToString(),
                'I' => entry.Int(i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                'S' => entry.Text(i),
                _ => "",
            };
        }

        return entry;
    }

    /// <summary>A client as the log makes it (§14.4): every signing key it has had, the current one last.</summary>
    public sealed class LogClient
    {
        public required string Name { get; set; }

        public long Kind { get; set; }

        public long Role { get; set; }

        public long Status { get; set; } = 1;

        public required byte[] EncryptionSpki { get; set; }

        public List<byte[]> SigningSpkis { get; } = [];
    }

    /// <summary>A secret as the log makes it: namespace, name key, key commitments by generation, kept versions.</summary>
    public sealed class LogSecret
    {
        public Guid NamespaceId { get; init; }

        public required string NameKey { get; init; }

        public List<byte[]> Commitments { get; } = [];

        public long CurrentVersion { get; set; }

        /// <summary>version → (key generation, value type, value digest).</summary>
        public SortedDictionary<long, (long KeyGeneration, long Type, byte[] Digest)> Versions { get; } = [];
    }

    /// <summary>The state a reader needs (§14.4): enough to find commitments, current versions and value digests.</summary>
    public sealed class LogState
    {
        public Guid StoreId { get; init; }

        public required byte[] GenesisHash { get; init; }

        /// <summary>The genesis entry's upgrade baseline: audit rows up to this sequence were written by format 1, unsigned.</summary>
        public long Format1AuditEntries { get; init; }

        public byte[] HeadHash { get; set; } = [];

        public long Sequence { get; set; }

        public Dictionary<Guid, LogClient> Clients { get; } = [];

        /// <summary>namespace id → (name, key commitments by generation).</summary>
        public Dictionary<Guid, (string Name, List<byte[]> Commitments)> Namespaces { get; } = [];

        public Dictionary<Guid, LogSecret> Secrets { get; } = [];

        /// <summary>(client, scope kind, scope id) → flags.</summary>
        public Dictionary<(Guid Client, long Kind, Guid Scope), long> Grants { get; } = [];

        public long Flags(Guid client, long kind, Guid scope) => Grants.GetValueOrDefault((client, kind, scope));

        public void SetFlags(Guid client, long kind, Guid scope, long flags)
        {
            if (flags == 0)
            {
                Grants.Remove((client, kind, scope));
            }
            else
            {
                Grants[(client, kind, scope)] = flags;
            }
        }
    }

    /// <summary>§14.5: reads control_log in sequence order and replays it from its genesis entry.</summary>
    public static LogState ReplayControlLog(SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT sequence, entry FROM control_log ORDER BY sequence";
        using var reader = command.ExecuteReader();
        LogState? state = null;
        long expected = 1;
        while (reader.Read())
        {
            var row = reader.GetInt64(0);
            if (row != expected)
            {
                throw new InvalidDataException($"control log entry {expected} is missing");
            }

            state = Apply(state, DecodeEntry(row, (byte[])reader[1]));
            expected++;
        }

        return state ?? throw new InvalidDataException("the control log is empty");
    }

    /// <summary>
    /// §14.5: one entry onto the state before it. This reader checks the chain, the author, the signature and what it
    /// needs to trust keys and versions (numbering, generations, Write on put-version); §14.6 lists every authority rule.
    /// </summary>
    public static LogState Apply(LogState? state, LogEntry e)
    {
        void Refuse(string why) => throw new InvalidDataException($"control log entry {e.Sequence}: {why}");
        if (e.Sequence != (state?.Sequence ?? 0) + 1)
        {
            Refuse("wrong sequence");
        }

        if (!e.PreviousHash.AsSpan().SequenceEqual(state?.HeadHash ?? NoPreviousHash))
        {
            Refuse("its previous hash is not the hash of the entry before it");
        }

        if (state is null)
        {
            // §14.3 genesis: store id, format, m, t, p, System id, name, kind, encryption SPKI, signing SPKI; self-signed.
            if (e.Kind != "genesis" || e.Int(1) != 2 || e.Author != e.Id(5) || !VerifySignature(e.Fields[9], e.SignedBytes, e.Signature))
            {
                Refuse("not a valid genesis entry");
            }

            var genesis = new LogState { StoreId = e.Id(0), GenesisHash = e.Hash, HeadHash = e.Hash, Sequence = 1, Format1AuditEntries = e.Int(11) };
            var system = new LogClient { Name = e.Text(6), Kind = e.Int(7), Role = 1, EncryptionSpki = e.Fields[8] };
            system.SigningSpkis.Add(e.Fields[9]);
            genesis.Clients[e.Id(5)] = system;
            return genesis;
        }

        if (!state.Clients.TryGetValue(e.Author, out var author) || author.Status != 1)
        {
            Refuse("its author is not an active client");
        }

        if (!VerifySignature(author!.SigningSpkis[^1], e.SignedBytes, e.Signature))
        {
            Refuse("its signature does not verify");
        }

        LogSecret Secret(Guid id) => state.Secrets.TryGetValue(id, out var s) ? s : throw new InvalidDataException($"control log entry {e.Sequence}: no secret {id}");
        void RemoveGrantsOn(long kind, Guid scope)
        {
            foreach (var key in state.Grants.Keys.Where(k => k.Kind == kind && k.Scope == scope).ToList())
            {
                state.Grants.Remove(key);
            }
        }

        switch (e.Kind)
        {
            case "add-client":
                var added = new LogClient { Name = e.Text(1), Kind = e.Int(2), Role = e.Int(3), EncryptionSpki = e.Fields[4] };
                added.SigningSpkis.Add(e.Fields[5]);
                state.Clients.Add(e.Id(0), added);
                break;
            case "update-client":
                state.Clients[e.Id(0)].Name = e.Text(1);
                state.Clients[e.Id(0)].Role = e.Int(2);
                break;
            case "set-client-status":
                state.Clients[e.Id(0)].Status = e.Int(1);
                break;
            case "retire-client":
                state.Clients[e.Id(0)].Status = 3;
                foreach (var key in state.Grants.Keys.Where(k => k.Client == e.Id(0)).ToList())
                {
                    state.Grants.Remove(key);
                }

                break;
            case "rekey-client":
                var rekeyed = state.Clients[e.Id(0)];
                (rekeyed.Kind, rekeyed.EncryptionSpki) = (e.Int(1), e.Fields[2]);
                if (!rekeyed.SigningSpkis[^1].AsSpan().SequenceEqual(e.Fields[3]))
                {
                    rekeyed.SigningSpkis.Add(e.Fields[3]);
                }

                break;
            case "create-namespace":
                state.Namespaces.Add(e.Id(0), (e.Text(1), []));
                state.SetFlags(e.Author, 1, e.Id(0), 15);
                break;
            case "remove-namespace":
                foreach (var (id, _) in state.Secrets.Where(s => s.Value.NamespaceId == e.Id(0)).ToList())
                {
                    state.Secrets.Remove(id);
                    RemoveGrantsOn(2, id);
                }

                state.Namespaces.Remove(e.Id(0));
                RemoveGrantsOn(1, e.Id(0));
                break;
            case "namespace-key-generation":
                var ns = state.Namespaces[e.Id(0)];
                if (e.Int(1) != ns.Commitments.Count + 1 || e.Fields[2].Length != 32 || e.Fields[3].Length % 48 != 0)
                {
                    Refuse("not the next namespace key generation");
                }

                ns.Commitments.Add(e.Fields[2]);
                // Exactly the namespace's secrets, in ascending order of their 16 UUID bytes, each with its next commitment.
                var expectedSecrets = state.Secrets.Where(s => s.Value.NamespaceId == e.Id(0)).Select(s => s.Key.ToByteArray(bigEndian: true))
                    .OrderBy(b => Convert.ToHexString(b), StringComparer.Ordinal).ToList();
                var records = e.Fields[3].Chunk(48).ToList();
                if (records.Count != expectedSecrets.Count || records.Where((r, i) => !r.AsSpan(0, 16).SequenceEqual(expectedSecrets[i])).Any())
                {
                    Refuse("its secret key commitments are not the namespace's secrets in order");
                }

                foreach (var record in records)
                {
                    Secret(new Guid(record.AsSpan(0, 16), bigEndian: true)).Commitments.Add(record[16..]);
                }

                break;
            case "create-secret":
                if (!state.Namespaces.TryGetValue(e.Id(1), out var home) || home.Commitments.Count == 0 || (state.Flags(e.Author, 1, e.Id(1)) & 2) == 0 || e.Fields[3].Length != 32)
                {
                    Refuse("a secret its author may not create");
                }

                // §14.6: a name key is its own upper-casing (§6.3).
                if (UpperCase(e.Text(2)) != e.Text(2))
                {
                    Refuse("a secret name key that is not upper-cased");
                }

                var created = new LogSecret { NamespaceId = e.Id(1), NameKey = e.Text(2) };
                created.Commitments.Add(e.Fields[3]);
                state.Secrets.Add(e.Id(0), created);
                state.SetFlags(e.Author, 2, e.Id(0), 15);
                break;
            case "secret-key-generation":
                var rotated = Secret(e.Id(0));
                if (e.Int(1) != rotated.Commitments.Count + 1 || e.Fields[2].Length != 32)
                {
                    Refuse("not the next secret key generation");
                }

                rotated.Commitments.Add(e.Fields[2]);
                break;
            case "put-version":
                // §14.3 put-version: secret id, version, key generation, type, value digest, metadata, expires, created, keep-from.
                var secret = Secret(e.Id(0));
                var writable = ((state.Flags(e.Author, 1, secret.NamespaceId) | state.Flags(e.Author, 2, e.Id(0))) & 2) != 0;
                if (!writable || e.Int(1) != secret.CurrentVersion + 1 || e.Int(2) != secret.Commitments.Count || e.Fields[4].Length != 32 || e.Int(8) > e.Int(1))
                {
                    Refuse("a version its author may not write, or not the next one under the newest key");
                }

                secret.Versions[e.Int(1)] = (e.Int(2), e.Int(3), e.Fields[4]);
                secret.CurrentVersion = e.Int(1);
                foreach (var old in secret.Versions.Keys.Where(n => n < e.Int(8)).ToList())
                {
                    secret.Versions.Remove(old);
                }

                break;
            case "remove-version":
                var trimmed = Secret(e.Id(0));
                if (e.Int(1) == trimmed.CurrentVersion || !trimmed.Versions.Remove(e.Int(1)))
                {
                    Refuse("it removes the current or a missing version");
                }

                break;
            case "set-secret-metadata":
                _ = Secret(e.Id(0));
                break;
            case "remove-secret":
                state.Secrets.Remove(e.Id(0));
                RemoveGrantsOn(2, e.Id(0));
                break;
            case "grant":
                state.SetFlags(e.Id(0), e.Int(1), e.Id(2), state.Flags(e.Id(0), e.Int(1), e.Id(2)) | e.Int(3));
                break;
            case "revoke":
                var remaining = state.Flags(e.Id(0), e.Int(1), e.Id(2)) & ~e.Int(3);
                state.SetFlags(e.Id(0), e.Int(1), e.Id(2), remaining);
                if (e.Int(1) == 1)
                {
                    // §14.6: a namespace revoke takes the same flags from the grantee's grants on the namespace's secrets,
                    // and Read and Write too when it keeps neither on the namespace.
                    var taken = (remaining & 3) != 0 ? e.Int(3) : e.Int(3) | 3;
                    foreach (var id in state.Secrets.Where(s => s.Value.NamespaceId == e.Id(2)).Select(s => s.Key).ToList())
                    {
                        state.SetFlags(e.Id(0), 2, id, state.Flags(e.Id(0), 2, id) & ~taken);
                    }
                }

                break;
            default:
                Refuse("a second genesis entry");
                break;
        }

        state.Sequence = e.Sequence;
        state.HeadHash = e.Hash;
        return state;
    }

    /// <summary>
    /// §18: the first audit entry that breaks the signature rules, or null: a signature that does not verify with a signing
    /// key the log gave its client_id, or an unsigned entry naming a client (not a format-1 row, not a failed connect) that
    /// no later signature of that client covers, with only that client's entries between.
    /// </summary>
    public static long? FirstBadAuditSignature(string storePath)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = storePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        var state = ReplayControlLog(db);
        using var command = db.CreateCommand();
        command.CommandText = "SELECT sequence, client_id, hash, signature, action, outcome FROM audit ORDER BY sequence";
        using var reader = command.ExecuteReader();
        (Guid Client, long Sequence)? open = null;
        while (reader.Read())
        {
            var sequence = reader.GetInt64(0);
            Guid? client = reader.IsDBNull(1) ? null : new Guid((byte[])reader[1], bigEndian: true);
            if (open is { } run && client != run.Client)
            {
                return run.Sequence;
            }

            if (!reader.IsDBNull(3))
            {
                var signed = AuditSignedBytes(state.StoreId, (byte[])reader[2]);
                if (client is null || !state.Clients.TryGetValue(client.Value, out var author)
                    || !author.SigningSpkis.Any(spki => VerifySignature(spki, signed, (byte[])reader[3])))
                {
                    return sequence;
                }

                open = null;
            }
            else if (client is { } named && sequence > state.Format1AuditEntries && !(reader.GetString(4) == "client.connect" && reader.GetString(5) != "ok"))
            {
                open ??= (named, sequence);
            }
        }

        return open?.Sequence;
    }
}
