using System.Security.Cryptography;
using SecretOps.Core.Control;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Control;

/// <summary>
/// The local record of the newest verified control-log head (issue 14, property 6): only the client's key writes
/// it, it is bound to its store and client, it never moves backwards, and it is replaced whole.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class LocalHeadsTests : IDisposable
{
    private static readonly string[] Variables = [LocalHeads.StateDirectoryVariable, "XDG_STATE_HOME"];

    private readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly TempDirectory directory = new("secretops-heads-");
    private readonly byte[] store = RandomNumberGenerator.GetBytes(32);
    private readonly Guid client = Guid.NewGuid();
    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);

    public LocalHeadsTests()
    {
        // Not yet there: Save must create it.
        Environment.SetEnvironmentVariable(LocalHeads.StateDirectoryVariable, Heads);
        Environment.SetEnvironmentVariable("XDG_STATE_HOME", null);
    }

    private string Heads => Path.Combine(directory.Path, "state", "heads");

    private string Record => LocalHeads.PathFor(store, client);

    [Fact]
    public void SavedHead_LoadsBack()
    {
        var head = Head(7);
        var saved = LocalHeads.Save(store, client, head, key);
        var loaded = LocalHeads.Load(store, client, key);

        Assert.Same(head, saved);
        Assert.NotNull(loaded);
        Assert.Equal(7, loaded.Sequence);
        Assert.Equal(head.Hash, loaded.Hash);
        Assert.Equal(129, new FileInfo(Record).Length);
    }

    [Fact]
    public void NoRecord_LoadsAsNull()
    {
        Assert.Null(LocalHeads.Load(store, client, key));
        Assert.False(Directory.Exists(Heads), "a load creates nothing");
    }

    [Fact]
    public void RecordName_IsInTheStateDirectory_AndRevealsNeitherStoreNorClient()
    {
        Assert.Equal(Heads, Path.GetDirectoryName(Record));
        var name = Path.GetFileName(Record);
        Assert.Matches("^[0-9a-f]{32}$", name);

        byte[] input = [.. "secretops/local-head-file/v1"u8, .. store, .. client.ToByteArray(bigEndian: true)];
        Assert.Equal(Convert.ToHexString(SHA256.HashData(input)[..16]).ToLowerInvariant(), name);

        Assert.NotEqual(Record, LocalHeads.PathFor(RandomNumberGenerator.GetBytes(32), client));
        Assert.NotEqual(Record, LocalHeads.PathFor(store, Guid.NewGuid()));
    }

    [Fact]
    public void WithoutTheVariable_RecordsAreUnderXdgStateHome()
    {
        UnixFiles.SkipUnlessUnix();
        Environment.SetEnvironmentVariable(LocalHeads.StateDirectoryVariable, null);
        Environment.SetEnvironmentVariable("XDG_STATE_HOME", directory.Path);
        Assert.Equal(Path.Combine(directory.Path, "secretops", "heads"), Path.GetDirectoryName(Record));

        Environment.SetEnvironmentVariable("XDG_STATE_HOME", null);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".local", "state", "secretops", "heads"), Path.GetDirectoryName(Record));
    }

    [Fact]
    public void AnyFlippedByte_IsRefusedAsTampered_NamingTheFile()
    {
        LocalHeads.Save(store, client, Head(3), key);
        var original = File.ReadAllBytes(Record);
        for (var i = 0; i < original.Length; i++)
        {
            var changed = (byte[])original.Clone();
            changed[i] ^= 0x01;
            File.WriteAllBytes(Record, changed);

            var error = Assert.Throws<TamperedException>(() => LocalHeads.Load(store, client, key));
            Assert.Contains(Record, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TruncatedOrExtendedRecord_IsRefusedAsTampered()
    {
        LocalHeads.Save(store, client, Head(3), key);
        var original = File.ReadAllBytes(Record);

        File.WriteAllBytes(Record, original[..^1]);
        Assert.Throws<TamperedException>(() => LocalHeads.Load(store, client, key));
        File.WriteAllBytes(Record, [.. original, 0]);
        Assert.Throws<TamperedException>(() => LocalHeads.Load(store, client, key));
        File.WriteAllBytes(Record, []);
        Assert.Throws<TamperedException>(() => LocalHeads.Load(store, client, key));
    }

    [Fact]
    public void AnotherKey_IsRefusedAsTampered_AndSaveDoesNotOverwriteTheRecord()
    {
        LocalHeads.Save(store, client, Head(3), key);
        var other = RandomNumberGenerator.GetBytes(32);

        Assert.Throws<TamperedException>(() => LocalHeads.Load(store, client, other));
        Assert.Throws<TamperedException>(() => LocalHeads.Save(store, client, Head(9), other));
        Assert.Equal(3, LocalHeads.Load(store, client, key)!.Sequence);
    }

    [Fact]
    public void RecordCopiedToAnotherStoresPath_IsRefused()
    {
        LocalHeads.Save(store, client, Head(3), key);
        var otherStore = RandomNumberGenerator.GetBytes(32);
        File.Copy(Record, LocalHeads.PathFor(otherStore, client));

        // Same client and key: only the binding to the store tells them apart.
        Assert.Throws<TamperedException>(() => LocalHeads.Load(otherStore, client, key));
    }

    [Fact]
    public void RecordCopiedToAnotherClientsPath_IsRefused()
    {
        LocalHeads.Save(store, client, Head(3), key);
        var otherClient = Guid.NewGuid();
        File.Copy(Record, LocalHeads.PathFor(store, otherClient));

        // Same key (one machine's clients could share a derivation): only the binding to the client tells them apart.
        Assert.Throws<TamperedException>(() => LocalHeads.Load(store, otherClient, key));
    }

    [Fact]
    public void Save_NeverMovesBackwards()
    {
        var newer = Head(10);
        LocalHeads.Save(store, client, newer, key);

        var kept = LocalHeads.Save(store, client, Head(4), key);
        Assert.Equal(Pair(newer), Pair(kept));
        Assert.Equal(Pair(newer), Pair(LocalHeads.Load(store, client, key)!));

        var further = Head(11);
        Assert.Same(further, LocalHeads.Save(store, client, further, key));
        Assert.Equal(Pair(further), Pair(LocalHeads.Load(store, client, key)!));
    }

    [Fact]
    public void SameSequence_OtherHash_IsAFork_AndTheRecordIsKept()
    {
        var verified = Head(5);
        LocalHeads.Save(store, client, verified, key);

        var error = Assert.Throws<TamperedException>(() => LocalHeads.Save(store, client, Head(5), key));
        Assert.Contains("forked", error.Message, StringComparison.Ordinal);
        Assert.Equal(Pair(verified), Pair(LocalHeads.Load(store, client, key)!));

        var again = LocalHeads.Save(store, client, new VerifiedHead(5, (byte[])verified.Hash.Clone()), key);
        Assert.Equal(Pair(verified), Pair(again));
    }

    [Fact]
    public void MalformedHeadsOrKeys_AreRefusedBeforeAnythingIsWritten()
    {
        Assert.Throws<ArgumentException>(() => LocalHeads.Save(store, client, new VerifiedHead(1, new byte[31]), key));
        Assert.ThrowsAny<ArgumentException>(() => LocalHeads.Save(store, client, new VerifiedHead(0, new byte[32]), key));
        Assert.Throws<ArgumentException>(() => LocalHeads.Save(store, client, Head(1), new byte[16]));
        Assert.Throws<ArgumentException>(() => LocalHeads.Load(store, client, new byte[16]));
        Assert.Throws<ArgumentException>(() => LocalHeads.PathFor(new byte[31], client));
        Assert.False(Directory.Exists(Heads));
    }

    [Fact]
    public void RecordIs0600_InA0700Directory_AfterEveryReplacement()
    {
        UnixFiles.SkipUnlessUnix();
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        LocalHeads.Save(store, client, Head(1), key);
        Assert.Equal("0700", UnixFiles.Mode(Heads));
        Assert.Equal("0700", UnixFiles.Mode(Path.GetDirectoryName(Heads)!));
        Assert.Equal("0600", UnixFiles.Mode(Record));

        LocalHeads.Save(store, client, Head(2), key);
        Assert.Equal("0600", UnixFiles.Mode(Record));
        Assert.Equal("0600", UnixFiles.Mode(Record + ".lock"));
        Assert.False(File.Exists(Record + ".tmp"), "the temporary file was renamed into place");
    }

    [Fact]
    public void LeftoverTemporaryFile_FromACrashedWriter_DoesNotBlockSave()
    {
        LocalHeads.Save(store, client, Head(1), key);
        File.WriteAllBytes(Record + ".tmp", [1, 2, 3]);

        LocalHeads.Save(store, client, Head(2), key);
        Assert.Equal(2, LocalHeads.Load(store, client, key)!.Sequence);
        Assert.False(File.Exists(Record + ".tmp"));
    }

    [Fact]
    public void Forget_RemovesTheRecord_AndALowerHeadCanThenBeSaved()
    {
        LocalHeads.Save(store, client, Head(8), key);
        LocalHeads.Forget(store, client);

        Assert.False(File.Exists(Record));
        Assert.Null(LocalHeads.Load(store, client, key));
        LocalHeads.Forget(store, client);

        LocalHeads.Save(store, client, Head(2), key);
        Assert.Equal(2, LocalHeads.Load(store, client, key)!.Sequence);
    }

    [Fact]
    public void Forget_ForgetsOnlyItsOwnRecord()
    {
        var otherClient = Guid.NewGuid();
        LocalHeads.Save(store, client, Head(8), key);
        LocalHeads.Save(store, otherClient, Head(6), key);

        LocalHeads.Forget(store, client);
        Assert.Null(LocalHeads.Load(store, client, key));
        Assert.Equal(6, LocalHeads.Load(store, otherClient, key)!.Sequence);
    }

    [Fact]
    public void ConcurrentSaves_LeaveAValidRecordOfTheHighestSequence()
    {
        const int Threads = 8;
        const int SavesEach = 40;
        var hashes = Enumerable.Range(0, Threads * SavesEach + 1).Select(_ => RandomNumberGenerator.GetBytes(32)).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(Threads);

        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            // Each thread saves its own sequences in a shuffled order, so high and low heads interleave.
            var sequences = Enumerable.Range(0, SavesEach).Select(i => (long)(1 + t + (i * Threads))).ToArray();
            new Random(t).Shuffle(sequences);
            start.SignalAndWait();
            try
            {
                foreach (var sequence in sequences)
                {
                    var stored = LocalHeads.Save(store, client, new VerifiedHead(sequence, hashes[sequence]), key);
                    if (stored.Sequence < sequence || LocalHeads.Load(store, client, key)!.Sequence < sequence)
                    {
                        throw new InvalidOperationException($"after saving {sequence} the record went below it");
                    }
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Empty(failures);
        var final = LocalHeads.Load(store, client, key)!;
        Assert.Equal(Pair(new VerifiedHead(Threads * SavesEach, hashes[Threads * SavesEach])), Pair(final));
    }

    public void Dispose()
    {
        foreach (var (name, value) in saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        directory.Dispose();
    }

    private static VerifiedHead Head(long sequence) => new(sequence, RandomNumberGenerator.GetBytes(32));

    // Hashes as hex: a tuple compares arrays by reference.
    private static (long, string) Pair(VerifiedHead head) => (head.Sequence, Convert.ToHexString(head.Hash));
}
