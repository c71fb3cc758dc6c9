namespace SecretOps.Server.Storage;

/// <summary>
/// The append-only history of one secret store hosted by the server, in the server's database and shared by every
/// instance on it. The revision is the serialisation point: of two writers appending the same revision, exactly one
/// wins and the other is told so. A database failure throws <see cref="StorageUnavailableException"/>.
/// </summary>
public interface IStoreLog
{
    /// <summary>The last revision; 0 when the log is empty.</summary>
    long Head();

    /// <summary>
    /// Appends <paramref name="entry"/> (its revision must be <see cref="Head"/>+1 as the caller saw it), durably. False
    /// when that revision already exists (another writer won); an <see cref="ArgumentException"/> when the revision is
    /// not positive, skips ahead of the head, or the kind is not a <see cref="StoreLogEntryKind"/>; throws
    /// <see cref="StorageUnavailableException"/> when the database fails.
    /// </summary>
    bool TryAppend(StoreLogEntry entry);

    /// <summary>
    /// Entries with a revision above <paramref name="after"/>, in order, at most <paramref name="maxCount"/> entries and
    /// stopping before the total content size passes <paramref name="maxBytes"/> (but always at least one entry when
    /// there is one).
    /// </summary>
    IReadOnlyList<StoreLogEntry> Read(long after, int maxCount, long maxBytes);

    /// <summary>The newest <see cref="StoreLogEntryKind.Snapshot"/> entry's revision, 0 when there is none.</summary>
    long LatestSnapshot();
}
