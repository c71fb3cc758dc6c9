using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IndependentReader;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;
using CoreControl = SecretOps.Core.Control;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// FORMAT.md §13.7, the format-2 vector: a five-entry control log (genesis, create-namespace, namespace-key-generation,
/// create-secret, put-version) from fixed inputs, with the signing-key derivation, key commitments, the value digest, an
/// audit signature and the envelope AD v2. Everything but the ECDSA signatures (randomised) is a function of the inputs and
/// is recomputed here twice, by the independent reader and by the engine; the signatures are verified (low S) by both, and
/// the engine replays the five entries. <see cref="ControlVector_Generate"/> writes the block.
/// </summary>
public sealed partial class FormatVectorTests
{
    private static class ControlInputs
    {
        public static readonly Guid StoreId = Guid.Parse("5ec0e7a5-0f00-4d00-8000-000000000001");
        public static readonly Guid SystemId = Guid.Parse("5ec0e7a5-0f00-4d00-8000-000000000002");
        public static readonly Guid NamespaceId = Guid.Parse("5ec0e7a5-0f00-4d00-8000-000000000003");
        public static readonly Guid SecretId = Guid.Parse("5ec0e7a5-0f00-4d00-8000-000000000004");
        public static readonly byte[] SigningSeed = [.. Enumerable.Range(0x00, 32).Select(i => (byte)i)];
        public static readonly byte[] EncryptionSeed = [.. Enumerable.Range(0x20, 32).Select(i => (byte)i)];
        public static readonly byte[] NamespaceKey = [.. Enumerable.Range(0x40, 32).Select(i => (byte)i)];
        public static readonly byte[] SecretKey = [.. Enumerable.Range(0x60, 32).Select(i => (byte)i)];
        public static readonly byte[] ValueNonce = [.. Enumerable.Range(0x80, 12).Select(i => (byte)i)];
        public static readonly byte[] ClientSecret = [.. Enumerable.Range(0xa0, 64).Select(i => (byte)(i & 0xff))];
        public static readonly byte[] KdfSalt = [.. Enumerable.Range(0xe0, 16).Select(i => (byte)i)];
        public static readonly byte[] EnvelopeNonce = [.. Enumerable.Range(0xf0, 12).Select(i => (byte)i)];
        public const long Created = 1796290599136;
    }

