namespace SecretOps.Core.Remote;

/// <summary>
/// Where the server records the nonces it accepted, implemented by the server's storage and shared by every instance
/// (a per-process cache would let a replay through on another instance). Records are unique on (client, nonce) and
/// kept until their expiry; a live record is never evicted to make room.
/// </summary>
public interface INonceLedger
{
    /// <summary>
    /// Records <paramref name="nonce"/> for <paramref name="clientId"/> until <paramref name="expiresAt"/> if it is not
    /// already there, atomically (an insert that fails on the unique key is <see cref="NonceRecordResult.AlreadySeen"/>).
    /// </summary>
    NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce, DateTimeOffset expiresAt);
}
