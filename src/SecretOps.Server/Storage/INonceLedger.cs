namespace SecretOps.Server.Storage;

/// <summary>
/// The replay-protection table: every (client, nonce) pair a request used, kept in the database so that every server
/// instance sharing it refuses a replay. Uniqueness is the database's own constraint, never a check then an insert.
/// It fails closed: any storage failure is <see cref="NonceRecordResult.Unavailable"/>, never
/// <see cref="NonceRecordResult.Recorded"/>. Nothing evicts a live nonce: only <see cref="Prune"/> deletes, and only
/// rows whose expiry has passed.
/// </summary>
public interface INonceLedger : IDisposable
{
    /// <summary>The length of a nonce in bytes (128 bits).</summary>
    const int NonceLength = 16;

    /// <summary>
    /// Records <paramref name="nonce16"/> for <paramref name="clientId"/>, kept at least until
    /// <paramref name="expiresAt"/> (the caller picks it: at least twice the replay window past the request's time).
    /// A nonce that is not <see cref="NonceLength"/> bytes is a caller's bug and throws.
    /// </summary>
    NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce16, DateTimeOffset expiresAt);

    /// <summary>
    /// Deletes the rows whose expiry is before <paramref name="now"/>; a live row is never touched. A failure is
    /// logged and leaves every row in place (the next prune tries again).
    /// </summary>
    void Prune(DateTimeOffset now);
}
