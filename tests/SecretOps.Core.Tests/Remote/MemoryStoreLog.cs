using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>
/// An <see cref="IStoreLog"/> in a list, for tests: revisions 1, 2, 3… with no gaps; appending a revision that exists
/// answers false and never overwrites, appending past the head (a gap) throws <see cref="ArgumentException"/>.
/// </summary>
internal sealed class MemoryStoreLog : IStoreLog
{
    private readonly object gate = new();
    private readonly List<StoreLogEntry> entries = [];

    /// <summary>How many appends were refused because the revision existed.</summary>
    public int Refused { get; private set; }

    /// <summary>Runs once before an append, outside the log's lock: where a test lets another writer in first.</summary>
    public Action<StoreLogEntry>? BeforeAppend { get; set; }

    /// <summary>Runs once before a read, outside the log's lock: where a test lets a writer append between a reader's head and its read.</summary>
    public Action? BeforeRead { get; set; }

    /// <summary>A copy of every entry, in order.</summary>
    public IReadOnlyList<StoreLogEntry> Entries
    {
        get
        {
            lock (gate)
            {
                return [.. entries];
            }
        }
    }

    public long Head()
    {
        lock (gate)
        {
            return entries.Count;
        }
    }

    public bool TryAppend(StoreLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        BeforeAppend?.Invoke(entry);
        lock (gate)
        {
            if (entry.Revision < 1)
            {
                throw new ArgumentException($"Revision {entry.Revision} is not a revision (they start at 1).", nameof(entry));
            }

            if (entry.Revision <= entries.Count)
            {
                Refused++;
                return false;
            }

            if (entry.Revision != entries.Count + 1)
            {
                throw new ArgumentException($"Revision {entry.Revision} would leave a gap after the head {entries.Count}.", nameof(entry));
            }

            // A copy: what the log holds cannot change under it.
            entries.Add(entry with { Content = [.. entry.Content] });
            return true;
        }
    }

    public IReadOnlyList<StoreLogEntry> Read(long after, int maxCount, long maxBytes)
    {
        var beforeRead = BeforeRead;
        BeforeRead = null;
        beforeRead?.Invoke();

        lock (gate)
        {
            var result = new List<StoreLogEntry>();
            var bytes = 0L;
            for (var index = (int)Math.Max(0, after); index < entries.Count && result.Count < maxCount; index++)
            {
                var entry = entries[index];
                if (result.Count > 0 && bytes + entry.Content.Length > maxBytes)
                {
                    break;
                }

                bytes += entry.Content.Length;
                result.Add(entry with { Content = [.. entry.Content] });
            }

            return result;
        }
    }

    public long LatestSnapshot()
    {
        lock (gate)
        {
            return entries.FindLastIndex(e => e.Kind == StoreLogEntryKind.Snapshot) + 1;
        }
    }
}
