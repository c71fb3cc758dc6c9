using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>
/// The server's nonce ledgers: Core's <see cref="INonceLedger"/> (uniqueness is the database's own constraint, never a
/// check then an insert; any storage failure is <see cref="NonceRecordResult.Unavailable"/>, never
/// <see cref="NonceRecordResult.Recorded"/>), plus the clean-up of expired rows.
/// </summary>
public interface IPrunableNonceLedger : INonceLedger
{
    /// <summary>
    /// Deletes the rows whose expiry is before <paramref name="now"/>; a live row is never touched. A failure is
    /// logged and leaves every row in place (the next prune tries again).
    /// </summary>
    void Prune(DateTimeOffset now);
}
