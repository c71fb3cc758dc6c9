using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using SecretOps.Core.Remote;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Authentication;

/// <summary>
/// The signed-request pipeline, a middleware after routing that every endpoint goes through except those marked
/// <see cref="IAllowAnonymous"/> (<c>/health</c>); a path no endpoint answers is authenticated too, then gets 404.
/// The order is docs/SERVER-PROTOCOL.md §4's, with the rate limit first: the resolved address's failures, parse the
/// headers, the claimed client's failures, look up the client (unknown or disabled: refused alike), the timestamp, the
/// body (at most <see cref="MaxBodyBytesFor"/> its route), the signature over the raw target and raw bytes, the timestamp again,
/// the allow-list, the nonce. Every outcome is appended to the audit table before the answer; when that fails the
/// request fails (503). An allowed request's nonce and audit row are written in one commit (both or neither); a
/// refusal's row alone. The endpoint then reads the very bytes that were verified; when it refuses the client (401 or 403:
/// the store does not serve it, or will not take its change), a second row records <see cref="RequestOutcome.RefusedByStore"/>.
/// </summary>
public sealed class SignedRequestAuthentication(
    RequestDelegate next,
    ServerStorage storage,
    ReplayWindow window,
    FailedAuthenticationLimiter limiter,
    TimeProvider time,
    ILogger<SignedRequestAuthentication> logger)
{
    /// <summary>The largest body the server reads on most routes (1 MiB); a larger one is refused with 413.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>The largest write batch (8 MiB: a batch carries up to a 1 MiB value, sealed, with its audit entries).</summary>
    public const int MaxBatchBytes = 8 * 1024 * 1024;

    /// <summary>The largest store file a push may send (256 MiB).</summary>
    public const int MaxSnapshotBytes = 256 * 1024 * 1024;

    /// <summary>The largest body the route of <paramref name="path"/> reads.</summary>
    public static int MaxBodyBytesFor(string path) => path switch
    {
        StorePaths.Changes => MaxBatchBytes,
        StorePaths.Snapshot => MaxSnapshotBytes,
        _ => MaxBodyBytes,
    };

    /// <summary>The authentication type of the principal an authenticated request runs as.</summary>
    public const string AuthenticationType = RequestSignature.Version;

    // Audit columns stay bounded whatever a request line holds.
    private const int MaxAuditMethodLength = 32;
    private const int MaxAuditPathLength = 2048;

    /// <summary>Authenticates the request, audits the outcome, then runs the endpoint or writes the refusal.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var origin = context.Features.GetRequiredFeature<RequestOrigin>();
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var attempt = new Attempt();
        RequestDenial? denial;
        try
        {
            denial = await AuthenticateAsync(context, origin, rawTarget, attempt).ConfigureAwait(false);
        }
        catch (StorageUnavailableException e)
        {
            ServerLog.StorageFailed(logger, e.Storage, e.Operation, e.InnerException?.Message ?? e.Message);
            denial = RequestDenial.StorageUnavailable();
        }

        if (denial is { IsFailedAuthentication: true })
        {
            limiter.RecordFailure(AddressKey(origin));
            if (attempt.ClientId is { } claimed)
            {
                limiter.RecordFailure(ClientKey(claimed));
            }
        }

        // An allowed request's audit row was written with its nonce, in one commit; a refusal's is written alone.
        if (!attempt.Audited)
        {
            try
            {
                await storage.Audit.AppendAsync(AuditEntry(context, origin, rawTarget, attempt.ClientId, denial?.Outcome ?? RequestOutcome.Allowed, time.GetUtcNow())).ConfigureAwait(false);
            }
            catch (StorageUnavailableException e)
            {
                ServerLog.StorageFailed(logger, e.Storage, e.Operation, e.InnerException?.Message ?? e.Message);
                denial = RequestDenial.StorageUnavailable();
            }
        }

        if (denial is not null)
        {
            await WriteDenialAsync(context, denial).ConfigureAwait(false);
            return;
        }

        var authenticated = context.Features.GetRequiredFeature<AuthenticatedClient>();
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, authenticated.ClientId.ToString("D"))], AuthenticationType));
        await next(context).ConfigureAwait(false);
        if (context.Response.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            // The store refused an authenticated client (disabled or retired in it, or a change it may not make): a second
            // row says so. The answer is already a refusal, so a failed write here is only logged.
            try
            {
                await storage.Audit.AppendAsync(AuditEntry(context, origin, rawTarget, authenticated.ClientId, RequestOutcome.RefusedByStore, time.GetUtcNow())).ConfigureAwait(false);
            }
            catch (StorageUnavailableException e)
            {
                ServerLog.StorageFailed(logger, e.Storage, e.Operation, e.InnerException?.Message ?? e.Message);
            }
        }
    }

    private async Task<RequestDenial?> AuthenticateAsync(HttpContext context, RequestOrigin origin, string rawTarget, Attempt attempt)
    {
        try
        {
            if (limiter.RetryAfter(AddressKey(origin)) is { } addressWait)
            {
                return RequestDenial.RateLimited(addressWait, $"{origin.Address?.Resolved ?? origin.Peer}");
            }

            var address = origin.Address ?? throw origin.Refusal!;
            var signature = RequestSignature.Parse(name => context.Request.Headers[name]);
            attempt.ClientId = signature.ClientId;
            if (limiter.RetryAfter(ClientKey(signature.ClientId)) is { } clientWait)
            {
                return RequestDenial.RateLimited(clientWait, $"client {signature.ClientId:D}");
            }

            using var credentials = storage.Clients.Find(signature.ClientId);
            if (credentials is null)
            {
                return RequestDenial.ClientNotAccepted(RequestOutcome.ClientUnknown, signature.ClientId);
            }

            if (credentials.Client.Status != EnrolmentStatus.Active)
            {
                return RequestDenial.ClientNotAccepted(RequestOutcome.ClientDisabled, signature.ClientId);
            }

            window.CheckFreshness(signature.Timestamp, time.GetUtcNow());
            var limit = MaxBodyBytesFor(context.Request.Path.Value ?? "");
            var body = await ReadBodyAsync(context.Request, limit, context.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                return RequestDenial.BodyTooLarge(limit);
            }

            signature.Verify(credentials.Key, context.Request.Method, rawTarget, body);

            // Reading a slow body takes time: the request must still be fresh now, when it is accepted.
            var now = time.GetUtcNow();
            window.CheckFreshness(signature.Timestamp, now);
            credentials.Client.AllowList.EnsurePermits(address, signature.ClientId.ToString("D"));
            var recorded = await storage.Nonces.TryRecordAllowedAsync(signature.ClientId, signature.Nonce.ToArray(), window.NonceExpiry(now),
                AuditEntry(context, origin, rawTarget, signature.ClientId, RequestOutcome.Allowed, now)).ConfigureAwait(false);
            ReplayWindow.EnsureRecorded(recorded, signature);
            attempt.Audited = true;

            context.Request.Body = new MemoryStream(body, writable: false);
            context.Features.Set(new AuthenticatedClient(signature.ClientId, address));
            return null;
        }
        catch (RequestRefusedException refusal)
        {
            return RequestDenial.From(refusal);
        }
    }

    /// <summary>The whole body, or null when it is over <paramref name="limit"/> (declared or sent).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancel)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static Task WriteDenialAsync(HttpContext context, RequestDenial denial)
    {
        context.Response.StatusCode = denial.Status;
        if (denial.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = RequestDenial.RetrySeconds(retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return context.Response.WriteAsJsonAsync(new ErrorBody(denial.ErrorId, denial.Message), context.RequestAborted);
    }

    private static RequestAuditEntry AuditEntry(HttpContext context, RequestOrigin origin, string rawTarget, Guid? clientId, RequestOutcome outcome, DateTimeOffset at) => new(
        at,
        clientId,
        origin.Peer.ToString(),
        origin.Address?.Resolved.ToString(),
        Bounded(context.Request.Method, MaxAuditMethodLength),
        Bounded(PathOf(rawTarget), MaxAuditPathLength),
        outcome.ToString());

    private static string AddressKey(RequestOrigin origin) => "address " + (origin.Address?.Resolved ?? origin.Peer);

    private static string ClientKey(Guid clientId) => "client " + clientId.ToString("D");

    private static string PathOf(string rawTarget)
    {
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? rawTarget : rawTarget[..query];
    }

    private static string Bounded(string text, int length) => text.Length <= length ? text : text[..length];

    /// <summary>The body of a refusal.</summary>
    /// <param name="Error">The stable error id.</param>
    /// <param name="Message">What is wrong, for a person.</param>
    public sealed record ErrorBody(string Error, string Message);

    /// <summary>What the audit needs to know of a request whose authentication may stop half-way.</summary>
    private sealed class Attempt
    {
        public Guid? ClientId { get; set; }

        /// <summary>Whether the request's audit row is already written (an allowed one, with its nonce).</summary>
        public bool Audited { get; set; }
    }
}