    [Fact]
    public void ControlLog_Vector()
    {
        var v = new FormatVector("control-log");
        var (storeId, systemId, nsId, secretId) = (v.Id("store_info.store_id"), v.Id("system.id"), v.Id("namespaces.id"), v.Id("secrets.id"));
        var (m, t, p) = (v.Int("kdf_floor.memory_kib"), v.Int("kdf_floor.iterations"), v.Int("kdf_floor.parallelism"));

        // §15.2: the signing key from its seed (and the vector's fixed encryption key, derived the same way).
        v.Same("signing_seed_context", FormatReader.SigningSeedContext(storeId, systemId), "reader");
        var scalar = FormatReader.SigningScalar(v.Hex("system.signing_seed"), out var counter);
        Assert.Equal(v.Int("signing_hkdf_counter"), counter);
        v.Same("signing_scalar", scalar, "reader");
        v.Same("system.signing_spki", FormatReader.P256PublicKeyOf(scalar), "reader");
        var encryptionScalar = FormatReader.SigningScalar(v.Hex("system.encryption_seed"), out _);
        v.Same("system.encryption_spki", FormatReader.P256PublicKeyOf(encryptionScalar), "reader");
        var signingSpki = v.Hex("system.signing_spki");

        // §14: the five entries, each body, signed bytes, encoding and hash; the chain replayed by the reader.
        var bodies = new[]
        {
            FormatReader.Ad("secretops/control/genesis/v1", storeId, 2L, m, t, p, systemId, v.Text("system.name"), v.Int("system.kind"),
                v.Hex("system.encryption_spki"), signingSpki, 0L, 0L),
            FormatReader.Ad("secretops/control/create-namespace/v1", nsId, v.Text("namespaces.name")),
            FormatReader.Ad("secretops/control/namespace-key-generation/v1", nsId, 1L, v.Hex("namespace_key_commitment"), Array.Empty<byte>()),
            FormatReader.Ad("secretops/control/create-secret/v1", secretId, nsId, FormatReader.UpperCase(v.Text("secrets.name")), v.Hex("secret_key_commitment")),
            FormatReader.Ad("secretops/control/put-version/v1", secretId, 1L, 1L, v.Int("versions.value_type"), v.Hex("value_digest"), "", 0L, v.Int("put_version.created"), 0L),
        };
        var names = new[] { "genesis", "create_namespace", "namespace_key_generation", "create_secret", "put_version" };
        v.Same("namespace_key_commitment", FormatReader.KeyCommitment(1, nsId, 1, v.Hex("namespace_key")), "reader");
        v.Same("secret_key_commitment", FormatReader.KeyCommitment(2, secretId, 1, v.Hex("secret_key")), "reader");
        var valueAd = FormatReader.ValueAd(storeId, nsId, v.Text("namespaces.name"), secretId, v.Text("secrets.name"), 1, 1, v.Int("versions.value_type"));
        v.Same("value_ad", valueAd, "reader");
        Assert.Equal(v.Hex("serialized_value"), FormatReader.Open(v.Hex("secret_key"), v.Hex("versions.nonce"), v.Hex("versions.ciphertext"), valueAd));
        v.Same("value_digest", FormatReader.ValueDigest(v.Hex("versions.nonce"), v.Hex("versions.ciphertext")), "reader");
        FormatReader.LogState? state = null;
        var previous = FormatReader.NoPreviousHash;
        var encoded = new List<byte[]>();
        for (var i = 0; i < bodies.Length; i++)
        {
            var name = names[i];
            var sequence = i + 1L;
            if (i is 0 or 4)
            {
                v.Same(name + ".body", bodies[i], "reader");
                v.Same(name + ".signed_bytes", FormatReader.ControlSignedBytes(sequence, previous, systemId, bodies[i]), "reader");
            }

            var signature = FormatReader.DecodeEntry(sequence, v.Hex(name + ".entry")).Signature;
            Assert.True(FormatReader.VerifySignature(signingSpki, FormatReader.ControlSignedBytes(sequence, previous, systemId, bodies[i]), signature), name);
            v.Same(name + ".entry", FormatReader.ControlEntryEncoding(sequence, previous, systemId, bodies[i], signature), "reader");
            var hash = SHA256.HashData(v.Hex(name + ".entry"));
            v.Same(name + ".hash", hash, "reader");
            state = FormatReader.Apply(state, FormatReader.DecodeEntry(sequence, v.Hex(name + ".entry")));
            encoded.Add(v.Hex(name + ".entry"));
            previous = hash;
        }

        Assert.Equal(v.Hex("genesis.hash"), state!.GenesisHash);
        Assert.Equal(v.Hex("value_digest"), state.Secrets[secretId].Versions[1].Digest);

        // §17: the envelope AD v2 and the envelope; §18: an audit signature.
        var kek = FormatReader.GeneratedSecretKek(v.Hex("client_secret_bytes"), v.Hex("clients.kdf_salt"));
        v.Same("kek", kek, "reader");
        var envelopeAd = FormatReader.ClientKeyAdV2(v.Hex("genesis.hash"), systemId, v.Int("system.kind"), v.Hex("clients.kdf_salt"), 0, 0, 0);
        v.Same("private_key_ad", envelopeAd, "reader");
        var pkcs8 = FormatReader.Open(kek, v.Hex("clients.private_key_nonce"), v.Hex("clients.private_key"), envelopeAd);
        v.Same("pkcs8", pkcs8, "reader");
        using (var key = FormatReader.ImportPrivateKey(pkcs8))
        {
            v.Same("system.encryption_spki", FormatReader.SubjectPublicKeyInfo(key), "reader");
        }

        var auditHash = SHA256.HashData(FormatReader.AuditEntryAd(1, v.Int("audit.at"), systemId.ToByteArray(bigEndian: true), v.Text("system.name"), v.Text("audit.action"), null,
            v.Text("audit.target"), null, "ok", null, v.Text("audit.host"), v.Text("audit.os_user"), v.Int("audit.process_id"), v.Text("audit.surface"), FormatReader.AuditGenesis(storeId)));
        v.Same("audit.hash", auditHash, "reader");
        v.Same("audit_signed_bytes", FormatReader.AuditSignedBytes(storeId, auditHash), "reader");
        Assert.True(FormatReader.VerifySignature(signingSpki, FormatReader.AuditSignedBytes(storeId, auditHash), v.Hex("audit.signature")));

        // The engine: the same key from the seed, the same bodies and hashes, and a replay that accepts the five entries.
        using var signing = CoreControl.ClientSigningKey.FromSeed(v.Hex("system.signing_seed"));
        v.Same("system.signing_spki", signing.VerifyingKey.SubjectPublicKeyInfo, "engine");
        var entries = encoded.Select((e, i) => CoreControl.ControlView.Decode(i + 1, e)).ToList();
        for (var i = 0; i < entries.Count; i++)
        {
            Assert.Equal(bodies[i], CoreControl.ControlEntry.Decode(entries[i].Body).Encode());
            v.Same(names[i] + ".hash", entries[i].Hash(), "engine");
        }

        var replayed = CoreControl.ControlReplay.ReplayAll(entries);
        v.Same("genesis.hash", replayed.GenesisHash, "engine");
        v.Same("value_digest", replayed.Secrets[secretId].Versions[1].ValueDigest, "engine");
        using (var nsKey = SymmetricKey.FromBytes(v.Hex("namespace_key")))
        using (var secretKey = SymmetricKey.FromBytes(v.Hex("secret_key")))
        {
            Assert.True(CoreControl.KeyCommitment.Matches(replayed.Namespaces[nsId].Commitment(1)!, ScopeKind.Namespace, nsId, 1, nsKey));
            Assert.True(CoreControl.KeyCommitment.Matches(replayed.Secrets[secretId].Commitment(1)!, ScopeKind.Secret, secretId, 1, secretKey));
        }

        v.Same("value_digest", CoreControl.KeyCommitment.OfValue(new SealedData(v.Hex("versions.nonce"), v.Hex("versions.ciphertext"))), "engine");
        v.Same("private_key_ad", Contexts.ClientPrivateKey(v.Hex("genesis.hash"), systemId, ClientKind.Generated, v.Hex("clients.kdf_salt"), 0, 0, 0).Span, "engine");
        using var credential = ClientCredential.FromGeneratedSecret(GeneratedSecret.Format(v.Hex("client_secret_bytes")));
        using var opened = ClientKeyProtection.Open(new KeyProtection(v.Hex("clients.kdf_salt"), null, new SealedData(v.Hex("clients.private_key_nonce"), v.Hex("clients.private_key"))),
            credential, new KeyBinding(storeId, v.Hex("genesis.hash")), systemId);
        v.Same("system.encryption_spki", opened.PublicKey.ExportSubjectPublicKeyInfo(), "engine");
        Assert.True(signing.VerifyingKey.Verify(v.Hex("audit_signed_bytes"), v.Hex("audit.signature")));
    }

