namespace SecretOps.Core.Remote;

/// <summary>
/// Why the server refuses a request; each reason has its own stable error id (<see cref="RequestRefusedException"/>) and
/// category, which the host maps to a status (docs/SERVER-PROTOCOL.md §8).
/// </summary>
public enum RequestRefusal
{
    /// <summary>A signature header is missing, repeated or malformed, or the target cannot be signed (<c>SecretOps.RequestMalformed</c>, 400).</summary>
    Malformed,

    /// <summary>The body's SHA-256 is not the one the request declares (<c>SecretOps.RequestBodyMismatch</c>, 401).</summary>
    BodyMismatch,

    /// <summary>The signature does not match the request under the client's key (<c>SecretOps.RequestSignatureMismatch</c>, 401).</summary>
    SignatureMismatch,

    /// <summary>The timestamp is older than the replay window allows (<c>SecretOps.RequestStale</c>, 401).</summary>
    Stale,

    /// <summary>The timestamp is further ahead than the replay window allows (<c>SecretOps.RequestFromFuture</c>, 401).</summary>
    FromFuture,

    /// <summary>The nonce was already used by this client (<c>SecretOps.RequestReplayed</c>, 401).</summary>
    Replayed,

    /// <summary>The nonce could not be recorded, so the request is not served (<c>SecretOps.RequestLedgerUnavailable</c>, 503).</summary>
    LedgerUnavailable,

    /// <summary>An <c>X-Forwarded-For</c> entry the server had to read is not an address (<c>SecretOps.RequestForwardedForMalformed</c>, 400).</summary>
    ForwardedForMalformed,

    /// <summary>The client may not connect from the address the server resolved (<c>SecretOps.RequestAddressNotAllowed</c>, 403).</summary>
    AddressNotAllowed,
}
