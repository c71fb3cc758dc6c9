using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Support;

/// <summary>A store in its own temporary directory, created with a cheap (explicitly weak) KDF so tests stay fast.</summary>
public sealed class TempStore : IDisposable
{
    public const string Passphrase = "correct horse battery staple";

    /// <summary>Cheap Argon2id for tests; refused for real stores unless created weak.</summary>
    public static readonly Argon2Parameters WeakKdf = new(Argon2Type.Argon2id, iterations: 1, memoryKiB: 64, parallelism: 1);

    public TempStore(string? fileName = null, bool generateSecret = false, bool? shared = null)
    {
        Shared = shared;
        Directory = System.IO.Directory.CreateTempSubdirectory("secretops-store-").FullName;
        Path = System.IO.Path.Combine(Directory, fileName ?? "store.db");
        Created = SecretStore.Create(Path, new StoreCreateOptions
        {
            Passphrase = generateSecret ? ReadOnlyMemory<char>.Empty : Passphrase.AsMemory(),
            GenerateSecret = generateSecret,
            Kdf = WeakKdf,
            AllowWeakKdf = true,
            Shared = shared,
        });
    }

    public string Directory { get; }

    public string Path { get; }

    public StoreCreated Created { get; }

    /// <summary>Network-share mode (journal_mode=DELETE, no pooling) as created; null: detected from the path.</summary>
    public bool? Shared { get; }

    /// <summary>Opens the store in the mode it was created with (opening it otherwise would switch its journal mode).</summary>
    public SecretStore Open() => SecretStore.Open(Path, new StoreOpenOptions { Shared = Shared });

    public Session ConnectSystem()
    {
        using var credential = Created.ClientSecret is { } secret ? ClientCredential.FromGeneratedSecret(secret) : ClientCredential.FromPassphrase(Passphrase);
        return Open().Connect(SecretStore.SystemClientName, credential);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
