using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Storage;

/// <summary>
/// <see cref="WriteBatchCodec"/>: every change type round-trips exactly (every field, nulls apart from empties, times to
/// the tick with their offset) and re-encodes to the same bytes; batches of real commands do too, and applied decoded
/// leave a store exactly as the originals do; anything malformed is a <see cref="FormatException"/> and nothing else.
/// </summary>
public sealed class WriteBatchCodecTests
{
    /// <summary>A leap day, a sub-millisecond part and an offset of +05:30: what a millisecond or UTC encoding would lose.</summary>
    private static readonly DateTimeOffset T = new DateTimeOffset(2024, 2, 29, 23, 59, 58, 789, TimeSpan.FromMinutes(330)).AddTicks(1234);

    private static readonly ClientPublicKey P256 = PublicKey(ClientKeyAlgorithm.EcP256);
    private static readonly ClientPublicKey P384 = PublicKey(ClientKeyAlgorithm.EcP384);
    private static readonly ClientPublicKey Rsa = PublicKey(ClientKeyAlgorithm.Rsa);

    /// <summary>Every change type at least once with every field set to something other than its default, then again with every nullable field null.</summary>
    private static readonly IReadOnlyList<StoreChange> Samples = BuildSamples();

    private static readonly byte[] SamplesEncoded = WriteBatchCodec.Encode(Batch(Samples));

    // ---- Round trips ----

