using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// The OS user's file permissions are the store's outer wall (docs/SECURITY.md): on Unix the store, its
/// SQLite side files and backups are 0600, and a directory SecretOps creates for them is 0700.
/// </summary>
public class FileModeTests
{
    private static StoreCreated Create(string path) => SecretStore.Create(path, new StoreCreateOptions
    {
        Passphrase = TempStore.Passphrase.AsMemory(),
        Kdf = TempStore.WeakKdf,
        AllowWeakKdf = true,
    });

    private static Session Connect(string path)
    {
        using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
        return SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential);
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void NewStore_InANewDirectory_IsOwnerOnly_AndSoAreItsWalAndShm()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var directory = new TempDirectory();
        var parent = Path.Combine(directory.Path, "new", "nested");
        var path = Path.Combine(parent, "store.db");
        Create(path);
        Assert.Equal("0700", UnixFiles.Mode(parent));
        Assert.Equal("0700", UnixFiles.Mode(Path.GetDirectoryName(parent)!));
        Assert.Equal("0600", UnixFiles.Mode(path));

        using var session = Connect(path);
        session.SetSecret("default", "x", SecretValue.FromString("y"));

        // Hold a connection of our own: other tests clear the process-wide pools at any moment, and SQLite
        // deletes -wal and -shm when the last connection closes (and recreates them, so modes are still checked).
        using var held = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        held.Open();
        using (var read = held.CreateCommand())
        {
            read.CommandText = "SELECT count(*) FROM secrets";
            read.ExecuteScalar();
        }

        Assert.True(File.Exists(path + "-wal") && File.Exists(path + "-shm"), "a connected WAL store has -wal and -shm files");
        Assert.Equal("0600", UnixFiles.Mode(path + "-wal"));
        Assert.Equal("0600", UnixFiles.Mode(path + "-shm"));
        Assert.Equal("0600", UnixFiles.Mode(path));
    }

    [Fact]
    public void ExistingParentDirectory_IsLeftAsItIs()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var directory = new TempDirectory();
        File.SetUnixFileMode(directory.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        Create(directory.File("store.db"));
        Assert.Equal("0755", UnixFiles.Mode(directory.Path));
        Assert.Equal("0600", UnixFiles.Mode(directory.File("store.db")));
    }

    [Fact]
    public void Backup_IsOwnerOnly_InANewDirectoryToo()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.SetSecret("default", "x", SecretValue.FromString("y"));
        var backup = Path.Combine(store.Directory, "backups", "store-backup.db");
        session.Store.Backup(backup);
        Assert.Equal("0600", UnixFiles.Mode(backup));
        Assert.Equal("0700", UnixFiles.Mode(Path.GetDirectoryName(backup)!));
        Assert.False(File.Exists(backup + "-wal"), "a backup is a single file (journal_mode=DELETE)");
    }

    [Fact]
    public void RestoredStore_IsOwnerOnly()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var store = new TempStore();
        var backup = Path.Combine(store.Directory, "backup.db");
        SecretStore.Open(store.Path).Backup(backup);
        SecretStore.Restore(backup, store.Path);
        Assert.Equal("0600", UnixFiles.Mode(store.Path));
    }

    [Fact]
    public void PathWithSpacesAndNonAscii_Works()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "dir with spaces ünï 日本", "store file é ✓.db");
        var created = Create(path);
        Assert.Equal(Path.GetFullPath(path), created.Path);
        using (var session = Connect(path))
        {
            session.SetSecret("default", "name with spaces ✓", SecretValue.FromString("välue"));
            var backup = Path.Combine(Path.GetDirectoryName(path)!, "backup ü.db");
            session.Store.Backup(backup);
            Assert.True(session.Check().IsHealthy);
        }

        SecretStore.Restore(Path.Combine(Path.GetDirectoryName(path)!, "backup ü.db"), path);
        using var again = Connect(path);
        using var read = again.GetSecret("default", "NAME WITH SPACES ✓");
        Assert.Equal("välue", read.Value.GetString());
        Assert.Equal(Path.GetFullPath(path), again.Store.GetInfo().Path);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal("0600", UnixFiles.Mode(path));
            Assert.Equal("0700", UnixFiles.Mode(Path.GetDirectoryName(path)!));
        }
    }
}
