using SecretOps.Core.Remote;
using System.Security.Cryptography;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>
/// What the store log must do on every storage, run by a derived class per storage on a database of the test's own:
/// revisions from 1 with no gaps, read back in order and byte for byte by another instance, a taken revision refused
/// with false and left as it was, a revision skipping ahead refused, reads bounded by count and bytes, the latest
/// snapshot, exactly one winner when writers race for a revision, a 20 MiB snapshot, and a storage failure reported as
/// <see cref="StorageUnavailableException"/>.
/// </summary>
public abstract class StoreLogContract(TestStorage storage) : IDisposable
{
    private static readonly DateTimeOffset Written = new(2026, 12, 3, 18, 30, 15, 123, TimeSpan.Zero);

    [Fact]
    public void EmptyLog_HasHeadZero_NoEntries_AndNoSnapshot()
    {
        var log = Open();
        Assert.Equal(0, log.Head());
        Assert.Empty(log.Read(0, 100, long.MaxValue));
        Assert.Equal(0, log.LatestSnapshot());
    }

    [Fact]
    public void AppendedEntries_AreReadBackInOrder_ByteForByte_ByAnotherInstance()
    {
        var log = Open();
        var written = Enumerable.Range(1, 6).Select(revision => Entry(revision, revision == 1 ? StoreLogEntryKind.Snapshot : StoreLogEntryKind.Batch, 100 * revision)).ToList();
        written.Add(Entry(7, StoreLogEntryKind.Batch, 0));
        foreach (var entry in written)
        {
            Assert.True(log.TryAppend(entry));
            Assert.Equal(entry.Revision, log.Head());
        }

        var other = Open();
        Assert.Equal(7, other.Head());
        AssertEntries(written, other.Read(0, 100, long.MaxValue));
        AssertEntries(written.Skip(3), other.Read(3, 100, long.MaxValue));
        AssertEntries(written.Skip(6), other.Read(6, 100, long.MaxValue));
        Assert.Empty(other.Read(7, 100, long.MaxValue));
        Assert.Empty(other.Read(1000, 100, long.MaxValue));
    }

    [Fact]
    public void AppendingATakenRevision_ReturnsFalse_AndLeavesTheEntryAsItWas()
    {
        var log = Open();
        var first = Entry(1, StoreLogEntryKind.Snapshot, 64);
        var second = Entry(2, StoreLogEntryKind.Batch, 32);
        Assert.True(log.TryAppend(first));
        Assert.True(log.TryAppend(second));

        Assert.False(log.TryAppend(Entry(1, StoreLogEntryKind.Batch, 10)));
        Assert.False(Open().TryAppend(Entry(2, StoreLogEntryKind.Snapshot, 10)));
        Assert.Equal(2, log.Head());
        Assert.Equal(1, log.LatestSnapshot());
        AssertEntries([first, second], log.Read(0, 100, long.MaxValue));
    }

    [Fact]
    public void RevisionSkippingAheadOrBelowOne_OrAnUnknownKind_IsRefused()
    {
        var log = Open();
        Assert.Throws<ArgumentException>(() => log.TryAppend(Entry(2, StoreLogEntryKind.Snapshot, 8)));
        Assert.True(log.TryAppend(Entry(1, StoreLogEntryKind.Snapshot, 8)));
        Assert.Throws<ArgumentException>(() => log.TryAppend(Entry(3, StoreLogEntryKind.Batch, 8)));
        Assert.Throws<ArgumentException>(() => log.TryAppend(Entry(0, StoreLogEntryKind.Batch, 8)));
        Assert.Throws<ArgumentException>(() => log.TryAppend(Entry(-1, StoreLogEntryKind.Batch, 8)));
        Assert.Throws<ArgumentException>(() => log.TryAppend(Entry(2, (StoreLogEntryKind)3, 8)));
        Assert.Throws<ArgumentException>(() => log.TryAppend(Entry(2, 0, 8)));
        Assert.Throws<ArgumentNullException>(() => log.TryAppend(new StoreLogEntry(2, StoreLogEntryKind.Batch, Guid.NewGuid(), Written, null!)));

        Assert.Equal(1, log.Head());
        Assert.Single(log.Read(0, 100, long.MaxValue));
        Assert.True(log.TryAppend(Entry(2, StoreLogEntryKind.Batch, 8)));
    }

