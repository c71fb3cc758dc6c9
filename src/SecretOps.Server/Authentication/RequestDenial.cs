using Microsoft.AspNetCore.Http;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Authentication;

/// <summary>
/// A refused request: what the audit records, the status and the JSON body <c>{"error","message"}</c> the client gets.
/// Every refusal's status is decided here, in one place (docs/SERVER-PROTOCOL.md §8 and §10). Messages name headers,
/// client ids, addresses and seconds; never a key, a signature, a nonce or a body.
/// </summary>
public sealed class RequestDenial
{
    private RequestDenial(RequestOutcome outcome, int status, string errorId, string message, TimeSpan? retryAfter = null)
    {
        Outcome = outcome;
        Status = status;
        ErrorId = errorId;
        Message = message;
        RetryAfter = retryAfter;
    }

    /// <summary>What the audit table records.</summary>
    public RequestOutcome Outcome { get; }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The stable error id of the response body.</summary>
    public string ErrorId { get; }

    /// <summary>The response body's message.</summary>
    public string Message { get; }

    /// <summary>When the client may try again (the <c>Retry-After</c> header), for <see cref="RequestOutcome.RateLimited"/>.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// Whether the refusal counts as a failed authentication for rate limiting: the request's credentials or origin
    /// were wrong. A busy or unreachable database, a body too large and a request already rate-limited do not count.
    /// </summary>
    public bool IsFailedAuthentication => Outcome is not (RequestOutcome.RateLimited or RequestOutcome.BodyTooLarge
        or RequestOutcome.LedgerUnavailable or RequestOutcome.StorageUnavailable);

    /// <summary>The denial for a refusal of the protocol's checks.</summary>
    public static RequestDenial From(RequestRefusedException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var (outcome, status) = refusal.Reason switch
        {
            RequestRefusal.Malformed => (RequestOutcome.Malformed, StatusCodes.Status400BadRequest),
            RequestRefusal.ForwardedForMalformed => (RequestOutcome.ForwardedForMalformed, StatusCodes.Status400BadRequest),
            RequestRefusal.BodyMismatch => (RequestOutcome.BodyMismatch, StatusCodes.Status401Unauthorized),
            RequestRefusal.SignatureMismatch => (RequestOutcome.SignatureMismatch, StatusCodes.Status401Unauthorized),
            RequestRefusal.Stale => (RequestOutcome.Stale, StatusCodes.Status401Unauthorized),
            RequestRefusal.FromFuture => (RequestOutcome.FromFuture, StatusCodes.Status401Unauthorized),
            RequestRefusal.Replayed => (RequestOutcome.Replayed, StatusCodes.Status401Unauthorized),
            RequestRefusal.AddressNotAllowed => (RequestOutcome.AddressNotAllowed, StatusCodes.Status403Forbidden),
            RequestRefusal.LedgerUnavailable => (RequestOutcome.LedgerUnavailable, StatusCodes.Status503ServiceUnavailable),
            _ => throw new ArgumentOutOfRangeException(nameof(refusal)),
        };
        return new RequestDenial(outcome, status, refusal.ErrorId, refusal.Message);
    }

    /// <summary>
    /// An unknown or a disabled client (<paramref name="outcome"/> tells which, for the audit only): both get the same
    /// answer, so a request tells nobody whether an id is enrolled.
    /// </summary>
    public static RequestDenial ClientNotAccepted(RequestOutcome outcome, Guid clientId) =>
        new(outcome, StatusCodes.Status401Unauthorized, "SecretOps.RequestClientNotAccepted",
            $"Client {clientId:D} is not enrolled on this server, or is disabled.");

    /// <summary>Too many failed authentications for <paramref name="what"/> (the address or the client id) lately.</summary>
    public static RequestDenial RateLimited(TimeSpan retryAfter, string what) =>
        new(RequestOutcome.RateLimited, StatusCodes.Status429TooManyRequests, "SecretOps.RequestRateLimited",
            $"Too many failed authentications from {what} lately; try again in {RetrySeconds(retryAfter)} s.", retryAfter);

    /// <summary>A body over <paramref name="limit"/> bytes.</summary>
    public static RequestDenial BodyTooLarge(int limit) =>
        new(RequestOutcome.BodyTooLarge, StatusCodes.Status413PayloadTooLarge, "SecretOps.RequestBodyTooLarge",
            $"The request body is larger than the {limit} bytes the server accepts.");

    /// <summary>The database could not be read, or the audit row written: nothing is served unaudited.</summary>
    public static RequestDenial StorageUnavailable() =>
        new(RequestOutcome.StorageUnavailable, StatusCodes.Status503ServiceUnavailable, "SecretOps.ServerStorageUnavailable",
            "The server cannot reach its database right now, so it does not serve the request; try again later.");

    /// <summary>Whole seconds to wait, at least one (the form of <c>Retry-After</c>).</summary>
    public static long RetrySeconds(TimeSpan retryAfter) => Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
}
