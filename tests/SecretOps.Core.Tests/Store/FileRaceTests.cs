using SecretOps.Core.Storage;
using SecretOps.Core.Tests.Support;
using SecretOps.Tests.Shared;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Issue 12 finding 8: a file SecretOps creates and then opens again by name can be swapped, in between, for a
/// symbolic link by someone who can write its directory, redirecting the write to a file they read. Each test
/// races a swapper against the real operation many times and shows nothing ever reaches the link's target.
/// </summary>
public sealed class FileRaceTests
{
    [Fact]
    public void Backup_SwappedForASymlinkAfterCreation_NeverWritesThroughIt()
    {
        using var store = new TempStore();
        var opened = store.Open();
        RaceAgainst("backup.db", destination => opened.Backup(destination));
    }

    [Fact]
    public void OwnerOnlyText_SwappedForASymlinkAfterCreation_NeverWritesThroughIt()
    {
        RaceAgainst("policy.yaml", destination => StoreFiles.WriteOwnerOnlyText(destination, "clients: []\n"), attempts: 400);
    }

    [Fact]
    public void NewStore_SwappedForASymlinkAfterCreation_NeverWritesThroughIt()
    {
        RaceAgainst("store.db", destination => SecretStore.Create(destination, new StoreCreateOptions
        {
            Passphrase = TempStore.Passphrase.AsMemory(), Kdf = TempStore.WeakKdf, AllowWeakKdf = true,
        }), attempts: 20);
    }

    [Fact]
    public void DestinationThatIsADanglingSymlink_IsRefused_AndNotFollowed()
    {
        UnixFiles.SkipUnlessUnix();
        using var store = new TempStore();
        using var attacker = new TempDirectory("secretops-attacker-");
        var target = attacker.File("collected");
        var backup = Path.Combine(store.Directory, "backup.db");
        var policy = Path.Combine(store.Directory, "policy.yaml");
        File.CreateSymbolicLink(backup, target);
        File.CreateSymbolicLink(policy, target);

        Assert.Equal("SecretOps.Conflict", Assert.Throws<ConflictException>(() => store.Open().Backup(backup)).ErrorId);
        Assert.Equal("SecretOps.Conflict", Assert.Throws<ConflictException>(() => StoreFiles.WriteOwnerOnlyText(policy, "x")).ErrorId);
        Assert.False(File.Exists(target));
    }

    /// <summary>Races a swapper against <paramref name="operation"/> writing a file in a shared directory; asserts it won at least once and nothing leaked.</summary>
    private static void RaceAgainst(string fileName, Action<string> operation, int attempts = 60)
    {
        UnixFiles.SkipUnlessUnix();
        using var shared = new TempDirectory("secretops-writable-");
        using var attacker = new TempDirectory("secretops-attacker-");
        var destination = shared.File(fileName);
        using var swapper = new SymlinkSwapper(destination, attacker.File("collected-" + fileName));

        var leaks = Race(swapper, destination, () => operation(destination), attempts);

        Assert.True(swapper.Swaps > 0, "the swapper never won a race; the test proved nothing");
        Assert.True(leaks == 0, $"{leaks} of {swapper.Swaps} swapped {fileName} files were written through the link");
    }

    /// <summary>Runs <paramref name="operation"/> with the swapper armed, again and again; counts the runs whose data reached the link's target.</summary>
    private static int Race(SymlinkSwapper swapper, string destination, Action operation, int attempts = 60)
    {
        var leaks = 0;
        for (var i = 0; i < attempts && swapper.Swaps < 10; i++)
        {
            SecretStore.ReleaseConnections();
            foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
            {
                File.Delete(destination + suffix);
                File.Delete(swapper.Target + suffix);
            }

            swapper.Arm();
            try
            {
                operation();
            }
            catch (Exception e) when (e is SecretOpsException or IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                // A refusal is fine; only what reaches the target counts.
            }

            swapper.Disarm();
            SecretStore.ReleaseConnections();
            if (FileAttacks.Read(swapper.Target).Length > 0)
            {
                leaks++;
            }
        }

        return leaks;
    }
}
