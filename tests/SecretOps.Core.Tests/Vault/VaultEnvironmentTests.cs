using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using SecretOps.Core.Vault;

namespace SecretOps.Core.Tests.Vault;

/// <summary>A vault that names no credential source resolves one like every surface: environment, then profile.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class VaultEnvironmentTests : IDisposable
{
    private static readonly string[] Variables = ["SECRETOPS_CONFIG", "SECRETOPS_PROFILE", "SECRETOPS_KEY_FILE", "SECRETOPS_CLIENT_SECRET", "SECRETOPS_PASSPHRASE", "SECRETOPS_CLIENT", "SECRETOPS_NAMESPACE", "SECRETOPS_STORE"];
    private readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly TempStore store = new();

    public VaultEnvironmentTests()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        Environment.SetEnvironmentVariable("SECRETOPS_CONFIG", Path.Combine(store.Directory, "no-config.yaml"));
    }

    public void Dispose()
    {
        SecretVault.Unregister("V", null);
        foreach (var session in SessionRegistry.All.Where(s => s.Store.Path == store.Path))
        {
            SessionRegistry.Remove(session);
        }

        foreach (var (variable, value) in saved)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }

        store.Dispose();
    }

    [Fact]
    public void WithoutACredentialAnywhere_TheVaultIsLocked_AndTheEnvironmentUnlocksIt()
    {
        var vault = VaultSettings.Parse([new("Path", store.Path)]);
        Assert.Throws<VaultLockedException>(() => SecretVault.GetSecret("V", vault, "db"));

        Environment.SetEnvironmentVariable("SECRETOPS_PASSPHRASE", TempStore.Passphrase);
        SecretVault.SetSecret("V", vault, "db", SecretValue.FromString("x"), null);
        using var value = SecretVault.GetSecret("V", vault, "db");
        Assert.Equal("x", value!.GetString());
    }

    [Fact]
    public void TheNamespaceAndClient_DefaultLikeEverySurface()
    {
        Environment.SetEnvironmentVariable("SECRETOPS_PASSPHRASE", TempStore.Passphrase);
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("ci");
        }

        Environment.SetEnvironmentVariable("SECRETOPS_NAMESPACE", "ci");
        var vault = VaultSettings.Parse([new("Path", store.Path)]);
        SecretVault.SetSecret("V", vault, "token", SecretValue.FromString("x"), null);
        using var check = store.ConnectSystem();
        Assert.Equal("ci", check.GetEntry("ci", "token").Namespace);
    }

    [Fact]
    public void AMissingKeyFile_IsAnError_NamingIt()
    {
        var keyFile = Path.Combine(store.Directory, "absent.pem");
        var vault = VaultSettings.Parse([new("Path", store.Path), new("KeyFile", keyFile)]);
        var e = Assert.Throws<InvalidParameterException>(() => SecretVault.GetSecretInfo("V", vault, "*"));
        Assert.Contains(keyFile, e.Message);
        var test = SecretVault.Test("V", [new("Path", store.Path), new("KeyFile", keyFile)]);
        Assert.False(test.IsValid);
        Assert.Contains(keyFile, Assert.Single(test.Problems).Message);
    }

    [Fact]
    public void AnEmptyUnlockPassword_IsRefused()
    {
        var vault = VaultSettings.Parse([new("Path", store.Path), new("Prompt", true)]);
        Assert.Throws<InvalidParameterException>(() => SecretVault.Unlock("V", vault, ReadOnlySpan<char>.Empty));
    }
}
