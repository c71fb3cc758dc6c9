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

    /// <summary>
    /// Records <paramref name="nonce"/> as <see cref="INonceLedger.TryRecord"/> does and appends <paramref name="allowed"/>
    /// to the audit table, in one commit: both are written or neither. <see cref="NonceRecordResult.AlreadySeen"/> and
    /// <see cref="NonceRecordResult.Unavailable"/> leave neither written (the caller then audits the refusal alone), so a
    /// nonce is never recorded without its request's audit row, and a request refused for want of its audit row can be
    /// sent again without being a replay.
    /// </summary>
    Task<NonceRecordResult> TryRecordAllowedAsync(Guid clientId, ReadOnlyMemory<byte> nonce, DateTimeOffset expiresAt, RequestAuditEntry allowed);
}
