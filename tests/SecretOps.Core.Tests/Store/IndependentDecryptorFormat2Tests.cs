using System.Security.Cryptography;
using IndependentReader;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using CoreControl = SecretOps.Core.Control;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Format 2 through the independent reader: it verifies the control log (FORMAT.md §14) and refuses what the log does not
/// vouch for, as the engine does; the engine is used only to create stores and to compare.
/// </summary>
public partial class IndependentDecryptorTests
{
    private static TempStore StoreWithOneSecret(out string secret)
    {
        var store = new TempStore(generateSecret: true);
        secret = store.Created.ClientSecret!;
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("v1"));
            session.SetSecret("default", "db", SecretValue.FromString("v2"));
        }

        RawDb.Checkpoint(store.Path);
        return store;
    }

    [Fact]
    public void ControlLog_ReplayedByTheReader_HasTheEnginesHeadAndCommitments()
    {
        using var store = StoreWithOneSecret(out var secret);
        using var db = RawDb.Open(store.Path, readOnly: true);
        var log = FormatReader.ReplayControlLog(db);
        Assert.Equal((long)RawDb.Scalar(db, "SELECT max(sequence) FROM control_log")!, log.Sequence);
        Assert.Equal(SHA256.HashData((byte[])RawDb.Scalar(db, "SELECT entry FROM control_log WHERE sequence = 1")!), log.GenesisHash);
        var engine = CoreControl.ControlReplay.ReplayAll(ReadAll(db));
        Assert.Equal(engine.HeadHash, log.HeadHash);
        Assert.Equal(engine.GenesisHash, log.GenesisHash);
        var trace = new Dictionary<string, byte[]>();
        Assert.Equal("v2", FormatReader.Decrypt(store.Path, "system", secret, "default", "db", null, trace).Text);
        Assert.Equal(log.GenesisHash, trace["genesis_hash"]);
        Assert.Contains("secret_key_commitment", trace.Keys);
        Assert.Contains("namespace_key_commitment", trace.Keys);

        static List<CoreControl.SignedControlEntry> ReadAll(Microsoft.Data.Sqlite.SqliteConnection db)
        {
            var entries = new List<CoreControl.SignedControlEntry>();
            using var command = RawDb.Command(db, "SELECT sequence, entry FROM control_log ORDER BY sequence");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                entries.Add(CoreControl.ControlView.Decode(reader.GetInt64(0), (byte[])reader[1]));
            }

            return entries;
        }
    }

    [Fact]
    public void ForgedLogEntry_SignedWithAnotherKey_IsRefused_ByTheReaderAndTheEngine()
    {
        using var store = StoreWithOneSecret(out var secret);
        using (var db = RawDb.Open(store.Path))
        {
            // An attacker with write access appends an entry that makes it an admin, "by" the System client, signed with its own key.
            var log = FormatReader.ReplayControlLog(db);
            var systemId = log.Clients.Single(c => c.Value.Role == 1).Key;
            using var attackerSigning = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var attackerEncryption = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var body = FormatReader.Ad("secretops/control/add-client/v1", Guid.NewGuid(), "mallory", 2L, 2L,
                attackerEncryption.ExportSubjectPublicKeyInfo(), attackerSigning.ExportSubjectPublicKeyInfo());
            var sequence = log.Sequence + 1;
            var signature = attackerSigning.SignData(FormatReader.ControlSignedBytes(sequence, log.HeadHash, systemId, body), HashAlgorithmName.SHA256,
                DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            RawDb.Execute(db, "INSERT INTO control_log VALUES ($s, $e)", ("$s", sequence),
                ("$e", FormatReader.ControlEntryEncoding(sequence, log.HeadHash, systemId, body, signature)));
        }

        RawDb.Checkpoint(store.Path);
        var refused = Assert.Throws<InvalidDataException>(() => FormatReader.Decrypt(store.Path, "system", secret, "default", "db"));
        Assert.Contains("signature", refused.Message, StringComparison.Ordinal);
        Assert.Throws<TamperedException>(() => store.ConnectSystem());
    }

    [Fact]
    public void ForgedLogEntry_AnAlteredBody_IsRefused_ByTheReaderAndTheEngine()
    {
        using var store = StoreWithOneSecret(out var secret);
        using (var db = RawDb.Open(store.Path))
        {
            // The last put-version's value digest changed, its signature kept (and every later link re-made): the signature fails.
            var last = (long)RawDb.Scalar(db, "SELECT max(sequence) FROM control_log")!;
            var entry = FormatReader.DecodeEntry(last, (byte[])RawDb.Scalar(db, "SELECT entry FROM control_log WHERE sequence = $s", ("$s", last))!);
            Assert.Equal("put-version", entry.Kind);
            var fields = entry.Fields.ToList();
            fields[4] = new byte[32];
            var body = FormatReader.Ad("secretops/control/put-version/v1", [.. fields.Cast<object>()]);
            RawDb.Execute(db, "UPDATE control_log SET entry = $e WHERE sequence = $s", ("$s", last),
                ("$e", FormatReader.ControlEntryEncoding(last, entry.PreviousHash, entry.Author, body, entry.Signature)));
        }

        RawDb.Checkpoint(store.Path);
        Assert.Throws<InvalidDataException>(() => FormatReader.Decrypt(store.Path, "system", secret, "default", "db"));
        Assert.Throws<TamperedException>(() => store.ConnectSystem());
    }

    [Fact]
    public void Version_WhoseDigestDoesNotMatch_IsRefused_EvenWhenItsCiphertextAuthenticates()
    {
        using var store = StoreWithOneSecret(out var secret);
        var trace = new Dictionary<string, byte[]>();
        FormatReader.Decrypt(store.Path, "system", secret, "default", "db", null, trace);

        // Someone who holds the secret key (any reader of it) seals another value with the right AD and puts it in the row.
        var nonce = RandomNumberGenerator.GetBytes(12);
        var plaintext = "\u0001\u0001evil"u8.ToArray();
        var sealedValue = new byte[plaintext.Length + 16];
        using (var aes = new AesGcm(trace["secret_key"], 16))
        {
            aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(0, plaintext.Length), sealedValue.AsSpan(plaintext.Length), trace["value_ad"]);
        }

        Assert.Equal(plaintext, FormatReader.Open(trace["secret_key"], nonce, sealedValue, trace["value_ad"]));
        RawDb.Execute(store.Path, "UPDATE versions SET nonce = $n, ciphertext = $c WHERE version = 2", ("$n", nonce), ("$c", sealedValue));
        RawDb.Checkpoint(store.Path);

        var refused = Assert.Throws<InvalidDataException>(() => FormatReader.Decrypt(store.Path, "system", secret, "default", "db"));
        Assert.Contains("signed", refused.Message, StringComparison.Ordinal);
        Assert.Equal("v1", FormatReader.Decrypt(store.Path, "system", secret, "default", "db", 1).Text);
        using var session = store.ConnectSystem();
        Assert.Throws<TamperedException>(() => session.GetSecret("default", "db"));
    }

    [Fact]
    public void KeyNotCommittedTo_IsRefused()
    {
        // A secret key generation planted beside the real one: a new key wrapped under the namespace key (which a holder
        // knows) replaces secret_keys' row; it opens, but it is not the key the log commits to.
        using var store = StoreWithOneSecret(out var secret);
        var trace = new Dictionary<string, byte[]>();
        FormatReader.Decrypt(store.Path, "system", secret, "default", "db", null, trace);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var planted = RandomNumberGenerator.GetBytes(32);
        var wrapped = new byte[48];
        using (var aes = new AesGcm(trace["namespace_key"], 16))
        {
            aes.Encrypt(nonce, planted, wrapped.AsSpan(0, 32), wrapped.AsSpan(32), trace["secret_key_wrap_ad"]);
        }

        RawDb.Execute(store.Path, "UPDATE secret_keys SET nonce = $n, wrapped_key = $w", ("$n", nonce), ("$w", wrapped));
        RawDb.Checkpoint(store.Path);
        var refused = Assert.Throws<InvalidDataException>(() => FormatReader.Decrypt(store.Path, "system", secret, "default", "db"));
        Assert.Contains("commits to", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditSignatures_VerifyWithTheLogsSigningKeys_AndAnAlteredOneIsFound()
    {
        using var store = StoreWithOneSecret(out _);
        Assert.True((long)RawDb.Scalar(store.Path, "SELECT count(*) FROM audit WHERE signature IS NOT NULL")! > 0);
        Assert.Null(FormatReader.FirstBadAuditSignature(store.Path));
        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path));

        var signed = (long)RawDb.Scalar(store.Path, "SELECT max(sequence) FROM audit WHERE signature IS NOT NULL")!;
        using (var db = RawDb.Open(store.Path))
        {
            RawDb.FlipByte(db, "audit", "signature", "sequence = $s", 5, ("$s", signed));
        }

        RawDb.Checkpoint(store.Path);
        Assert.Equal(signed, FormatReader.FirstBadAuditSignature(store.Path));
        Assert.Null(FormatReader.FirstBrokenAuditEntry(store.Path));
    }
}
