using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Support;

/// <summary>A store in its own temporary directory, created with a cheap (explicitly weak) KDF so tests stay fast.</summary>
public sealed class TempStore : IDisposable
{
    public const string Passphrase = "correct horse battery staple";

    /// <summary>Cheap Argon2id for tests; refused for real stores unless created weak.</summary>
    public static readonly Argon2Parameters WeakKdf = new(Argon2Type.Argon2id, iterations: 1, memoryKiB: 64, parallelism: 1);

    /// <param name="shared">Network-share mode (journal_mode=DELETE, a connection per operation), kept by every open.</param>
    public TempStore(string? fileName = null, bool generateSecret = false, bool shared = false)
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

    private TempStore(TempStore source, bool shared)
    {
        Shared = shared;
        Directory = System.IO.Directory.CreateTempSubdirectory("secretops-store-").FullName;
        Path = System.IO.Path.Combine(Directory, System.IO.Path.GetFileName(source.Path));
        SecretStore.Open(source.Path, new StoreOpenOptions { Shared = source.Shared }).Backup(Path);
        Created = source.Created with { Path = Path };
    }

    public string Directory { get; }

    public string Path { get; }

    public StoreCreated Created { get; }

    /// <summary>Network-share mode (journal_mode=DELETE, a connection per operation) as created.</summary>
    public bool Shared { get; }

    /// <summary>A copy of <paramref name="source"/> (a backup of it) in a directory of its own: the same clients and credentials, for a store that is costly to fill.</summary>
    public static TempStore CopyOf(TempStore source, bool shared = false) => new(source, shared);

    /// <summary>Opens the store in the mode it was created with (opening it otherwise would switch its journal mode).</summary>
    public SecretStore Open() => SecretStore.Open(Path, new StoreOpenOptions { Shared = Shared });

    public Session ConnectSystem()
    {
        using var credential = Created.ClientSecret is { } secret ? ClientCredential.FromGeneratedSecret(secret) : ClientCredential.FromPassphrase(Passphrase);
        return Connect(SecretStore.SystemClientName, credential);
    }

    /// <summary>Opens the store in its own mode (shared or not) and connects as <paramref name="client"/>.</summary>
    public Session Connect(string client, ClientCredential credential) => Open().Connect(client, credential);

    public void Dispose()
    {
        SecretStore.ReleaseConnections();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
