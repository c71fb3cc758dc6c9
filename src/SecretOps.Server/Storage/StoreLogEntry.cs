namespace SecretOps.Server.Storage;

/// <summary>
/// One revision in a hosted store's <see cref="IStoreLog"/>. The content is opaque to the log: it is stored and given
/// back byte for byte.
/// </summary>
/// <param name="Revision">The entry's place in the log: 1, 2, 3… with no gaps.</param>
/// <param name="Kind">Whether <paramref name="Content"/> is a whole store or a batch.</param>
/// <param name="ClientId">The enrolled client that wrote it.</param>
/// <param name="At">When the server accepted it (kept to the millisecond on SQLite, the microsecond on PostgreSQL).</param>
/// <param name="Content">The encoded batch, or for <see cref="StoreLogEntryKind.Snapshot"/> the whole store file.</param>
public sealed record StoreLogEntry(long Revision, StoreLogEntryKind Kind, Guid ClientId, DateTimeOffset At, byte[] Content);
