using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Maintenance;

public class BackupRestoreTests
{
    [Fact]
    public void Backup_ThenRestore_BringsBackTheValues_AndTheAuditChainStaysValid()
    {
        using var store = new TempStore();
        var backup = Path.Combine(store.Directory, "backup.db");
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("before"));
            session.Store.Backup(backup);
            session.SetSecret("default", "db", SecretValue.FromString("after"));
        }

        SecretStore.Restore(backup, store.Path);
        using var restored = store.ConnectSystem();
        using var read = restored.GetSecret("default", "db");
        Assert.Equal("before", read.Value.GetString());
        Assert.Equal(1, read.Entry.Version);
        Assert.True(restored.Check().IsHealthy);
    }

    [Fact]
    public void Backup_RefusesToOverwrite()
    {
        using var store = new TempStore();
        var existing = Path.Combine(store.Directory, "exists.db");
        File.WriteAllText(existing, "keep me");
        Assert.Throws<ConflictException>(() => SecretStore.Open(store.Path).Backup(existing));
        Assert.Equal("keep me", File.ReadAllText(existing));
    }

    [Fact]
    public void Restore_FromACorruptBackup_ReplacesNothing()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("kept"));
        }

        var corrupt = Path.Combine(store.Directory, "corrupt.db");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(store.Path).AsSpan(0, 4096).ToArray());
        Assert.ThrowsAny<SecretOpsException>(() => SecretStore.Restore(corrupt, store.Path));
        var notAStore = Path.Combine(store.Directory, "garbage.db");
        File.WriteAllText(notAStore, new string('x', 10000));
        Assert.ThrowsAny<SecretOpsException>(() => SecretStore.Restore(notAStore, store.Path));

        using var after = store.ConnectSystem();
        using var read = after.GetSecret("default", "db");
        Assert.Equal("kept", read.Value.GetString());
        Assert.Empty(Directory.GetFiles(store.Directory, "*.restoring-*"));
    }
}
