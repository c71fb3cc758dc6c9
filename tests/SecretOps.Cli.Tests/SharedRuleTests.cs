namespace SecretOps.Cli.Tests;

/// <summary>
/// Rules the CLI and the cmdlets share, decided once in Core (tests/SecretOps.Core.Tests/Surfaces): the same KDF bounds
/// refused with the same error id and message, SECRETOPS_PASSPHRASE at store creation, and a missing policy or public
/// key file as SecretOps.NotFound (exit 3). tests/Pester/Store.Tests.ps1 and Policy.Tests.ps1 check the cmdlets alike.
/// </summary>
public class SharedRuleTests
{
    /// <summary>Each refused, with Core's message, before any credential is looked for (none is given here).</summary>
    [Theory]
    [InlineData("memory must be 1–4096 MiB", "--kdf-memory", "0")]
    [InlineData("memory must be 1–4096 MiB", "--kdf-memory", "4097", "--weak-kdf")]
    [InlineData("exceed the limits", "--kdf-memory", "1", "--kdf-iterations", "17", "--weak-kdf")]
    [InlineData("exceed the limits", "--kdf-memory", "1", "--kdf-parallelism", "65", "--weak-kdf")]
    [InlineData("at least 1 iteration", "--kdf-iterations", "0", "--weak-kdf")]
    [InlineData("weaker than the minimum", "--kdf-memory", "63")]
    [InlineData("weaker than the minimum", "--kdf-iterations", "2")]
    public void StoreInit_RefusesKdfOutsideCoresBounds_AsInvalidParameter_BeforeAskingForACredential(string expected, params string[] kdf)
    {
        using var store = CliStore.Empty();
        var refused = store.Fails(2, ["store", "init", .. kdf], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null });
        Assert.Contains(expected, refused.Stderr);
        Assert.Contains("[SecretOps.InvalidParameter]", ErrorIdRun(store, ["store", "init", .. kdf], new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null }));
        Assert.DoesNotContain("No credential", refused.Stderr);
        Assert.False(File.Exists(store.StorePath));
    }

    [Fact]
    public void StoreInit_AcceptsCoresWidestWeakBounds()
    {
        using var store = CliStore.Empty();
        store.Ok("store", "init", "--kdf-memory", "1", "--kdf-iterations", "16", "--kdf-parallelism", "64", "--weak-kdf");
        Assert.True(File.Exists(store.StorePath));
    }

    [Fact]
    public void StoreInit_SealsTheSystemClientWithSecretopsPassphrase()
    {
        using var store = CliStore.Empty();
        var environment = new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = "from the environment" };
        store.Ok(["store", "init", .. CliStore.WeakKdf], stdin: null, environment);
        store.Ok(["secret", "list"], stdin: null, environment);
        store.Fails(4, ["secret", "list"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = "another passphrase" });
    }

    [Fact]
    public void MissingPolicyOrPublicKeyFile_IsNotFound()
    {
        using var store = CliStore.Create();
        string[] policy = ["policy", "apply", Path.Combine(store.Directory, "missing.yaml")];
        Assert.Contains($"There is no policy file '{Path.Combine(store.Directory, "missing.yaml")}'.", store.Fails(3, policy).Stderr);
        Assert.Contains("[SecretOps.NotFound]", ErrorIdRun(store, policy));

        string[] key = ["client", "add", "laptop", "--public-key", Path.Combine(store.Directory, "missing.pub")];
        Assert.Contains("There is no public key file", store.Fails(3, key).Stderr);
        Assert.Contains("[SecretOps.NotFound]", ErrorIdRun(store, key));
    }

    /// <summary>Standard error of the command run again with --verbose, which names the error id.</summary>
    private static string ErrorIdRun(CliStore store, string[] arguments, IDictionary<string, string?>? environment = null)
    {
        var result = store.Run([.. arguments, "--verbose"], stdin: null, environment);
        Assert.NotEqual(0, result.ExitCode);
        return result.Stderr;
    }
}
