namespace SecretOps.Cli.Tests;

/// <summary>
/// Every file the CLI writes is 0600 and every directory it creates 0700, even when the user's umask would
/// allow more: the CLI runs under umask 000 here, so a mode left to the umask would show as 0666 or 0777.
/// </summary>
public class FileModeTests
{
    private static readonly string[] PermissiveUmask = ["sh", "-c", "umask 000 && exec \"$0\" \"$@\""];

    [Fact]
    public void StoreSideFilesBackupsRestoresExportsAndTheirDirectories_AreOwnerOnly_UnderUmask000()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes; Windows uses owner-only ACLs.");
            return;
        }

        using var store = CliStore.Empty();
        void Ok(params string[] arguments)
        {
            var result = store.Run(arguments, (byte[]?)null, prefix: PermissiveUmask);
            Assert.True(result.ExitCode == 0, $"secretops {string.Join(' ', arguments)}: {result}");
        }

        // The umask really is 000 for what runs under the prefix.
        var control = Path.Combine(store.Directory, "control");
        using (var touch = System.Diagnostics.Process.Start(PermissiveUmask[0], [.. PermissiveUmask[1..], "touch", control])!)
        {
            touch.WaitForExit();
        }

        Assert.Equal("0666", Mode(control));

        var storePath = Path.Combine(store.Directory, "new", "deeper", "store.db");
        Ok(["--store", storePath, "store", "init", .. CliStore.WeakKdf]);
        Ok("--store", storePath, "secret", "set", "k", "--value", "v");
        Assert.Equal(["0700", "0700", "0600"], new[] { Path.Combine(store.Directory, "new"), Path.GetDirectoryName(storePath)!, storePath }.Select(Mode));

        // SQLite's -wal and -shm (a held connection keeps them; the CLI's own are gone when it exits).
        using (var held = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={storePath};Pooling=False"))
        {
            held.Open();
            Core.Tests.Store.RawDb.Scalar(held, "SELECT count(*) FROM secrets");
            Ok("--store", storePath, "secret", "set", "k", "--value", "w");
            Assert.Equal(["0600", "0600"], new[] { storePath + "-wal", storePath + "-shm" }.Select(Mode));
        }

        var backup = Path.Combine(store.Directory, "backups", "daily", "store.db");
        Ok("--store", storePath, "store", "backup", backup);
        Assert.Equal(["0700", "0700", "0600"], new[] { Path.Combine(store.Directory, "backups"), Path.GetDirectoryName(backup)!, backup }.Select(Mode));

        Ok("--store", storePath, "store", "restore", backup, "--yes");
        Assert.Equal("0600", Mode(storePath));

        var export = Path.Combine(store.Directory, "exports", "policy.yaml");
        Ok("--store", storePath, "policy", "export", export);
        Assert.Equal(["0700", "0600"], new[] { Path.GetDirectoryName(export)!, export }.Select(Mode));

        // The default store, under XDG_DATA_HOME, which does not exist yet.
        var init = Cli.Run(["store", "init", .. CliStore.WeakKdf], (byte[]?)null, store.Environment, PermissiveUmask);
        Assert.True(init.ExitCode == 0, init.ToString());
        var data = store.Environment["XDG_DATA_HOME"]!;
        Assert.Equal(["0700", "0700", "0600"], new[] { data, Path.Combine(data, "secretops"), Path.Combine(data, "secretops", "store.db") }.Select(Mode));
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');
}
