using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using SecretOps.Server.Authentication;

namespace SecretOps.Server.Hosting;

/// <summary>
/// <c>/v1/whoami</c>, behind the signed-request pipeline: <c>GET</c> answers <c>{"client","address"}</c>, the client the
/// request authenticated as and the address the server resolved; <c>POST</c> also gives <c>bodySha256</c>, the SHA-256
/// of the body the endpoint read, so a client can check that the verified bytes are what reached it.
/// </summary>
public static class WhoAmIEndpoint
{
    /// <summary>The path the endpoint answers.</summary>
    public const string Path = "/v1/whoami";

    /// <summary>Maps GET and POST.</summary>
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (HttpContext context) => Results.Json(Describe(context, null)));
        endpoints.MapPost(Path, async (HttpContext context) =>
        {
            var sha256 = await SHA256.HashDataAsync(context.Request.Body, context.RequestAborted).ConfigureAwait(false);
            return Results.Json(Describe(context, Convert.ToHexString(sha256).ToLowerInvariant()));
        });
    }

    private static WhoAmI Describe(HttpContext context, string? bodySha256)
    {
        var client = context.Features.GetRequiredFeature<AuthenticatedClient>();
        return new WhoAmI(client.ClientId.ToString("D"), client.Address.Resolved.ToString(), bodySha256);
    }

    /// <summary>The response body.</summary>
    /// <param name="Client">The authenticated client id.</param>
    /// <param name="Address">The address the server resolved for the request.</param>
    /// <param name="BodySha256">The SHA-256 of the body received, lowercase hex; POST only.</param>
    public sealed record WhoAmI(
        string Client,
        string Address,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? BodySha256);
}