    [Fact]
    public void EveryStoreChangeType_HasASample_SoANewTypeFailsHereUntilTheCodecCarriesIt()
    {
        var types = typeof(StoreChange).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(StoreChange)) && !t.IsAbstract).ToList();
        Assert.True(types.Count >= 30, $"Only {types.Count} change types found.");
        var sampled = Samples.Select(s => s.GetType()).ToHashSet();
        Assert.Empty(types.Where(t => !sampled.Contains(t)).Select(t => t.Name));
    }

    [Fact]
    public void EverySample_RoundTripsAlone_ToEqualFields_AndReEncodesToTheSameBytes()
    {
        foreach (var change in Samples)
        {
            var encoded = WriteBatchCodec.Encode(Batch([change]));
            var decoded = Assert.Single(WriteBatchCodec.Decode(encoded).Changes);
            Assert.IsType(change.GetType(), decoded);
            Assert.Equal(Describe(change), Describe(decoded));
            Assert.Equal(encoded, WriteBatchCodec.Encode(Batch([decoded])));
        }
    }

    [Fact]
    public void AllSamplesInOneBatch_RoundTripInOrder_ToTheSameBytes()
    {
        var decoded = WriteBatchCodec.Decode(SamplesEncoded);
        Assert.Equal(Samples.Select(Describe), decoded.Changes.Select(Describe));
        Assert.Equal(SamplesEncoded, WriteBatchCodec.Encode(decoded));
    }

    [Fact]
    public void AnEmptyBatch_RoundTrips_AndEveryEncodingStartsWithTheVersionTag()
    {
        var empty = WriteBatchCodec.Encode(new WriteBatch());
        Assert.Empty(WriteBatchCodec.Decode(empty).Changes);
        Assert.Equal(new AssociatedData("secretops-batch-v1").Add(0).Span.ToArray(), empty);
        byte[] start = [0, 0, 0, 18, .. "secretops-batch-v1"u8];
        Assert.Equal(start, SamplesEncoded[..22]);
    }

    [Fact]
    public void NullsEmptiesTimesAndKeys_SurviveExactly()
    {
        var changes = WriteBatchCodec.Decode(SamplesEncoded).Changes;
        var clients = changes.OfType<InsertClient>().ToList();
        var full = clients[0];
        Assert.Equal(T.Ticks, full.Client.Created.Ticks);
        Assert.Equal(TimeSpan.FromMinutes(330), full.Client.Created.Offset);
        Assert.Equal(T.AddDays(1).UtcTicks, full.Client.LastUsed!.Value.UtcTicks);
        Assert.Equal("Émile's laptop ✓", full.Client.Description);
        Assert.Equal(P384.ExportSubjectPublicKeyInfo(), full.Client.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(ClientKeyAlgorithm.EcP384, full.Client.PublicKey.Algorithm);
        Assert.Equal((Argon2Type.Argon2i, 5, 4096, 3, Argon2Version.Version10), Kdf(full.Client.Protection!.Kdf!));
        Assert.Equal("salt 1 is damaged", full.Client.Protection.Damage);
        Assert.Equal(Guid.Parse("00000000-0000-0000-0000-00000000000a"), full.CreatedBy);

        var bare = clients[1];
        Assert.Null(bare.CreatedBy);
        Assert.Null(bare.Client.Description);
        Assert.Null(bare.Client.Protection);
        Assert.Null(bare.Client.LastUsed);
        Assert.Equal(ClientKeyAlgorithm.Rsa, bare.Client.PublicKey.Algorithm);

        var empties = clients[2];
        Assert.Equal("", empties.Client.Description);
        Assert.Empty(empties.Client.Protection!.Salt);
        Assert.Null(empties.Client.Protection.Kdf);
        Assert.Null(empties.Client.Protection.Damage);

        var audits = changes.OfType<AppendAudit>().ToList();
        Assert.Equal([2, 0], audits.Select(a => a.Entries.Count));
        Assert.Equal((long.MaxValue, -7, "prod/ü"), (audits[0].Entries[0].Entry.Sequence, audits[0].Entries[0].Entry.ProcessId, audits[0].Entries[0].Entry.Namespace));
        Assert.Empty(audits[0].Entries[0].Signature!);
        Assert.Null(audits[0].Entries[1].Signature);
        Assert.Null(audits[0].Entries[1].Entry.ClientId);
        Assert.Null(audits[0].Entries[1].Entry.Version);

        var stanzas = changes.OfType<RemoveStanzas>().ToList();
        Assert.Equal((ScopeKind.Namespace, Guid.Parse("00000000-0000-0000-0000-000000000017")), (stanzas[0].Kind, stanzas[0].ScopeId));
        Assert.Equal((null, null), (stanzas[1].Kind, stanzas[1].ScopeId));
        Assert.Equal(Permissions.Read | Permissions.Delete | Permissions.Permit, changes.OfType<PutPermission>().Single().Flags);
        Assert.Empty(changes.OfType<AppendControl>().Last().Entry);
    }

    // ---- Batches of real commands ----

    [Fact]
    [Trait("Backend", "SqliteOnly")]
    public void BatchesOfRealCommands_RoundTripByteForByte_AndAppliedDecoded_LeaveTheStoreAsTheOriginalsDo()
    {
        using var temp = new TempStore();
        var mirrorPath = Path.Combine(temp.Directory, "mirror.db");
        File.Copy(temp.Path, mirrorPath);
        var (inner, header) = SqliteBackend.Open(temp.Path, shared: false);
        var mirror = SqliteBackend.Open(mirrorPath, shared: false).Backend;
        var captured = new List<byte[]>();
        var backend = new EncodingBackend(inner, (original, encoded) =>
        {
            var decoded = WriteBatchCodec.Decode(encoded);
            Assert.Equal(encoded, WriteBatchCodec.Encode(decoded));
            Assert.Equal(original.Changes.Select(Describe), decoded.Changes.Select(Describe));
            captured.Add(encoded);

            // The mirror gets the original batch: the store and the mirror must end byte-identical.
            mirror.Write((_, batch) =>
            {
                foreach (var change in original.Changes)
                {
                    batch.Add(change);
                }

                return 0;
            });
        });
        var store = (SecretStore)typeof(SecretStore).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, [typeof(IStoreBackend), typeof(StoreHeader)])!
            .Invoke([backend, header]);

        using (var credential = ClientCredential.FromPassphrase(TempStore.Passphrase))
        using (var system = store.Connect(SecretStore.SystemClientName, credential))
        {
            system.CreateNamespace("prod", "Production ✓", maxVersions: 2);
            system.SetSecret("prod", "db", SecretValue.FromString("v1"));
            system.SetSecret("prod", "db", SecretValue.FromString("v2"),
                new SetSecretOptions { Metadata = new Dictionary<string, object> { ["owner"] = "Zoë" }, TimeToLive = TimeSpan.FromDays(1) });
            system.SetSecret("prod", "db", SecretValue.FromString("v3"));
            var bob = system.AddClient("bob", new ClientCredentialSpec { Kind = ClientKind.Generated });
            system.Grant("bob", "prod", null, Permissions.Read | Permissions.Write);
            system.Grant("bob", "prod", "db", Permissions.Delete);
            using (var bobCredential = ClientCredential.FromGeneratedSecret(bob.ClientSecret!))
            using (var bobSession = store.Connect("bob", bobCredential))
            {
                using var read = bobSession.GetSecret("prod", "db");
                Assert.Equal("v3", read.Value.GetString());
                bobSession.SetSecret("prod", "api", SecretValue.FromString("key"));
            }

            system.Revoke("bob", "prod", null);
            system.RotateNamespaceKey("prod");
            system.SetClient("bob", description: "the builder");
            system.DisableClient("bob");
            system.RemoveSecret("prod", "api");
            using (var read = system.GetSecret("prod", "db"))
            {
                Assert.Equal("v3", read.Value.GetString());
            }

            system.RetireClient("bob", force: true);
            system.SetNamespace("prod", null, null, clearRetention: true);
            system.RemoveNamespace("prod", force: true);
            system.FlushAudit();
        }

        mirror.ReleaseConnections();
        inner.ReleaseConnections();
        Assert.Equal(RawDb.Fingerprint(mirrorPath), RawDb.Fingerprint(temp.Path));
        var seen = captured.SelectMany(b => WriteBatchCodec.Decode(b).Changes).Select(c => c.GetType().Name).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            nameof(NoteClientUse), nameof(InsertNamespace), nameof(InsertNamespaceKey), nameof(InsertSecret), nameof(InsertSecretKey), nameof(InsertVersion),
            nameof(UpdateSecret), nameof(PutStanza), nameof(InsertClient), nameof(PutSigningKey), nameof(PutPermission), nameof(AppendControl), nameof(AppendAudit),
            nameof(UpdateClient), nameof(SetClientStatus), nameof(RemoveSecret), nameof(RemoveNamespace),
        }, seen);
    }

    // ---- Malformed input ----

    [Fact]
    public void EveryTruncation_IsAFormatException()
    {
        for (var length = 0; length < SamplesEncoded.Length; length++)
        {
            var cut = SamplesEncoded[..length];
            Assert.Throws<FormatException>(() => WriteBatchCodec.Decode(cut));
        }
    }

    [Fact]
    public void ATrailingByte_IsAFormatException()
    {
        Assert.Throws<FormatException>(() => WriteBatchCodec.Decode([.. SamplesEncoded, 0]));
        Assert.Throws<FormatException>(() => WriteBatchCodec.Decode([.. WriteBatchCodec.Encode(new WriteBatch()), 0, 0, 0, 0]));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(31L)]
    [InlineData(-1L)]
    [InlineData((1L << 32) + 1)]
    public void AnUnknownTag_IsAFormatException(long tag) =>
        AssertMalformed(Fields().Add(1).Add(tag).Add(Guid.NewGuid()));

    [Fact]
    public void AnotherVersionTag_IsAFormatException()
    {
        Assert.Throws<FormatException>(() => WriteBatchCodec.Decode(new AssociatedData("secretops-batch-v2").Add(0).Span));
        Assert.Throws<FormatException>(() => WriteBatchCodec.Decode(new AssociatedData("").Add(0).Span));
        Assert.Throws<FormatException>(() => WriteBatchCodec.Decode([]));
    }

    [Fact]
    public void CountsOutOfRangeOrPastTheEnd_AreFormatExceptions()
    {
        AssertMalformed(Fields().Add(-1));
        AssertMalformed(Fields().Add(int.MaxValue));
        AssertMalformed(Fields().Add(1L << 40));
        AssertMalformed(Fields().Add(2).Add(16).Add(Guid.NewGuid()));
        AssertMalformed(Fields().Add(1).Add(30).Add(-1));
        AssertMalformed(Fields().Add(1).Add(30).Add(int.MaxValue));

        // A field length past the end, and the largest length a field can name.
        AssertMalformed([.. Fields().Add(1).Span, 0, 0, 0, 8, 0, 0, 0]);
        AssertMalformed([.. Fields().Add(1).Span, 0xFF, 0xFF, 0xFF, 0xFF]);
    }

    [Fact]
    public void WrongFieldSizes_AreFormatExceptions()
    {
        AssertMalformed(Fields().Add(1).Add(16).Add(new byte[15]));
        AssertMalformed(Fields().Add(1).Add(16).Add(new byte[17]));
        AssertMalformed(Fields().Add(1).Add(new byte[4]).Add(Guid.NewGuid()));
        AssertMalformed(Fields().Add(1).Add(19).Add(Guid.NewGuid()).Add(new byte[9]));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(4L)]
    [InlineData(-1L)]
    [InlineData((1L << 32) + 1)]
    public void UndefinedEnumValues_AreFormatExceptions(long value)
    {
        AssertMalformed(Fields().Add(1).Add(4).Add(Guid.NewGuid()).Add(value));
        AssertMalformed(Fields().Add(1).Add(26).Add(Guid.NewGuid()).Add(value).Add(Guid.NewGuid()));
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(16L)]
    [InlineData(1L << 33)]
    public void PermissionFlagsOutsideAll_AreFormatExceptions(long flags) =>
        AssertMalformed(Fields().Add(1).Add(25).Add(Guid.NewGuid()).Add(1).Add(Guid.NewGuid()).Add(flags).Add(Guid.NewGuid()).Add(0).Add(0));

    [Fact]
    public void InvalidUtf8_IsAFormatException()
    {
        foreach (var text in new byte[][] { [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x61, 0xE2, 0x82] })
        {
            AssertMalformed(Fields().Add(1).Add(3).Add(Guid.NewGuid()).Add(text).Add(0).Add(1));
        }
    }

    [Fact]
    public void PresenceFlagsAndBooleansOtherThanZeroOrOne_AreFormatExceptions()
    {
        AssertMalformed(Fields().Add(1).Add(3).Add(Guid.NewGuid()).Add("bob").Add(2).Add("x").Add(1));
        AssertMalformed(Fields().Add(1).Add(3).Add(Guid.NewGuid()).Add("bob").Add(-1).Add(1));
        var header = Fields().Add(1).Add(1).Add(Guid.NewGuid()).Add(T.Ticks).Add(0).Add(2);
        AssertMalformed(header.Add(2).Add(3).Add(65536).Add(4).Add(0x13));
    }

    [Theory]
    [InlineData(-1L, 0L)]
    [InlineData(3155378976000000000L, 0L)]
    [InlineData(0L, 60L)]
    [InlineData(638448047987891234L, 841L)]
    [InlineData(638448047987891234L, -841L)]
    public void TimesOutOfRange_AreFormatExceptions(long ticks, long offsetMinutes) =>
        AssertMalformed(Fields().Add(1).Add(6).Add(Guid.NewGuid()).Add(ticks).Add(offsetMinutes));

    [Fact]
    public void InvalidOrUnacceptedPublicKeys_AreFormatExceptions()
    {
        using var rsa1024 = RSA.Create(1024);
        using var p521 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP521);
        var spki = P256.ExportSubjectPublicKeyInfo();
        var offCurve = spki.ToArray();
        offCurve[^1] ^= 1;
        foreach (var key in new byte[][] { [], [0x30, 0x00], RandomNumberGenerator.GetBytes(91), rsa1024.ExportSubjectPublicKeyInfo(), p521.ExportSubjectPublicKeyInfo(), offCurve, [.. spki, 0] })
        {
            AssertMalformed(Fields().Add(1).Add(5).Add(Guid.NewGuid()).Add(3).Add(key).Add(0));
        }
    }

    [Fact]
    public void Argon2ParametersOutOfRange_AreFormatExceptions()
    {
        foreach (var (iterations, memoryKiB, parallelism) in new[] { (0, 65536, 1), (3, 7, 1), (3, 65536, 0), (3, 65536, 0x1000000) })
        {
            AssertMalformed(Fields().Add(1).Add(1).Add(Guid.NewGuid()).Add(T.Ticks).Add(0).Add(1).Add(2).Add(iterations).Add(memoryKiB).Add(parallelism).Add(0x13));
        }

        AssertMalformed(Fields().Add(1).Add(1).Add(Guid.NewGuid()).Add(T.Ticks).Add(0).Add(1).Add(3).Add(3).Add(65536).Add(1).Add(0x13));
        AssertMalformed(Fields().Add(1).Add(1).Add(Guid.NewGuid()).Add(T.Ticks).Add(0).Add(1).Add(2).Add(3).Add(65536).Add(1).Add(0x14));
    }

    [Fact]
    public void RandomBytes_ThrowOnlyFormatException_OrDecodeToWhatReEncodesIdentically()
    {
        var random = new Random(20261203);
        var prefix = Fields().Add(1).Span.ToArray();
        for (var i = 0; i < 2000; i++)
        {
            var noise = new byte[random.Next(0, 200)];
            random.NextBytes(noise);
            // Half behind a valid start, so the noise reaches the changes' fields.
            DecodesStrictlyOrRefuses(i % 2 == 0 ? noise : [.. prefix, .. noise]);
        }
    }

    [Fact]
    public void SingleByteMutations_ThrowOnlyFormatException_OrDecodeToWhatReEncodesIdentically()
    {
        var random = new Random(1203);
        for (var i = 0; i < 2000; i++)
        {
            var mutated = SamplesEncoded.ToArray();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            DecodesStrictlyOrRefuses(mutated);
        }
    }

    // ---- Helpers ----

    private static AssociatedData Fields() => new("secretops-batch-v1");

    private static void AssertMalformed(AssociatedData fields) => AssertMalformed(fields.Span.ToArray());

    private static void AssertMalformed(byte[] encoded) => Assert.Throws<FormatException>(() => WriteBatchCodec.Decode(encoded));

    private static void DecodesStrictlyOrRefuses(byte[] input)
    {
        WriteBatch decoded;
        try
        {
            decoded = WriteBatchCodec.Decode(input);
        }
        catch (FormatException)
        {
            return;
        }
        catch (Exception e)
        {
            Assert.Fail($"Decoding {Convert.ToHexString(input)} threw {e.GetType().Name}: {e.Message}");
            return;
        }

        Assert.Equal(input, WriteBatchCodec.Encode(decoded));
    }

    private static WriteBatch Batch(IEnumerable<StoreChange> changes)
    {
        var batch = new WriteBatch();
        foreach (var change in changes)
        {
            batch.Add(change);
        }

        return batch;
    }

    private static (Argon2Type, int, int, int, Argon2Version) Kdf(Argon2Parameters kdf) => (kdf.Type, kdf.Iterations, kdf.MemoryKiB, kdf.Parallelism, kdf.Version);

    /// <summary>A value as text, every property at every depth, byte arrays in hex and times as ticks and offset, so records holding arrays compare by content.</summary>
    private static string Describe(object? value) => value switch
    {
        null => "null",
        string text => "\"" + text + "\"",
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        DateTimeOffset time => $"{time.Ticks}{time.Offset}",
        ClientPublicKey key => "spki:" + Convert.ToHexString(key.ExportSubjectPublicKeyInfo()),
        Guid or Enum or bool or int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Describe)) + "]",
        _ => value.GetType().Name + "{" + string.Join(", ", value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.Name + "=" + Describe(p.GetValue(value)))) + "}",
    };

    private static ClientPublicKey PublicKey(ClientKeyAlgorithm algorithm)
    {
        using var key = ClientPrivateKey.Generate(algorithm, rsaBits: 2048);
        return key.PublicKey;
    }

    private static Guid G(int n) => new($"00000000-0000-0000-0000-{n:x12}");

    private static byte[] Bytes(int length, byte seed) => [.. Enumerable.Range(0, length).Select(i => (byte)(seed + i * 31))];

    private static SealedData Sealed(byte seed) => new(Bytes(12, seed), Bytes(40, (byte)(seed + 1)));

    private static List<StoreChange> BuildSamples()
    {
        var kdf = new Argon2Parameters(Argon2Type.Argon2i, 5, 4096, 3, Argon2Version.Version10);
        var fullClient = new ClientRecord(G(1), "alice", "Émile's laptop ✓", ClientKind.Passphrase, ClientRole.Admin, ClientStatus.Disabled, P384,
            new KeyProtection(Bytes(16, 1), kdf, Sealed(2)) { Damage = "salt 1 is damaged" }, T, T.AddDays(1));
        var bareClient = new ClientRecord(G(2), "ci", null, ClientKind.KeyFile, ClientRole.Member, ClientStatus.Retired, Rsa, null, T.AddTicks(-1), null);
        var emptyClient = new ClientRecord(G(3), "", "", ClientKind.Generated, ClientRole.System, ClientStatus.Active, P256, new KeyProtection([], null, new SealedData([], [])),
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        var fullSecret = new SecretRecord(G(4), G(5), "Émile", SecretValueType.Hashtable, 7, 3, "{\"owner\":\"Zoë\"}", T.AddDays(30), T, "alice", T.AddHours(1), "Bob");
        var bareSecret = new SecretRecord(G(6), G(5), "db", SecretValueType.Bytes, int.MaxValue, int.MinValue, null, null, T, "", T, "");
        var fullEntry = new AuditEntry(long.MaxValue, T, G(1), "alice", "secret.set", "prod/ü", "db", 42, "ok", "SecretOps.Denied", "host", "user", -7, "cli");
        var bareEntry = new AuditEntry(-1, T.ToUniversalTime(), null, "", "store.backup", null, null, null, "failed", null, "", "", 0, "");
        return
        [
            new InsertStoreHeader(new StoreHeader(G(9), T, true, kdf)),
            new InsertStoreHeader(new StoreHeader(Guid.Empty, DateTimeOffset.UnixEpoch, false, Argon2Parameters.Default)),
            new InsertClient(fullClient, G(10)),
            new InsertClient(bareClient, null),
            new InsertClient(emptyClient, Guid.Empty),
            new UpdateClient(G(11), "robert", "Robert — ünïcode ✓", ClientRole.Member),
            new UpdateClient(G(11), "r", null, ClientRole.System),
            new SetClientStatus(G(12), ClientStatus.Retired),
            new ReplaceClientKey(G(13), ClientKind.Generated, P256, new KeyProtection(Bytes(16, 3), null, Sealed(4))),
            new ReplaceClientKey(G(13), ClientKind.KeyFile, Rsa, null),
            new NoteClientUse(G(14), T.AddMilliseconds(1)),
            new InsertNamespace(new NamespaceRecord(G(15), "prod", "Production — ünïcode", 2, 5, T, G(1))),
            new InsertNamespace(new NamespaceRecord(G(16), "other", null, 1, null, T, G(2))),
            new UpdateNamespace(G(15), "described", 3),
            new UpdateNamespace(G(15), null, null),
            new SetNamespaceKeyGeneration(G(15), 2, 3),
            new RemoveNamespace(G(16)),
            new InsertNamespaceKey(G(15), 3, Sealed(5), T.AddSeconds(3)),
            new InsertSecret(fullSecret, G(1)),
            new UpdateSecret(bareSecret, 6, G(2)),
            new AdvanceSecretKeyGenerations(G(15), 12),
            new SetSecretKeyGeneration(G(4), int.MaxValue - 1, int.MaxValue),
            new RemoveSecret(G(6)),
            new InsertSecretKey(G(4), 4, 3, Sealed(6)),
            new InsertVersion(G(4), new VersionRow(8, 4, SecretValueType.Credential, Sealed(7)), T, G(1)),
            new RemoveVersion(G(4), 2),
            new PruneVersions(G(4), 5),
            new PruneVersionsIn(G(15), -3),
            new PutStanza(new KeyScope(ScopeKind.Secret, G(4), 4), new Stanza(G(1), StanzaAlgorithm.RsaOaepSha256, Bytes(256, 8), Bytes(12, 9), Bytes(48, 10))),
            new RemoveStanzas(G(1), ScopeKind.Namespace, G(23)),
            new RemoveStanzas(G(2)),
            new RemoveSecretStanzasIn(G(1), G(15)),
            new PutPermission(G(2), ScopeKind.Secret, G(4), Permissions.Read | Permissions.Delete | Permissions.Permit, G(1), T),
            new RemovePermission(G(2), ScopeKind.Namespace, G(15)),
            new RemovePermissionsOf(G(2)),
            new AppendControl(long.MaxValue - 5, Bytes(300, 11)),
            new PutSigningKey(new Stanza(G(2), StanzaAlgorithm.EcdhP384, Bytes(97, 12), [], Bytes(1, 13))),
            new AppendAudit([new ChainedAuditEntry(fullEntry, Bytes(32, 14), Bytes(32, 15), []), new ChainedAuditEntry(bareEntry, [], Bytes(32, 16), null)]),
            new AppendAudit([]),
            new AppendControl(1, []),
        ];
    }
}
