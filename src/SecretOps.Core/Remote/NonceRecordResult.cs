namespace SecretOps.Core.Remote;

/// <summary>What recording a nonce in the <see cref="INonceLedger"/> did.</summary>
public enum NonceRecordResult
{
    /// <summary>The nonce is new for the client and is now recorded: the request may proceed.</summary>
    Recorded,

    /// <summary>The client already used the nonce: a replay.</summary>
    AlreadySeen,

    /// <summary>The ledger could not record it (database down, full): the request fails closed, never served unrecorded.</summary>
    Unavailable,
}
