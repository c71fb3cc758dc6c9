using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SecretOps.Server.Authentication;

namespace SecretOps.Server.Hosting;

/// <summary>
/// One log line per request: method, path (never the query string), status, elapsed milliseconds, the client id
/// once authentication names one, the peer's address and the address the server resolved (after a trusted proxy's
/// X-Forwarded-For, from <see cref="RequestOrigin"/>). Nothing else from the request is logged: no header, body, value,
/// key, signature or nonce. It runs first, so it also logs what the rest of the pipeline throws.
/// </summary>
public sealed class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    /// <summary>Runs the rest of the pipeline and logs the request, also when it throws (as status 500).</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            await next(context).ConfigureAwait(false);
            failed = false;
        }
        finally
        {
            var elapsedMs = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
            var path = context.Request.PathBase + context.Request.Path;
            var origin = context.Features.Get<RequestOrigin>();
            ServerLog.Request(
                logger,
                context.Request.Method,
                path,
                failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode,
                elapsedMs,
                context.User.Identity?.Name,
                origin?.Peer ?? context.Connection.RemoteIpAddress,
                origin?.Address?.Resolved);
        }
    }
}
