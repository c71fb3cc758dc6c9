using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Support;

/// <summary>A store in its own temporary directory, created with a cheap (explicitly weak) KDF so tests stay fast.</summary>
public sealed class TempStore : IDisposable
{
    public const string Passphrase = "correct horse battery staple";

    /// <summary>Cheap Argon2id for tests; refused for real stores unless created weak.</summary>
    public static readonly Argon2Parameters WeakKdf = new(Argon2Type.Argon2id, iterations: 1, memoryKiB: 64, parallelism: 1);

    public TempStore(string? fileName = null, bool generateSecret = false)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("secretops-store-").FullName;
        Path = System.IO.Path.Combine(Directory, fileName ?? "store.db");
        Created = SecretStore.Create(Path, new StoreCreateOptions
        {
            Passphrase = generateSecret ? ReadOnlyMemory<char>.Empty : Passphrase.AsMemory(),
            GenerateSecret = generateSecret,
            Kdf = WeakKdf,
            AllowWeakKdf = true,
        });
    }

    public string Directory { get; }

    public string Path { get; }

    public StoreCreated Created { get; }

    public Session ConnectSystem()
    {
        using var credential = Created.ClientSecret is { } secret ? ClientCredential.FromGeneratedSecret(secret) : ClientCredential.FromPassphrase(Passphrase);
        return SecretStore.Open(Path).Connect(SecretStore.SystemClientName, credential);
    }

    public void Dispose()
    {
        SecretStore.ReleaseConnections();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
