using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// The journal mode stays with the store file. WAL is unsafe on a network share, so a store one client opens as
/// shared (journal_mode=DELETE) must not be switched back to WAL by another client that was not told so.
/// </summary>
public class JournalModeTests
{
    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void SharedStore_StaysShared_UntilAnOpenerSaysItIsNot()
    {
        using var store = new TempStore(shared: true);

        var unconfigured = SecretStore.Open(store.Path);
        Assert.Equal(("delete", true), (unconfigured.GetInfo().JournalMode, unconfigured.GetInfo().IsShared));
        Assert.Equal("delete", RawDb.Scalar(store.Path, "PRAGMA journal_mode"));

        var local = SecretStore.Open(store.Path, new StoreOpenOptions { Shared = false });
        Assert.Equal(("wal", false), (local.GetInfo().JournalMode, local.GetInfo().IsShared));
        Assert.Equal("wal", SecretStore.Open(store.Path).GetInfo().JournalMode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Restore_KeepsTheModeOfTheStoreItReplaces(bool shared)
    {
        using var store = new TempStore(shared: shared);
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "kept", SecretValue.FromString("before the backup"));
        }

        var backup = System.IO.Path.Combine(store.Directory, "backup.db");
        store.Open().Backup(backup);
        SecretStore.Restore(backup, store.Path);

        Assert.Equal(shared ? "delete" : "wal", SecretStore.Open(store.Path).GetInfo().JournalMode);
        using var restored = store.ConnectSystem();
        using var read = restored.GetSecret("default", "kept");
        Assert.Equal("before the backup", read.Value.GetString());
    }
}
