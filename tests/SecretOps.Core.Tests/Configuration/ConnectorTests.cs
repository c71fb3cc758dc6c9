using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using SecretOps.Tests.Files;

namespace SecretOps.Core.Tests.Configuration;

/// <summary>Resolution order: explicit values, then SECRETOPS_* variables, then the profile, then defaults.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ConnectorTests : IDisposable
{
    private static readonly string[] Variables =
    [
        "SECRETOPS_CONFIG", "SECRETOPS_PROFILE", "SECRETOPS_STORE", "SECRETOPS_CLIENT", "SECRETOPS_NAMESPACE",
        "SECRETOPS_PASSPHRASE", "SECRETOPS_CLIENT_SECRET", "SECRETOPS_KEY_FILE", "SECRETOPS_SHARED", "SECRETOPS_TOKEN_FILE",
    ];

    private readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly string directory = Directory.CreateTempSubdirectory("secretops-connector-").FullName;

    public ConnectorTests()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        Environment.SetEnvironmentVariable("SECRETOPS_CONFIG", Path.Combine(directory, "config.yaml"));
        File.WriteAllText(Path.Combine(directory, "config.yaml"),
            "defaultProfile: p\nprofiles:\n  p:\n    store: /profile/store.db\n    client: profile-client\n    namespace: profile-ns\n    tokenFile: /profile/token\n");
    }

    [Fact]
    public void ProfileBeatsDefaults_EnvironmentBeatsProfile_FlagsBeatEverything()
    {
        var fromProfile = Connector.Resolve(new ConnectionRequest());
        Assert.Equal(("/profile/store.db", "profile-client", "profile-ns"), (fromProfile.Store, fromProfile.Client, fromProfile.Namespace));

        Environment.SetEnvironmentVariable("SECRETOPS_STORE", "/env/store.db");
        Environment.SetEnvironmentVariable("SECRETOPS_CLIENT", "env-client");
        var fromEnvironment = Connector.Resolve(new ConnectionRequest());
        Assert.Equal(("/env/store.db", "env-client", "profile-ns"), (fromEnvironment.Store, fromEnvironment.Client, fromEnvironment.Namespace));

        var fromFlags = Connector.Resolve(new ConnectionRequest { Store = "/flag/store.db", Namespace = "flag-ns" });
        Assert.Equal(("/flag/store.db", "env-client", "flag-ns"), (fromFlags.Store, fromFlags.Client, fromFlags.Namespace));
    }

    [Fact]
    public void TheTokenFile_FlagBeatsTheEnvironment_WhichBeatsTheProfile()
    {
        Assert.Equal("/profile/token", Connector.Resolve(new ConnectionRequest()).TokenFile);
        Environment.SetEnvironmentVariable("SECRETOPS_TOKEN_FILE", "/env/token");
        Assert.Equal("/env/token", Connector.Resolve(new ConnectionRequest()).TokenFile);
        Assert.Equal("/flag/token", Connector.Resolve(new ConnectionRequest { TokenFile = "/flag/token" }).TokenFile);
    }

    [Fact]
    public void WithoutProfile_DefaultsApply()
    {
        File.Delete(Path.Combine(directory, "config.yaml"));
        var resolved = Connector.Resolve(new ConnectionRequest());
        Assert.Equal(("system", "default"), (resolved.Client, resolved.Namespace));
        Assert.EndsWith(Path.Combine("secretops", "store.db"), resolved.Store, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ExplicitCredential_BeatsTheEnvironment_AndTheEnvironmentIsUsedOtherwise()
    {
        Environment.SetEnvironmentVariable("SECRETOPS_CLIENT_SECRET", GeneratedSecret.Create());
        using (var explicitPassphrase = Connector.ResolveCredential(new ConnectionRequest { Passphrase = "given".AsMemory() }))
        {
            Assert.Equal(ClientKind.Passphrase, explicitPassphrase!.Kind);
        }

        using var fromEnvironment = Connector.ResolveCredential(new ConnectionRequest());
        Assert.Equal(ClientKind.Generated, fromEnvironment!.Kind);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("TRUE", true)]
    [InlineData("0", false)]
    [InlineData("False", false)]
    public void SharedFlag_FromTheEnvironment_IsRead(string value, bool expected)
    {
        Environment.SetEnvironmentVariable("SECRETOPS_SHARED", value);
        Assert.Equal(expected, Connector.Resolve(new ConnectionRequest()).Shared);
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("yes please")]
    [InlineData("2")]
    public void SharedFlag_Unrecognised_IsRefused_NotReadAsNo(string value)
    {
        // Read as "no", a share would get WAL mode, which is unsafe there (docs/SECURITY.md).
        Environment.SetEnvironmentVariable("SECRETOPS_SHARED", value);
        var error = Assert.Throws<InvalidParameterException>(() => Connector.Resolve(new ConnectionRequest()));
        Assert.Contains($"SECRETOPS_SHARED is '{value}'; use 1, 0, true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingSecretFile_SaysWhich()
    {
        var missing = Path.Combine(directory, "nope.secret");
        Assert.Contains(missing, Assert.Throws<InvalidParameterException>(() => Connector.ResolveCredential(new ConnectionRequest { SecretFile = missing })).Message);
    }

    [Fact]
    public void SecretOrKeyFile_OthersCanReadOrWrite_IsRefusedBeforeItIsRead()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix permission bits.");
            return;
        }

        var secret = GeneratedSecret.Create();
        var file = Path.Combine(directory, "loose.secret");
        CredentialFile.Write(file, secret);
        foreach (var mode in new[] { "644", "640", "604", "660", "606", "622" })
        {
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32(mode, 8));
            foreach (var request in new[] { new ConnectionRequest { SecretFile = file }, new ConnectionRequest { KeyFile = file } })
            {
                var refused = Assert.Throws<UnprotectedFileException>(() => Connector.ResolveCredential(request));
                Assert.Equal("SecretOps.UnprotectedFile", refused.ErrorId);
                Assert.Contains($"chmod 600 '{file}'", refused.Message, StringComparison.Ordinal);
                Assert.Contains("0" + mode, refused.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, refused.Message, StringComparison.Ordinal);
            }
        }

        File.SetUnixFileMode(file, UnixFileMode.UserRead);
        using var credential = Connector.ResolveCredential(new ConnectionRequest { SecretFile = file });
        Assert.NotNull(credential);
    }

    [Fact]
    public void EndToEnd_ProfileWithSecretFile_Connects()
    {
        using var store = new TempStore(generateSecret: true);
        var secretFile = Path.Combine(directory, "system.secret");
        CredentialFile.Write(secretFile, store.Created.ClientSecret + "\n");
        File.WriteAllText(Path.Combine(directory, "config.yaml"), $"defaultProfile: p\nprofiles:\n  p:\n    store: '{store.Path}'\n    secretFile: '{secretFile}'\n");
        var resolved = Connector.Resolve(new ConnectionRequest());
        using var credential = Connector.ResolveCredential(new ConnectionRequest())!;
        using var session = Connector.Connect(resolved, credential, Surface.Api);
        session.SetSecret(resolved.Namespace, "x", SecretValue.FromString("y"));
        using var read = session.GetSecret(resolved.Namespace, "x");
        Assert.Equal("y", read.Value.GetString());
    }

    public void Dispose()
    {
        foreach (var (name, value) in saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        Directory.Delete(directory, recursive: true);
    }
}