    /// <summary>
    /// Writes FORMAT.md's control-log vector block to the file named by SECRETOPS_FORMAT_CONTROL_VECTOR_OUT (the signatures
    /// are new each time; every other value is a function of the fixed inputs).
    /// </summary>
    [Fact(Explicit = true)]
    public void ControlVector_Generate()
    {
        var output = Environment.GetEnvironmentVariable("SECRETOPS_FORMAT_CONTROL_VECTOR_OUT");
        Assert.False(string.IsNullOrEmpty(output), "Set SECRETOPS_FORMAT_CONTROL_VECTOR_OUT to a file path.");
        var text = new StringBuilder();
        void Line(string name, string value)
        {
            const int width = 64;
            text.Append(name.PadRight(34)).Append("= ");
            for (var i = 0; i < value.Length || i == 0; i += width)
            {
                text.Append(i == 0 ? "" : new string(' ', 36)).Append(value[i..Math.Min(i + width, value.Length)]).Append('\n');
            }
        }

        static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
        string Id(Guid id) => Hex(id.ToByteArray(bigEndian: true));
        var floor = new CoreControl.KdfFloor(262144, 3, 4);

        using var signing = CoreControl.ClientSigningKey.FromSeed(ControlInputs.SigningSeed);
        using var encryption = ClientPrivateKey.FromPkcs8(EcPkcs8(FormatReader.SigningScalar(ControlInputs.EncryptionSeed, out _)));
        var encryptionSpki = encryption.PublicKey.ExportSubjectPublicKeyInfo();
        using var nsKey = SymmetricKey.FromBytes(ControlInputs.NamespaceKey);
        using var secretKey = SymmetricKey.FromBytes(ControlInputs.SecretKey);
        var serialized = "\u0001\u0001hunter2"u8.ToArray();
        var valueAd = Contexts.Value(ControlInputs.StoreId, ControlInputs.NamespaceId, "prod", ControlInputs.SecretId, "db-password", 1, 1, SecretValueType.String);
        var ciphertext = new byte[serialized.Length + 16];
        using (var aes = new AesGcm(ControlInputs.SecretKey, 16))
        {
            aes.Encrypt(ControlInputs.ValueNonce, serialized, ciphertext.AsSpan(0, serialized.Length), ciphertext.AsSpan(serialized.Length), valueAd.Span);
        }

        var sealedValue = new SealedData(ControlInputs.ValueNonce, ciphertext);
        var nsCommitment = CoreControl.KeyCommitment.Of(ScopeKind.Namespace, ControlInputs.NamespaceId, 1, nsKey);
        var secretCommitment = CoreControl.KeyCommitment.Of(ScopeKind.Secret, ControlInputs.SecretId, 1, secretKey);
        CoreControl.ControlEntry[] bodies =
        [
            new CoreControl.Genesis(ControlInputs.StoreId, 2, floor, new CoreControl.GenesisClient(ControlInputs.SystemId, "system", ClientKind.Generated, encryptionSpki,
                signing.VerifyingKey.ExportSubjectPublicKeyInfo())),
            new CoreControl.CreateNamespace(ControlInputs.NamespaceId, "prod"),
            new CoreControl.NamespaceKeyGeneration(ControlInputs.NamespaceId, 1, nsCommitment),
            new CoreControl.CreateSecret(ControlInputs.SecretId, ControlInputs.NamespaceId, "DB-PASSWORD", secretCommitment),
            new CoreControl.PutVersion(ControlInputs.SecretId, 1, 1, SecretValueType.String, CoreControl.KeyCommitment.OfValue(sealedValue), null, null, ControlInputs.Created, 0),
        ];
        CoreControl.AccessState? state = null;
        var signed = new List<CoreControl.SignedControlEntry>();
        foreach (var body in bodies)
        {
            var (entry, next) = CoreControl.ControlLog.Append(state, ControlInputs.SystemId, signing, body);
            signed.Add(entry);
            state = next;
        }

        // The System client's envelope (kind 2), bound to the genesis hash; a fixed nonce makes it reproducible.
        var genesisHash = signed[0].Hash();
        var kek = HKDF.DeriveKey(HashAlgorithmName.SHA256, ControlInputs.ClientSecret, 32, ControlInputs.KdfSalt, "secretops/client-secret/v1"u8.ToArray());
        var envelopeAd = Contexts.ClientPrivateKey(genesisHash, ControlInputs.SystemId, ClientKind.Generated, ControlInputs.KdfSalt, 0, 0, 0);
        var pkcs8 = encryption.ExportPkcs8();
        var envelope = new byte[pkcs8.Length + 16];
        using (var aes = new AesGcm(kek, 16))
        {
            aes.Encrypt(ControlInputs.EnvelopeNonce, pkcs8, envelope.AsSpan(0, pkcs8.Length), envelope.AsSpan(pkcs8.Length), envelopeAd.Span);
        }

        var auditHash = SHA256.HashData(FormatReader.AuditEntryAd(1, ControlInputs.Created, ControlInputs.SystemId.ToByteArray(bigEndian: true), "system", "store.create", null,
            "/srv/secrets/store.db", null, "ok", null, "vm", "root", 4242, "api", FormatReader.AuditGenesis(ControlInputs.StoreId)));
        var auditSigned = FormatReader.AuditSignedBytes(ControlInputs.StoreId, auditHash);

        text.Append("<!-- vector: control-log (checked by FormatVectorTests; keep the \"name = value\" layout) -->\n```text\n");
        text.Append("# inputs: ids, names, the System client's seeds and keys, the value's nonce (all fixed), the KDF floor, a time\n");
        Line("store_info.store_id", Id(ControlInputs.StoreId));
        Line("system.id", Id(ControlInputs.SystemId));
        Line("system.name", "system");
        Line("system.kind", "2");
        Line("kdf_floor.memory_kib", floor.MemoryKiB.ToString(CultureInfo.InvariantCulture));
        Line("kdf_floor.iterations", floor.Iterations.ToString(CultureInfo.InvariantCulture));
        Line("kdf_floor.parallelism", floor.Parallelism.ToString(CultureInfo.InvariantCulture));
        Line("system.signing_seed", Hex(ControlInputs.SigningSeed));
        text.Append("# a fixed encryption key for the vector: its scalar is derived from this seed as a signing key's is (§15.2)\n");
        Line("system.encryption_seed", Hex(ControlInputs.EncryptionSeed));
        Line("namespaces.id", Id(ControlInputs.NamespaceId));
        Line("namespaces.name", "prod");
        Line("namespace_key", Hex(ControlInputs.NamespaceKey));
        Line("secrets.id", Id(ControlInputs.SecretId));
        Line("secrets.name", "db-password");
        Line("secret_key", Hex(ControlInputs.SecretKey));
        Line("serialized_value", Hex(serialized));
        Line("versions.value_type", "1");
        Line("versions.nonce", Hex(ControlInputs.ValueNonce));
        Line("put_version.created", ControlInputs.Created.ToString(CultureInfo.InvariantCulture));
        text.Append("# §15.2: the signing key from its seed; the seed's stanza context\n");
        Line("signing_seed_context", Hex(new AssociatedData("secretops/signing-seed/v1").Add(ControlInputs.StoreId).Add(ControlInputs.SystemId).Span));
        FormatReader.SigningScalar(ControlInputs.SigningSeed, out var counter);
        Line("signing_hkdf_counter", counter.ToString(CultureInfo.InvariantCulture));
        Line("signing_scalar", Hex(FormatReader.SigningScalar(ControlInputs.SigningSeed, out _)));
        Line("system.signing_spki", Hex(signing.VerifyingKey.SubjectPublicKeyInfo));
        Line("system.encryption_spki", Hex(encryptionSpki));
        text.Append("# §16: key commitments, the value (§8) and its digest\n");
        Line("namespace_key_commitment", Hex(nsCommitment));
        Line("secret_key_commitment", Hex(secretCommitment));
        Line("value_ad", Hex(valueAd.Span));
        Line("versions.ciphertext", Hex(ciphertext));
        Line("value_digest", Hex(CoreControl.KeyCommitment.OfValue(sealedValue)));
        string[] names = ["genesis", "create_namespace", "namespace_key_generation", "create_secret", "put_version"];
        for (var i = 0; i < signed.Count; i++)
        {
            text.Append($"# §14: entry {i + 1}, {names[i].Replace('_', '-')}" + (i == 0 ? " (its hash is the store's identity)" : "") + "\n");
            if (i is 0 or 4)
            {
                Line(names[i] + ".body", Hex(signed[i].Body));
                Line(names[i] + ".signed_bytes", Hex(signed[i].SignedBytes()));
                Line(names[i] + ".signature", Hex(signed[i].Signature));
            }

            Line(names[i] + ".entry", Hex(signed[i].Encode()));
            Line(names[i] + ".hash", Hex(signed[i].Hash()));
        }

        text.Append("# §17: the System client's envelope (kind 2), bound to genesis.hash\n");
        Line("client_secret_bytes", Hex(ControlInputs.ClientSecret));
        Line("clients.kdf_salt", Hex(ControlInputs.KdfSalt));
        Line("kek", Hex(kek));
        Line("private_key_ad", Hex(envelopeAd.Span));
        Line("clients.private_key_nonce", Hex(ControlInputs.EnvelopeNonce));
        Line("pkcs8", Hex(pkcs8));
        Line("clients.private_key", Hex(envelope));
        text.Append("# §18: an audit entry by the System client (§11: sequence 1, client_id = system.id, namespace, version, error_id NULL, outcome ok) and its signature\n");
        Line("audit.at", ControlInputs.Created.ToString(CultureInfo.InvariantCulture));
        Line("audit.action", "store.create");
        Line("audit.target", "/srv/secrets/store.db");
        Line("audit.host", "vm");
        Line("audit.os_user", "root");
        Line("audit.process_id", "4242");
        Line("audit.surface", "api");
        Line("audit.hash", Hex(auditHash));
        Line("audit_signed_bytes", Hex(auditSigned));
        Line("audit.signature", Hex(signing.Sign(auditSigned)));
        text.Append("```\n");
        File.WriteAllText(output, text.ToString());

        static byte[] EcPkcs8(byte[] scalar)
        {
            using var ec = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar });
            return ec.ExportPkcs8PrivateKey();
        }
    }
}
