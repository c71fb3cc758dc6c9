using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Issue 12, finding 5: the store header's KDF defaults are rows anyone with the file can write. Lowering them (and
/// setting allow_weak_kdf) must not make the next passphrase be sealed with cheap parameters without a word.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public sealed class KdfDowngradeTests : IDisposable
{
    private const string SystemPassphrase = "the system passphrase at the floor";
    private readonly TempDirectory directory = new();
    private readonly string path;

    public KdfDowngradeTests()
    {
        // A real (not weak) store, at the floor so the test stays quick.
        path = directory.File("store.db");
        SecretStore.Create(path, new StoreCreateOptions { Passphrase = SystemPassphrase.AsMemory(), Kdf = Argon2Parameters.Floor });

        // The attacker lowers the defaults to 8 KiB, one pass, and marks the store weak.
        RawDb.Execute(path, "UPDATE store_info SET kdf_memory_kib = 8, kdf_iterations = 1, kdf_parallelism = 1, allow_weak_kdf = 1");
    }

    [Fact]
    public void LoweredStoreDefaults_DoNotSealANewClientsPassphrase_BelowTheFloor()
    {
        using (var system = Connect())
        {
            var error = Assert.Throws<InvalidParameterException>(() =>
                system.AddClient("dave", new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = "dave's passphrase".AsMemory() }));
            Assert.Contains("m=8 KiB, t=1", error.Message);
            Assert.DoesNotContain("dave's passphrase", error.Message);
        }

        Assert.Null(RawDb.Scalar(path, "SELECT kdf_memory_kib FROM clients WHERE name = 'dave'"));
    }

    [Fact]
    public void LoweredStoreDefaults_DoNotSealARotatedPassphrase_BelowTheFloor()
    {
        using (var system = Connect())
        {
            Assert.Throws<InvalidParameterException>(() =>
                system.RotateClientKey(null, new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = "a new passphrase".AsMemory() }));
        }

        Assert.Equal((long)Argon2Parameters.Floor.MemoryKiB, RawDb.Scalar(path, "SELECT kdf_memory_kib FROM clients WHERE name = 'system'"));
        Assert.Equal(3L, RawDb.Scalar(path, "SELECT kdf_iterations FROM clients WHERE name = 'system'"));
    }

    public void Dispose() => directory.Dispose();

    private Session Connect()
    {
        using var credential = ClientCredential.FromPassphrase(SystemPassphrase);
        return SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential);
    }
}
