namespace SecretOps.Core.Remote;

/// <summary>
/// The server refuses a request (<c>SecretOps.Request</c> + the <see cref="RequestRefusal"/> name, e.g.
/// <c>SecretOps.RequestStale</c>). The message names what is wrong and never holds a key, a signature or a body.
/// </summary>
public sealed class RequestRefusedException : SecretOpsException
{
    /// <summary>Creates the refusal; <paramref name="target"/> names what it is about (a header, a client, an address).</summary>
    public RequestRefusedException(RequestRefusal reason, string message, object? target)
        : base("SecretOps.Request" + reason, CategoryOf(reason), message, target, null)
    {
        Reason = reason;
    }

    /// <summary>Why the request is refused.</summary>
    public RequestRefusal Reason { get; }

    private static SecretOpsErrorCategory CategoryOf(RequestRefusal reason) => reason switch
    {
        RequestRefusal.Malformed or RequestRefusal.ForwardedForMalformed => SecretOpsErrorCategory.InvalidArgument,
        RequestRefusal.AddressNotAllowed => SecretOpsErrorCategory.AccessDenied,
        RequestRefusal.LedgerUnavailable => SecretOpsErrorCategory.Other,
        _ => SecretOpsErrorCategory.AuthenticationFailed,
    };
}
