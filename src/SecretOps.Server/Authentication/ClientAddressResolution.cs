using System.Net;
using Microsoft.AspNetCore.Http;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Authentication;

/// <summary>
/// Resolves every request's client address with Core's <see cref="ClientAddressResolver"/> (the peer, or
/// X-Forwarded-For walked right to left over trusted proxies) into a <see cref="RequestOrigin"/> feature. The host does
/// not run ASP.NET Core's ForwardedHeaders middleware: it would replace the peer and consume the header first.
/// </summary>
public sealed class ClientAddressResolution(RequestDelegate next, ClientAddressResolver resolver)
{
    /// <summary>Sets the feature and runs the rest of the pipeline.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var peer = context.Connection.RemoteIpAddress ?? throw new InvalidOperationException("The connection has no peer address: the server listens on TCP only.");
        RequestOrigin origin;
        try
        {
            var address = resolver.Resolve(peer, context.Request.Headers[ClientAddressResolver.ForwardedForHeader]);
            origin = new RequestOrigin(address.Peer, address, null);
        }
        catch (RequestRefusedException refusal)
        {
            origin = new RequestOrigin(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer, null, refusal);
        }

        context.Features.Set(origin);
        return next(context);
    }
}