    [Fact]
    public void Read_ReturnsAtMostMaxCountEntries()
    {
        var log = Open();
        var written = AppendAll(log, 10, 20, 30, 40, 50);
        AssertEntries(written.Take(2), log.Read(0, 2, long.MaxValue));
        AssertEntries(written.Skip(1).Take(1), log.Read(1, 1, long.MaxValue));
        AssertEntries(written.Skip(3), log.Read(3, 5, long.MaxValue));
    }

    [Fact]
    public void Read_StopsBeforeTheContentPassesMaxBytes_ButReturnsAnOversizeFirstEntryAlone()
    {
        var log = Open();
        var written = AppendAll(log, 10, 20, 30, 40, 1000, 5);

        // Exactly at the budget is within it; one byte under leaves the entry that would pass it out.
        AssertEntries(written.Take(2), log.Read(0, 100, 30));
        AssertEntries(written.Take(1), log.Read(0, 100, 29));
        AssertEntries(written.Skip(1).Take(2), log.Read(1, 100, 69));

        // An entry larger than the budget on its own still comes back, alone.
        AssertEntries(written.Take(1), log.Read(0, 100, 0));
        AssertEntries(written.Skip(4).Take(1), log.Read(4, 100, 999));
        AssertEntries(written.Skip(4), log.Read(4, 100, 1005));

        // Count and bytes together: whichever stops first.
        AssertEntries(written.Take(3), log.Read(0, 3, 1000));
        AssertEntries(written.Take(4), log.Read(0, 10, 1000));
    }

