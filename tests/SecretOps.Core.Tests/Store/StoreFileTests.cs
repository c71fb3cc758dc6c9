using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Store paths that are not a usable store: each is refused with a specific error and the file is left
/// exactly as it was (SecretOps never "repairs" or initialises someone else's file). And a read-only store
/// can be read but not written.
/// </summary>
public class StoreFileTests
{
    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static T RefusedUnchanged<T>(string path, string errorId, params string[] messageContains)
        where T : SecretOpsException
    {
        var before = File.Exists(path) ? Hash(path) : null;
        var error = Assert.Throws<T>(() => SecretStore.Open(path));
        Assert.Equal(errorId, error.ErrorId);
        foreach (var part in messageContains)
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }

        SecretStore.ReleaseConnections();
        if (before is not null)
        {
            Assert.Equal(before, Hash(path));
        }

        return error;
    }

    [Fact]
    public void Directory_IsRefused()
    {
        using var directory = new TempDirectory();
        RefusedUnchanged<InvalidParameterException>(directory.Path, "SecretOps.InvalidParameter", "is a directory");
        var create = Assert.Throws<InvalidParameterException>(() => SecretStore.Create(directory.Path, new StoreCreateOptions { Passphrase = "x".AsMemory(), Kdf = TempStore.WeakKdf, AllowWeakKdf = true }));
        Assert.Contains("is a directory", create.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_IsNotFound_AndNotCreated()
    {
        using var directory = new TempDirectory();
        var path = directory.File("absent.db");
        var error = RefusedUnchanged<NotFoundException>(path, "SecretOps.NotFound", "There is no store");
        Assert.Equal(SecretOpsHint.CreateStore, error.Hint);
        Assert.DoesNotContain("store init", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public void NonSqliteFile_IsStoreCorrupt()
    {
        using var directory = new TempDirectory();
        var path = directory.File("notes.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("These are not the bytes of a database. ", 300)));
        RefusedUnchanged<StoreUnavailableException>(path, "SecretOps.StoreCorrupt", "is not a SQLite database");
    }

    [Fact]
    public void EmptyFile_IsStoreCorrupt()
    {
        using var directory = new TempDirectory();
        var path = directory.File("empty.db");
        File.WriteAllBytes(path, []);
        RefusedUnchanged<StoreUnavailableException>(path, "SecretOps.StoreCorrupt", "is empty");
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void TruncatedStore_IsStoreCorrupt()
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            for (var i = 0; i < 40; i++)
            {
                session.SetSecret("default", $"s{i}", SecretValue.FromBytes(new byte[3000]));
            }
        }

        RawDb.Checkpoint(store.Path);
        var bytes = File.ReadAllBytes(store.Path);
        Assert.True(bytes.Length > 64 * 1024, "the store should span many pages");
        File.WriteAllBytes(store.Path, bytes[..(bytes.Length / 2)]);
        RefusedUnchanged<StoreUnavailableException>(store.Path, "SecretOps.StoreCorrupt", "damaged");
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void SqliteDatabaseThatIsNotOurs_IsRefused_AndLeftAlone()
    {
        using var directory = new TempDirectory();
        var path = directory.File("other-app.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            RawDb.Execute(connection, "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO things (name) VALUES ('kept');");
        }

        RefusedUnchanged<StoreUnavailableException>(path, "SecretOps.StoreUnavailable", "is a SQLite database but not a SecretOps store");
        Assert.Equal(0L, RawDb.Scalar(path, "PRAGMA user_version"));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void EmptySqliteDatabase_IsRefused_NotInitialised()
    {
        using var directory = new TempDirectory();
        var path = directory.File("blank.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            RawDb.Execute(connection, "PRAGMA user_version = 0; VACUUM;");
        }

        Assert.True(new FileInfo(path).Length > 0, "VACUUM writes the header page");
        var error = RefusedUnchanged<StoreUnavailableException>(path, "SecretOps.StoreUnavailable", "is an empty database, not a SecretOps store");
        Assert.Equal(SecretOpsHint.CreateStore, error.Hint);
        Assert.DoesNotContain("store init", error.Message, StringComparison.Ordinal);
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void NewerFormat_IsRefused_NamingBothFormats()
    {
        using var store = new TempStore();
        RawDb.Execute(store.Path, "PRAGMA user_version = 3");
        RawDb.Checkpoint(store.Path);
        RefusedUnchanged<StoreUnavailableException>(store.Path, "SecretOps.StoreUnavailable", "store format 3", "format 2", "upgrade SecretOps");
        RawDb.Execute(store.Path, "PRAGMA user_version = 99");
        RawDb.Checkpoint(store.Path);
        RefusedUnchanged<StoreUnavailableException>(store.Path, "SecretOps.StoreUnavailable", "store format 99", "format 2");
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void StoreWithoutItsHeaderRow_IsStoreCorrupt()
    {
        using var store = new TempStore();
        RawDb.Execute(store.Path, "DELETE FROM store_info");
        RawDb.Checkpoint(store.Path);
        RefusedUnchanged<StoreUnavailableException>(store.Path, "SecretOps.StoreCorrupt", "no store header");
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void StoreWithAnotherApplicationId_IsRefused_AndLeftAlone()
    {
        using var store = new TempStore();
        RawDb.Execute(store.Path, "PRAGMA application_id = 12345");
        RawDb.Checkpoint(store.Path);
        RefusedUnchanged<StoreUnavailableException>(store.Path, "SecretOps.StoreUnavailable", "is a SQLite database but not a SecretOps store");
    }

    [Fact]
    public void SymlinkLoop_IsRefused_NotCreated()
    {
        UnixFiles.SkipUnlessUnix();
        using var directory = new TempDirectory();
        var (first, second) = (directory.File("loop-a.db"), directory.File("loop-b.db"));
        File.CreateSymbolicLink(first, second);
        File.CreateSymbolicLink(second, first);
        var error = Assert.Throws<StoreUnavailableException>(() => SecretStore.Open(first));
        Assert.Equal("SecretOps.StoreUnavailable", error.ErrorId);
        Assert.Contains("cannot be opened", error.Message, StringComparison.Ordinal);
        Assert.Equal(["loop-a.db", "loop-b.db"], Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void DirectoryThatIsNotWritable_IsRefusedCleanly_AndTheStoreIsUnchanged()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("v"));
        }

        RawDb.Checkpoint(store.Path);
        var before = Hash(store.Path);
        using (ReadOnlyFile.Make(store.Directory))
        {
            // WAL needs its -shm beside the store: without it nothing can be read, and SecretOps says so.
            var error = Assert.Throws<StoreUnavailableException>(() =>
            {
                using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
                using var session = SecretStore.Open(store.Path).Connect(SecretStore.SystemClientName, credential);
                session.SetSecret("default", "db", SecretValue.FromString("changed"));
            });
            Assert.Contains(store.Path, error.Message, StringComparison.Ordinal);
            Assert.Contains("cannot be opened", error.Message, StringComparison.Ordinal);
            Assert.Equal(["store.db"], Directory.GetFileSystemEntries(store.Directory).Select(Path.GetFileName));
        }

        SecretStore.ReleaseConnections();
        Assert.Equal(before, Hash(store.Path));
    }

    [Fact]
    public void DirectoryRemovedWhileConnected_WritesFailCleanly_NotIntoTheDeletedFile()
    {
        UnixFiles.SkipUnlessUnix();
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "vanishing", "store.db");
        SecretStore.Create(path, new StoreCreateOptions { Passphrase = TempStore.Passphrase.AsMemory(), Kdf = TempStore.WeakKdf, AllowWeakKdf = true });
        using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
        using var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential);
        session.SetSecret("default", "kept", SecretValue.FromString("v"));
        session.FlushAudit();

        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        var error = Assert.Throws<StoreUnavailableException>(() => session.SetSecret("default", "lost", SecretValue.FromString("w")));

        // With its pooled connection still open the session finds the file gone; if another test cleared the pools
        // first, the new connection cannot open it. Either way the write went nowhere.
        Assert.True(error.Message.Contains($"'{path}' was removed while in use; nothing was written", StringComparison.Ordinal)
                    || error.Message.Contains($"'{path}' cannot be opened", StringComparison.Ordinal), error.Message);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)), "nothing recreates the removed directory");
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void FullDisk_FailsWithAClearMessage_AndTheStoreIsIntactAfterwards()
    {
        UnixFiles.SkipUnlessUnix();
        using var directory = new TempDirectory();
        using var disk = TinyDisk.Mount(directory.File("disk"), sizeKiB: 1024);
        var path = Path.Combine(disk.Path, "store.db");
        SecretStore.Create(path, new StoreCreateOptions { Passphrase = TempStore.Passphrase.AsMemory(), Kdf = TempStore.WeakKdf, AllowWeakKdf = true });
        using (var credential = ClientCredential.FromPassphrase(TempStore.Passphrase))
        using (var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential))
        {
            session.SetSecret("default", "kept", SecretValue.FromString("v"));
        }

        RawDb.Checkpoint(path);
        var before = RawDb.Fingerprint(path);
        var filler = disk.Fill();

        var error = Assert.Throws<StoreUnavailableException>(() =>
        {
            using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
            using var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential);
            session.SetSecret("default", "big", SecretValue.FromBytes(new byte[256 * 1024]));
        });
        Assert.DoesNotContain("cannot rollback", error.Message, StringComparison.Ordinal);
        Assert.Contains("full", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);

        File.Delete(filler);
        SecretStore.ReleaseConnections();
        Assert.Equal(before, RawDb.Fingerprint(path));
        using (var credential = ClientCredential.FromPassphrase(TempStore.Passphrase))
        using (var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential))
        {
            Assert.True(session.Check().IsHealthy);
            Assert.Equal(["kept"], session.ListSecrets("default").Select(e => e.Name));
        }
    }

    /// <summary>A small tmpfs, mounted for one test (needs root; skipped otherwise) and unmounted after.</summary>
    private sealed class TinyDisk : IDisposable
    {
        private TinyDisk(string path) => Path = path;

        public string Path { get; }

        public static TinyDisk Mount(string path, int sizeKiB)
        {
            Directory.CreateDirectory(path);
            if (!ReadOnlyFile.Run("mount", "-t", "tmpfs", "-o", $"size={sizeKiB}k,mode=0700", "tmpfs", path))
            {
                Assert.Skip("Cannot mount a small tmpfs (needs root) to fill a disk.");
            }

            return new TinyDisk(path);
        }

        /// <summary>Writes zeros to a new file until the disk has no room left; returns the file.</summary>
        public string Fill()
        {
            var file = System.IO.Path.Combine(Path, "filler");
            using var stream = new FileStream(file, FileMode.CreateNew);
            var block = new byte[4096];
            try
            {
                while (true)
                {
                    stream.Write(block);
                    stream.Flush();
                }
            }
            catch (IOException)
            {
                // No space left on device: full, as wanted.
            }

            return file;
        }

        public void Dispose()
        {
            SecretStore.ReleaseConnections();
            ReadOnlyFile.Run("umount", "--lazy", Path);
        }
    }

    /// <summary>Overwrites one table's root page with garbage, leaving the header and the schema readable.</summary>
    private static void DamageTable(string path, string table)
    {
        RawDb.Checkpoint(path);
        var (root, pageSize) = ((long)RawDb.Scalar(path, "SELECT rootpage FROM sqlite_schema WHERE name = $t", ("$t", table))!, (long)RawDb.Scalar(path, "PRAGMA page_size")!);
        SecretStore.ReleaseConnections();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = (root - 1) * pageSize;
        file.Write(Enumerable.Repeat((byte)0xA5, (int)pageSize).ToArray());
    }

    // Found by fuzzing (tests/SecretOps.Fuzz, store harness; the inputs are in its regressions/store/): values
    // SQLite accepts but SecretOps cannot read escaped as IndexOutOfRangeException (a negative format indexing the
    // migrations), ArgumentOutOfRangeException (a time beyond DateTimeOffset), ArgumentException (a UUID that is
    // not 16 bytes) and InvalidOperationException (NULL where the schema says NOT NULL, reachable only by editing pages).
    [Trait("Backend", "SqliteOnly")]
    [Theory]
    [InlineData("PRAGMA user_version = -1")]
    [InlineData("UPDATE audit SET at = 9223372036854775807")]
    [InlineData("UPDATE store_info SET store_id = x'0102'")]
    [InlineData("UPDATE store_info SET created_at = -9223372036854775808")]
    public void ValueSqliteAccepts_ButSecretOpsCannotRead_IsStoreCorrupt(string sql)
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("v"));
        }

        SecretStore.ReleaseConnections();
        RawDb.Execute(store.Path, sql);
        RawDb.Checkpoint(store.Path);
        FailsOnlyAsStoreCorrupt(store.Path, sql);
    }

    [Trait("Backend", "SqliteOnly")]
    [Theory]
    [InlineData("clients")]
    [InlineData("secrets")]
    [InlineData("audit")]
    public void DamagedTablePage_FailsAsStoreCorrupt_WhereverItIsRead(string table)
    {
        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("v"));
        }

        DamageTable(store.Path, table);
        FailsOnlyAsStoreCorrupt(store.Path, table);
    }

    /// <summary>Opens the store and reads it every way (audit, info, a secret as System): something fails, and only as StoreCorrupt.</summary>
    private static void FailsOnlyAsStoreCorrupt(string path, string what)
    {
        var errors = new List<Exception?>();
        SecretStore? opened = null;
        errors.Add(Record.Exception(() => opened = SecretStore.Open(path)));
        if (opened is not null)
        {
            errors.Add(Record.Exception(() => opened.VerifyAudit()));
            errors.Add(Record.Exception(() => opened.GetInfo()));
            errors.Add(Record.Exception(() =>
            {
                using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
                using var session = opened.Connect(SecretStore.SystemClientName, credential);
                using var read = session.GetSecret("default", "db");
                session.ListSecrets("default");
                session.FlushAudit();
            }));
        }

        var failures = errors.Where(e => e is not null).ToList();
        Assert.NotEmpty(failures);
        Assert.All(failures, e => Assert.True(e is StoreUnavailableException { ErrorId: "SecretOps.StoreCorrupt" },
            $"{what}: {e!.GetType().Name}: {e.Message}"));
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void ReadOnlyStore_ReadsWork_WritesFailCleanly_AndNothingChanges()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var store = new TempStore();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("readable"));
        }

        RawDb.Checkpoint(store.Path);
        var before = Hash(store.Path);
        using var readOnly = ReadOnlyFile.Make(store.Path);
        var opened = SecretStore.Open(store.Path);
        Assert.True(opened.IsReadOnly);
        Assert.True(opened.GetInfo().IsReadOnly);

        using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
        var session2 = opened.Connect(SecretStore.SystemClientName, credential);
        using (var read = session2.GetSecret("default", "db"))
        {
            Assert.Equal("readable", read.Value.GetString());
        }

        Assert.Single(session2.ListSecrets("default"));
        var write = Assert.Throws<StoreUnavailableException>(() => session2.SetSecret("default", "db", SecretValue.FromString("changed")));
        Assert.Equal("SecretOps.StoreReadOnly", write.ErrorId);
        Assert.Contains("read-only", write.Message, StringComparison.Ordinal);
        Assert.Throws<StoreUnavailableException>(() => session2.SetSecret("default", "new", SecretValue.FromString("x")));
        Assert.Throws<StoreUnavailableException>(() => session2.RemoveSecret("default", "db"));
        Assert.Throws<StoreUnavailableException>(() => session2.CreateNamespace("prod"));

        var flush = Assert.Throws<StoreUnavailableException>(session2.FlushAudit);
        Assert.Contains("could not be recorded in the audit log", flush.Message, StringComparison.Ordinal);
        using (session2.GetSecret("default", "db"))
        {
        }

        var dispose = Record.Exception(session2.Dispose);
        Assert.Null(dispose);
        Assert.False(session2.IsOpen);

        // A wrong passphrase on a read-only store still fails cleanly (its audit entry cannot be written).
        using var wrong = ClientCredential.FromPassphrase("wrong");
        Assert.Throws<AuthenticationFailedException>(() => opened.Connect(SecretStore.SystemClientName, wrong));

        SecretStore.ReleaseConnections();
        Assert.Equal(before, Hash(store.Path));
    }

    /// <summary>
    /// Makes a file (0400) or a directory (0500) read-only for this process, and when the mode does not stop
    /// us (root ignores modes) sets the immutable attribute too. Undone on dispose so it can be removed.
    /// </summary>
    internal sealed class ReadOnlyFile : IDisposable
    {
        private readonly string path;
        private readonly bool immutable;

        private ReadOnlyFile(string path, bool immutable)
        {
            this.path = path;
            this.immutable = immutable;
        }

        private bool IsDirectory => Directory.Exists(path);

        [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
        public static ReadOnlyFile Make(string path)
        {
            var made = new ReadOnlyFile(path, immutable: false);
            File.SetUnixFileMode(path, made.IsDirectory ? UnixFileMode.UserRead | UnixFileMode.UserExecute : UnixFileMode.UserRead);
            if (!made.CanWrite())
            {
                return made;
            }

            made = new ReadOnlyFile(path, immutable: true);
            if (Run("chattr", "+i", path) && !made.CanWrite())
            {
                return made;
            }

            made.Dispose();
            Assert.Skip("Running with privileges that ignore file modes, and 'chattr +i' is unavailable: cannot make a read-only file.");
            return null!;
        }

        public void Dispose()
        {
            SecretStore.ReleaseConnections();
            if (immutable)
            {
                Run("chattr", "-i", path);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | (IsDirectory ? UnixFileMode.UserExecute : UnixFileMode.None));
            }
        }

        private bool CanWrite()
        {
            try
            {
                if (IsDirectory)
                {
                    var probe = Path.Combine(path, ".write-probe");
                    File.WriteAllBytes(probe, []);
                    File.Delete(probe);
                    return true;
                }

                using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
                return true;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                return false;
            }
        }

        public static bool Run(string program, params string[] arguments)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                process.WaitForExit();
                return process.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }
    }
}
