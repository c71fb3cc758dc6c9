using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using SecretOps.Tests.Shared;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Issue 12 finding 6: someone who can write the store's directory plants its <c>-wal</c>, <c>-shm</c> or
/// <c>-journal</c> before SecretOps opens it. SQLite adopts an existing side file as it is, so the pages of a 0600
/// store would go into a file the planter can read. Each test plants one, holds it open as the attacker would, and
/// shows the store refused with nothing written into the planted file.
/// </summary>
public sealed class SideFileTests
{
    private const string Canary = "canary-side-file-3c9d";

    public static TheoryData<string, bool> SideFiles => new()
    {
        { "-wal", false },
        { "-shm", false },
        { "-journal", true },
    };

    [Theory]
    [MemberData(nameof(SideFiles))]
    public void WorldReadableSideFile_IsRefused_AndNothingIsWrittenIntoIt(string suffix, bool shared)
    {
        UnixFiles.SkipUnlessUnix();
        using var store = Prepared(shared);
        var planted = store.Path + suffix;
        FileAttacks.Plant(planted, FileAttacks.WorldReadWrite, []);
        // The attacker keeps the file open: whatever SQLite writes (and later deletes) can be read through it, even
        // after SQLite narrows the mode of an empty side file it adopts (permissions are checked at open).
        using var attacker = new FileStream(planted, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        var outcome = Record.Exception(() => WriteCanary(store));

        Assert.Empty(ReadAll(attacker));
        var refused = Assert.IsType<StoreUnavailableException>(outcome);
        Assert.Equal("SecretOps.StoreCorrupt", refused.ErrorId);
        Assert.Contains($"'{planted}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("mode 0666", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SideFileOwnedBySomeoneElse_IsRefused_EvenWithAnOwnerOnlyMode()
    {
        UnixFiles.SkipUnlessUnix();
        if (!FileAttacks.IsRoot)
        {
            Assert.Skip("Giving a file to another user needs root.");
        }

        using var store = Prepared(shared: false);
        var planted = store.Path + "-wal";
        FileAttacks.Plant(planted, UnixFileMode.UserRead | UnixFileMode.UserWrite, [0x42]);
        FileAttacks.GiveTo(planted, 65534);

        var refused = Assert.Throws<StoreUnavailableException>(() => WriteCanary(store));
        Assert.Equal("SecretOps.StoreCorrupt", refused.ErrorId);
        Assert.Contains("owned by uid 65534", refused.Message, StringComparison.Ordinal);
        Assert.Equal([0x42], File.ReadAllBytes(planted));
    }

    [Fact]
    public void SideFileThatIsASymbolicLink_IsRefused_AndItsTargetIsNeverWritten()
    {
        UnixFiles.SkipUnlessUnix();
        using var store = Prepared(shared: false);
        using var elsewhere = new TempDirectory("secretops-attacker-");
        var target = elsewhere.File("collected-wal");
        File.CreateSymbolicLink(store.Path + "-wal", target);

        var refused = Assert.Throws<StoreUnavailableException>(() => WriteCanary(store));
        Assert.Contains("symbolic link", refused.Message, StringComparison.Ordinal);
        Assert.Empty(FileAttacks.Read(target));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void SideFilesSQLiteLeftBehind_AreAccepted()
    {
        // A sound store whose -wal and -shm SQLite created (0600, ours) opens as ever: another connection holds them.
        using var store = Prepared(shared: false);
        using var held = RawDb.Open(store.Path);
        RawDb.Scalar(held, "SELECT count(*) FROM secrets");
        Assert.True(File.Exists(store.Path + "-wal") && File.Exists(store.Path + "-shm"));
        WriteCanary(store);
    }

    /// <summary>A store with one secret, closed, with no side file left.</summary>
    private static TempStore Prepared(bool shared)
    {
        var store = new TempStore(shared: shared);
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "existing", SecretValue.FromString("existing value"));
        }

        SecretStore.ReleaseConnections();
        Assert.DoesNotContain(new[] { "-wal", "-shm", "-journal" }, s => File.Exists(store.Path + s));
        return store;
    }

    private static void WriteCanary(TempStore store)
    {
        using var session = store.ConnectSystem();
        session.SetSecret("default", "later", SecretValue.FromString(Canary));
        SecretStore.ReleaseConnections();
    }

    private static byte[] ReadAll(FileStream stream)
    {
        stream.Position = 0;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
