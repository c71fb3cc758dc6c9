using System.Text.Json;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Store;

namespace SecretOps.Core.Tests.Format2;

/// <summary>
/// A store written by the format-1 code (Fixtures/format1: seven clients of every kind and status, three namespaces, a
/// per-secret grant, pruned versions under three key generations) upgrades to format 2: every client reads exactly what it
/// read before, disabled and retired clients stay out, the log is signed and verifies, and writes go under generations the
/// log commits to. Each test works on its own copy.
/// </summary>
public sealed class UpgradeTests : IDisposable
{
    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "format1");

    private readonly string directory = Directory.CreateTempSubdirectory("secretops-upgrade-").FullName;
    private readonly JsonElement fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "credentials.json"))).RootElement;

    public UpgradeTests()
    {
        StorePath = Path.Combine(directory, "store.db");
        File.Copy(Path.Combine(FixtureDirectory, "store.db"), StorePath);
    }

    private string StorePath { get; }

    [Fact]
    public void BeforeTheUpgrade_TheStoreIsRefused_WithTheUpgradeHint()
    {
        using var credential = Credential("alice");
        var error = Assert.Throws<StoreUnavailableException>(() => SecretStore.Open(StorePath).Connect("alice", credential));
        Assert.Equal(SecretOpsHint.UpgradeStore, error.Hint);
        Assert.Contains("format-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAdministratorUpgrades_AndEveryClientReadsWhatItReadBefore()
    {
        using (var credential = Credential("alice"))
        {
            var result = SecretStore.Open(StorePath).Upgrade("alice", credential);
            Assert.Equal((7, 3, 4), (result.Clients, result.Namespaces, result.Secrets));
            Assert.Equal(6, result.Versions);
        }

        foreach (var (client, ns, name, version) in new[]
        {
            ("system", "prod", "db-password", 6), ("system", "prod", "db-password", 4), ("system", "ops", "token", 1), ("system", "default", "note", 1),
            ("bob", "prod", "db-password", 6), ("bob", "prod", "db-password", 5), ("alice", "prod", "api-key", 1),
            ("carol", "prod", "api-key", 1), ("ci", "ops", "token", 1),
        })
        {
            using var session = Connect(client);
            using var read = session.GetSecret(ns, name, version);
            Assert.Equal(Expected($"{ns}/{name}@{version}"), Describe(read.Value));
        }

        using (var carol = Connect("carol"))
        {
            Assert.Throws<AccessDeniedException>(() => carol.GetSecret("prod", "db-password"));
        }

        foreach (var outsider in new[] { "dave", "erin" })
        {
            using var credential = Credential(outsider);
            Assert.Throws<AuthenticationFailedException>(() => SecretStore.Open(StorePath).Connect(outsider, credential));
        }

        using var system = Connect("system");
        var check = system.Check();
        Assert.True(check.IsHealthy, string.Join("; ", check.KeyProblems) + check.Audit.Problem);
        Assert.True(SecretStore.Open(StorePath).VerifyAudit().IsValid);
    }

    [Fact]
    public void AfterTheUpgrade_WritesGoUnderGenerationsTheLogCommitsTo_AndNothingMoreCanBeUpgraded()
    {
        using (var credential = Credential("system"))
        {
            SecretStore.Open(StorePath).Upgrade("system", credential);
        }

        using (var bob = Connect("bob"))
        {
            bob.SetSecret("prod", "db-password", SecretValue.FromString("after the upgrade"));
        }

        // prod had key generation 3 in format 1; the upgrade rotated it to 4, which the new version is sealed under.
        Assert.Equal(4L, RawDb.Scalar(StorePath, "SELECT key_generation FROM namespaces WHERE name = 'prod'"));
        Assert.Equal(4L, RawDb.Scalar(StorePath, "SELECT key_generation FROM versions WHERE version = 7"));
        using (var alice = Connect("alice"))
        {
            using var read = alice.GetSecret("prod", "db-password");
            Assert.Equal("after the upgrade", read.Value.GetString());
        }

        using var again = Credential("alice");
        Assert.Throws<ConflictException>(() => SecretStore.Open(StorePath).Upgrade("alice", again));
    }

    [Fact]
    public void AMember_CannotUpgrade_AndTheStoreIsLeftAsItWas()
    {
        SecretStore.Open(StorePath); // opening migrates the tables (format 2's, empty): the upgrade itself must change nothing more
        SecretStore.ReleaseConnections();
        var before = RawDb.Fingerprint(StorePath);
        using var credential = Credential("bob");
        Assert.Throws<AccessDeniedException>(() => SecretStore.Open(StorePath).Upgrade("bob", credential));
        Assert.Equal(0L, RawDb.Scalar(StorePath, "SELECT count(*) FROM control_log"));
        Assert.Equal(before, RawDb.Fingerprint(StorePath));
    }

    [Fact]
    public void AFormat1StoreAlteredWithAStanzaNobodyGranted_IsNotVouchedFor()
    {
        // Dave (no grant) copies alice's stanza row for prod: format 1 can see that no grant stands behind it.
        RawDb.Execute(StorePath,
            "INSERT INTO stanzas SELECT (SELECT id FROM clients WHERE name = 'dave'), scope_kind, scope_id, generation, algorithm, header, nonce, wrapped_key " +
            "FROM stanzas WHERE client_id = (SELECT id FROM clients WHERE name = 'alice') AND scope_kind = 1");
        using var credential = Credential("alice");
        var error = Assert.Throws<TamperedException>(() => SecretStore.Open(StorePath).Upgrade("alice", credential));
        Assert.Contains("'dave'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, RawDb.Scalar(StorePath, "SELECT count(*) FROM control_log"));
    }

    public void Dispose()
    {
        SecretStore.ReleaseConnections();
        Directory.Delete(directory, recursive: true);
    }

    private Session Connect(string client)
    {
        using var credential = Credential(client);
        return SecretStore.Open(StorePath).Connect(client, credential);
    }

    private ClientCredential Credential(string client)
    {
        var entry = fixture.GetProperty("clients").GetProperty(client);
        return entry.GetProperty("kind").GetString() switch
        {
            "generated" => ClientCredential.FromGeneratedSecret(entry.GetProperty("secret").GetString()!),
            "passphrase" => ClientCredential.FromPassphrase(entry.GetProperty("passphrase").GetString()),
            _ => ClientCredential.FromPrivateKey(PemKeyReader.ReadPrivateKey(File.ReadAllText(Path.Combine(FixtureDirectory, entry.GetProperty("keyFile").GetString()!)))),
        };
    }

    /// <summary>The fixture's value as canonical JSON text, to compare with what a read returned.</summary>
    private string Expected(string key) => JsonSerializer.Serialize(fixture.GetProperty("values").GetProperty(key), Json);

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Describe(SecretValue value) => value.Type switch
    {
        SecretValueType.String => JsonSerializer.Serialize(value.GetString(), Json),
        SecretValueType.Credential => JsonSerializer.Serialize(new { userName = value.GetCredential().UserName, password = value.GetCredential().Password }, Json),
        _ => JsonSerializer.Serialize(value.GetTable().ToDictionary(e => e.Key, e => new
        {
            type = e.Value.Type.ToString(),
            value = e.Value.Type switch
            {
                SecretValueType.Credential => (object)new { userName = e.Value.GetCredential().UserName, password = e.Value.GetCredential().Password },
                SecretValueType.Bytes => Convert.ToBase64String(e.Value.GetBytes()),
                _ => e.Value.GetString(),
            },
        }), Json),
    };
}