    [Fact]
    public void Read_WithNegativeBoundsOrNoCount_IsACallerBug()
    {
        var log = Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(-1, 10, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(0, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Read(0, 10, -1));
    }

    [Fact]
    public void LatestSnapshot_IsTheNewestSnapshotEntrysRevision()
    {
        var log = Open();
        Assert.True(log.TryAppend(Entry(1, StoreLogEntryKind.Batch, 4)));
        Assert.Equal(0, log.LatestSnapshot());
        Assert.True(log.TryAppend(Entry(2, StoreLogEntryKind.Snapshot, 4)));
        Assert.True(log.TryAppend(Entry(3, StoreLogEntryKind.Batch, 4)));
        Assert.Equal(2, log.LatestSnapshot());
        Assert.True(log.TryAppend(Entry(4, StoreLogEntryKind.Snapshot, 4)));
        Assert.True(log.TryAppend(Entry(5, StoreLogEntryKind.Batch, 4)));
        Assert.Equal(4, Open().LatestSnapshot());
    }

    [Fact]
    public void OneRevisionFromManyThreadsOnTwoInstances_IsAppendedExactlyOnce()
    {
        const int threads = 16;
        var logs = new[] { Open(), Open() };
        for (var revision = 1; revision <= 5; revision++)
        {
            var candidates = Enumerable.Range(0, threads).Select(_ => Entry(revision, StoreLogEntryKind.Batch, 256)).ToArray();
            var results = Race(threads, i => logs[i % logs.Length].TryAppend(candidates[i]));

            var winner = Assert.Single(Enumerable.Range(0, threads), i => results[i]);
            Assert.Equal(revision, logs[0].Head());
            AssertEntries([candidates[winner]], logs[1].Read(revision - 1, 100, long.MaxValue));
        }
    }

    [Fact]
    public void WritersAppendingHeadPlusOneInALoop_LeaveEveryRevisionExactlyOnce()
    {
        const int threads = 8;
        const int eachAppends = 10;
        var logs = new[] { Open(), Open() };
        var won = new List<StoreLogEntry>[threads];
        Race(threads, i =>
        {
            var log = logs[i % logs.Length];
            won[i] = [];
            while (won[i].Count < eachAppends)
            {
                var entry = Entry(log.Head() + 1, StoreLogEntryKind.Batch, 16);
                if (log.TryAppend(entry))
                {
                    won[i].Add(entry);
                }
            }

            return true;
        });

        var all = Open().Read(0, 1000, long.MaxValue);
        Assert.Equal(Enumerable.Range(1, threads * eachAppends).Select(r => (long)r), all.Select(e => e.Revision));
        AssertEntries(won.SelectMany(entries => entries).OrderBy(e => e.Revision), all);
    }

    [Fact]
    public void TwentyMiBSnapshot_RoundTrips()
    {
        var log = Open();
        var small = Entry(1, StoreLogEntryKind.Batch, 100);
        var snapshot = Entry(2, StoreLogEntryKind.Snapshot, 20 * 1024 * 1024);
        var after = Entry(3, StoreLogEntryKind.Batch, 100);
        Assert.True(log.TryAppend(small));
        Assert.True(log.TryAppend(snapshot));
        Assert.True(log.TryAppend(after));

        var other = Open();
        Assert.Equal(2, other.LatestSnapshot());
        AssertEntries([snapshot], other.Read(1, 100, 1024 * 1024));
        AssertEntries([small], other.Read(0, 100, 1024 * 1024));
        AssertEntries([small, snapshot, after], other.Read(0, 100, long.MaxValue));
    }

    [Fact]
    public void StorageGoingDown_IsReportedAsUnavailable()
    {
        var log = Open();
        Assert.True(log.TryAppend(Entry(1, StoreLogEntryKind.Snapshot, 8)));
        using (storage.TakeDown())
        {
            Assert.Throws<StorageUnavailableException>(() => log.Head());
            Assert.Throws<StorageUnavailableException>(() => log.TryAppend(Entry(2, StoreLogEntryKind.Batch, 8)));
            Assert.Throws<StorageUnavailableException>(() => log.Read(0, 10, long.MaxValue));
            Assert.Throws<StorageUnavailableException>(() => log.LatestSnapshot());
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => storage.Dispose();

    /// <summary>The store log of a new instance on the test's database; skips or fails the test when the storage is not there.</summary>
    protected IStoreLog Open() => storage.Open().StoreLog;

    /// <summary>An entry from a random client with <paramref name="size"/> random bytes.</summary>
    protected static StoreLogEntry Entry(long revision, StoreLogEntryKind kind, int size) =>
        new(revision, kind, Guid.NewGuid(), Written.AddSeconds(revision), RandomNumberGenerator.GetBytes(size));

    /// <summary>Appends batches 1, 2… of the given sizes to an empty log.</summary>
    private static List<StoreLogEntry> AppendAll(IStoreLog log, params int[] sizes)
    {
        var entries = sizes.Select((size, i) => Entry(i + 1, StoreLogEntryKind.Batch, size)).ToList();
        entries.ForEach(entry => Assert.True(log.TryAppend(entry)));
        return entries;
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="threads"/> threads released together; their results by index.</summary>
    private static bool[] Race(int threads, Func<int, bool> work)
    {
        using var barrier = new Barrier(threads);
        var results = new bool[threads];
        var failures = new Exception?[threads];
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            barrier.SignalAndWait();
            try
            {
                results[i] = work(i);
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.All(failures, Assert.Null);
        return results;
    }

    /// <summary>Every field equal, the content byte for byte (a record compares arrays by reference).</summary>
    private static void AssertEntries(IEnumerable<StoreLogEntry> expected, IReadOnlyList<StoreLogEntry> actual)
    {
        var wanted = expected.ToList();
        Assert.Equal(wanted.Select(e => (e.Revision, e.Kind, e.ClientId, e.At)), actual.Select(e => (e.Revision, e.Kind, e.ClientId, e.At)));
        for (var i = 0; i < wanted.Count; i++)
        {
            Assert.True(wanted[i].Content.AsSpan().SequenceEqual(actual[i].Content), $"revision {wanted[i].Revision}: content differs");
        }
    }
}
