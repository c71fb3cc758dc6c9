namespace SecretOps.Core.Remote;

/// <summary>
/// A hosted store's history (docs/SERVER-PROTOCOL.md §11): revisions 1, 2, 3… with no gaps, each a whole store file
/// (<see cref="StoreLogEntryKind.Snapshot"/>) or one command's encoded write batch. The revision is the serialisation
/// point every server instance sharing the database meets: appending one that exists fails, it never overwrites.
/// </summary>
public interface IStoreLog
{
    /// <summary>The last revision; 0 when the log is empty.</summary>
    long Head();

    /// <summary>
    /// Appends <paramref name="entry"/> (its revision the head the caller saw, plus one), durably. False when that revision
    /// already exists (another writer won); throws when the database fails.
    /// </summary>
    bool TryAppend(StoreLogEntry entry);

    /// <summary>
    /// The entries after <paramref name="after"/>, in order: at most <paramref name="maxCount"/>, stopping before their
    /// content passes <paramref name="maxBytes"/> (but at least one when there is one).
    /// </summary>
    IReadOnlyList<StoreLogEntry> Read(long after, int maxCount, long maxBytes);

    /// <summary>The newest snapshot's revision; 0 when there is none.</summary>
    long LatestSnapshot();
}

/// <summary>What a store log entry holds.</summary>
public enum StoreLogEntryKind
{
    /// <summary>A whole store file: the store as it was pushed.</summary>
    Snapshot = 1,

    /// <summary>One command's write batch, in the encoding of docs/SERVER-PROTOCOL.md.</summary>
    Batch = 2,
}

/// <summary>One revision of a hosted store.</summary>
/// <param name="Revision">Its place in the log, from 1.</param>
/// <param name="Kind">A snapshot or a batch.</param>
/// <param name="ClientId">The client whose signed request wrote it.</param>
/// <param name="At">When the server accepted it.</param>
/// <param name="Content">The store file or the encoded batch.</param>
public sealed record StoreLogEntry(long Revision, StoreLogEntryKind Kind, Guid ClientId, DateTimeOffset At, byte[] Content);
