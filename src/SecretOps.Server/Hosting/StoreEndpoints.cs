using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using SecretOps.Core.Remote;
using SecretOps.Server.Authentication;

namespace SecretOps.Server.Hosting;

/// <summary>
/// The store API (docs/SERVER-PROTOCOL.md §11), behind the signed-request pipeline: <c>GET /v1/store/changes?after=R</c>,
/// <c>POST /v1/store/changes?base=R</c> with a write batch, and <c>PUT /v1/store/snapshot</c> with a store file. The rules
/// are <see cref="HostedStore"/>'s; this binds them to HTTP and maps its errors to statuses and <c>{"error","message"}</c>.
/// </summary>
public static class StoreEndpoints
{
    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(StorePaths.Changes, (HttpContext context, HostedStore store) => Answer(() =>
            Revision(context, "after") is { } after
                ? Results.Bytes(store.Changes(Client(context), after).Encode(), "application/octet-stream")
                : BadRevision("after")));

        endpoints.MapPost(StorePaths.Changes, async (HttpContext context, HostedStore store) =>
        {
            var batch = await ReadBody(context).ConfigureAwait(false);
            return Answer(() =>
            {
                if (Revision(context, "base") is not { } decidedAt)
                {
                    return BadRevision("base");
                }

                return store.Write(Client(context), decidedAt, batch) is { } revision
                    ? Results.Json(new Written(revision))
                    : Error(StatusCodes.Status409Conflict, "SecretOps.Conflict", "The store has changed since that revision: sync and decide again.");
            });
        });

        endpoints.MapPut(StorePaths.Snapshot, async (HttpContext context, HostedStore store) =>
        {
            var file = await ReadBody(context).ConfigureAwait(false);
            return Answer(() => Results.Json(new Written(store.Push(Client(context), file)), statusCode: StatusCodes.Status201Created));
        });
    }

    private static IResult Answer(Func<IResult> handle)
    {
        try
        {
            return handle();
        }
        catch (SecretOpsException e)
        {
            var status = e switch
            {
                AuthenticationFailedException => StatusCodes.Status401Unauthorized,
                AccessDeniedException or TamperedException => StatusCodes.Status403Forbidden,
                ConflictException => StatusCodes.Status409Conflict,
                NotFoundException => StatusCodes.Status404NotFound,
                InvalidParameterException => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status503ServiceUnavailable,
            };
            return Error(status, e.ErrorId, e.Message);
        }
    }

    private static Guid Client(HttpContext context) => context.Features.GetRequiredFeature<AuthenticatedClient>().ClientId;

    private static long? Revision(HttpContext context, string name) =>
        context.Request.Query[name] is [{ } text] && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var revision) ? revision : null;

    private static IResult BadRevision(string name) => Error(StatusCodes.Status400BadRequest, "SecretOps.InvalidParameter", $"The query needs '{name}', a revision (0 or more).");

    private static IResult Error(int status, string errorId, string message) =>
        Results.Json(new SignedRequestAuthentication.ErrorBody(errorId, message), statusCode: status);

    private static async Task<byte[]> ReadBody(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>A write's answer: the revision it became.</summary>
    public sealed record Written(long Revision);
}
