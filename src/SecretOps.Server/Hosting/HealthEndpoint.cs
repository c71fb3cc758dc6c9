using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Hosting;

/// <summary>
/// <c>GET /health</c>, without authentication: <c>{"status":"ok","storage":{"kind":"sqlite","reachable":true}}</c>
/// with 200, or status "unavailable" with 503 when the storage does not answer. It tells nothing else, and it is the
/// one endpoint that needs no signed request.
/// </summary>
public static class HealthEndpoint
{
    /// <summary>The path the endpoint answers.</summary>
    public const string Path = "/health";

    /// <summary>Maps the endpoint.</summary>
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (IStorageHealth storage) =>
        {
            var reachable = storage.IsReachable();
            return Results.Json(
                new HealthStatus(reachable ? "ok" : "unavailable", new StorageStatus(storage.Kind, reachable)),
                statusCode: reachable ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous();
    }

    /// <summary>The response body.</summary>
    public sealed record HealthStatus(string Status, StorageStatus Storage);

    /// <summary>The storage part of the response body.</summary>
    public sealed record StorageStatus(string Kind, bool Reachable);
}
