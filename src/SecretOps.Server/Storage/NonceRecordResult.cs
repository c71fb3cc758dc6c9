namespace SecretOps.Server.Storage;

/// <summary>What <see cref="INonceLedger.TryRecord"/> found.</summary>
public enum NonceRecordResult
{
    /// <summary>The nonce was new for the client and is now recorded, durably, for every server instance.</summary>
    Recorded,

    /// <summary>The client already used this nonce: the request is a replay.</summary>
    Replayed,

    /// <summary>The storage could not be asked or written; the request must fail (503), never pass.</summary>
    Unavailable,
}
