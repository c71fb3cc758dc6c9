namespace SecretOps.Server.Authentication;

/// <summary>What the server decided for a signed route's request, as the audit table records it (the member's name).</summary>
public enum RequestOutcome
{
    /// <summary>Authenticated: the endpoint ran.</summary>
    Allowed,

    /// <summary>A signature header missing, repeated or malformed, or a target that cannot be signed (400).</summary>
    Malformed,

    /// <summary>An <c>X-Forwarded-For</c> entry from a trusted proxy is not an address (400).</summary>
    ForwardedForMalformed,

    /// <summary>Too many failed authentications from the address or for the client id lately (429).</summary>
    RateLimited,

    /// <summary>The client id is not enrolled (401, answered as <see cref="ClientDisabled"/> is).</summary>
    ClientUnknown,

    /// <summary>The client is enrolled but disabled (401, answered as <see cref="ClientUnknown"/> is).</summary>
    ClientDisabled,

    /// <summary>The timestamp is older than the replay window allows (401).</summary>
    Stale,

    /// <summary>The timestamp is further ahead than the replay window allows (401).</summary>
    FromFuture,

    /// <summary>The body is larger than the server accepts (413).</summary>
    BodyTooLarge,

    /// <summary>The body's SHA-256 is not the declared one (401).</summary>
    BodyMismatch,

    /// <summary>The signature does not match under the client's key (401).</summary>
    SignatureMismatch,

    /// <summary>The resolved address is not in the client's allow-list (403).</summary>
    AddressNotAllowed,

    /// <summary>The nonce was used before (401).</summary>
    Replayed,

    /// <summary>The nonce could not be recorded (503).</summary>
    LedgerUnavailable,

    /// <summary>The database could not be read, or the audit row written (503).</summary>
    StorageUnavailable,

    /// <summary>
    /// Authenticated (a row with <see cref="Allowed"/> precedes this one), then refused by the store: the client is disabled
    /// or retired in it, or not one of its clients (401), or sent a change it may not make (403).
    /// </summary>
    RefusedByStore,
}
