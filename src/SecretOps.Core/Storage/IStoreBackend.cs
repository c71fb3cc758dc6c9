namespace SecretOps.Core.Storage;

/// <summary>
/// Where a store's rows live. Core runs every command through it: a read in one snapshot, or a change as one
/// <see cref="WriteBatch"/> committed whole or not at all. Every failure of the storage itself comes out as a
/// <see cref="StoreUnavailableException"/>; a backend never lets its own error types reach Core.
/// </summary>
/// <remarks>
/// A local backend runs the body and applies its batch in one transaction. A remote one may run the body, send the
/// batch with its preconditions, and run the body again when they no longer hold; so a body must be repeatable and
/// must decide only from what it read.
/// </remarks>
internal interface IStoreBackend
{
    /// <summary>Where the store is, for messages (a path).</summary>
    string Location { get; }

    /// <summary>Whether the store can only be read.</summary>
    bool IsReadOnly { get; }

    /// <summary>Whether the store is kept in the mode for a share several machines open.</summary>
    bool IsShared { get; }

    /// <summary>Runs <paramref name="body"/> on one consistent snapshot.</summary>
    T Read<T>(Func<IStoreReader, T> body);

    /// <summary>
    /// A read cheap enough to skip a transaction: <paramref name="body"/> makes one lookup, which is its own snapshot.
    /// Null when the store is busy (the caller falls back to <see cref="Read"/>, which waits) or the body returns null.
    /// The schema is not verified first: the body must check everything it returns against the verified control log
    /// (a planted view or altered table can then only make it find nothing, and a SELECT fires no trigger).
    /// </summary>
    T? TryReadOnce<T>(Func<IStoreReader, T?> body)
        where T : struct;

    /// <summary>
    /// Runs <paramref name="body"/> on a snapshot and commits the batch it fills, atomically, with its preconditions; on
    /// disk before it returns, unless <paramref name="durability"/> allows <see cref="CommitDurability.Buffered"/>.
    /// </summary>
    T Write<T>(Func<IStoreReader, WriteBatch, T> body, CommitDurability durability = CommitDurability.Synced);

    /// <summary>
    /// Writes a consistent copy of the whole store, even while others write, into <paramref name="file"/> (a new, empty,
    /// owner-only file), in the form a file store opens.
    /// </summary>
    void BackupTo(string file);

    /// <summary>Lets go of what this process keeps open to the store between operations.</summary>
    void ReleaseConnections();
}

/// <summary>How far a commit must have gone when <see cref="IStoreBackend.Write"/> returns.</summary>
internal enum CommitDurability
{
    /// <summary>On disk: it survives a crash of the process, the operating system or the machine.</summary>
    Synced,

    /// <summary>
    /// Handed to the operating system, complete and atomic, and on disk with the next synced commit or checkpoint: it survives
    /// the process being killed, but an operating-system crash or power cut before then may roll it back (never corrupt the
    /// store). A backend may sync anyway (a shared store always does).
    /// </summary>
    Buffered,
}
