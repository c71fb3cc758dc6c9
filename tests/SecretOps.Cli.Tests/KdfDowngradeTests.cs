using SecretOps.Core.Tests.Store;

namespace SecretOps.Cli.Tests;

/// <summary>
/// Issue 12, finding 5, through the real CLI: the store header's KDF defaults are a row anyone with the file can
/// lower; the next passphrase must not be sealed with them without a word.
/// </summary>
public class KdfDowngradeTests
{
    [Fact]
    public void LoweredKdfDefaults_MakeClientAddRefuse_InsteadOfSealingAt8KiB()
    {
        using var store = CliStore.Empty();
        store.Ok(["store", "init", "--passphrase-stdin", "--kdf-memory", "64", "--kdf-iterations", "3", "--kdf-parallelism", "1"], stdin: CliStore.Passphrase + "\n");
        RawDb.Execute(store.StorePath, "UPDATE store_info SET kdf_memory_kib = 8, kdf_iterations = 1, kdf_parallelism = 1, allow_weak_kdf = 1");

        var refused = store.Fails(2, ["client", "add", "dave", "--new-passphrase-stdin"], stdin: "dave's passphrase\n");
        Assert.Contains("m=8 KiB, t=1", refused.Stderr);
        Assert.Contains("--weak-kdf", refused.Stderr);
        Assert.DoesNotContain("dave's passphrase", refused.Stdout + refused.Stderr);
        Assert.Null(RawDb.Scalar(store.StorePath, "SELECT kdf_memory_kib FROM clients WHERE name = 'dave'"));
    }
}
