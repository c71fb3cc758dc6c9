using System.Net;
using System.Text.Json;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// Which address the real server resolves for a request, read from its request log line: X-Forwarded-For counts only
/// from a trusted proxy, and ASP.NET Core's own environment switches cannot widen that, add listeners or turn on
/// development mode.
/// </summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ServerForwardingTests(TestTlsFiles tls) : IClassFixture<TestTlsFiles>
{
    [Fact]
    public async Task XForwardedForFromATrustedProxy_IsTheResolvedAddress()
    {
        var log = await RequestLogWithForwardedFor(["--forwarded-headers", "true", "--trusted-proxy", "127.0.0.1/32"], "198.51.100.7");
        Assert.Equal("127.0.0.1", log.GetProperty("Peer").GetString());
        Assert.Equal("198.51.100.7", log.GetProperty("ResolvedAddress").GetString());
    }

    [Fact]
    public async Task XForwardedForFromAnUntrustedPeer_IsIgnored()
    {
        var log = await RequestLogWithForwardedFor(["--forwarded-headers", "true", "--trusted-proxy", "10.0.0.0/8"], "198.51.100.7");
        Assert.Equal("127.0.0.1", log.GetProperty("ResolvedAddress").GetString());
    }

    [Fact]
    public async Task XForwardedFor_IsIgnoredWhenForwardingIsOff_EvenWithAspNetCoreSwitchedOn()
    {
        // ASPNETCORE_FORWARDEDHEADERS_ENABLED=true would make ASP.NET Core trust every peer's X-Forwarded-For.
        var log = await RequestLogWithForwardedFor([], "198.51.100.7", [new("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true")]);
        Assert.Equal("127.0.0.1", log.GetProperty("ResolvedAddress").GetString());
    }

    [Fact]
    public async Task AspNetCoreUrlsAndKestrelEndpointsFromTheEnvironment_AddNoListener()
    {
        using var server = ServerProcess.Start(
            ["--listen", "127.0.0.1", "--port", "0", "--insecure-http", "--sqlite-path", tls.Scratch("urls/server.db")],
            [new("ASPNETCORE_URLS", "http://0.0.0.0:0"), new("Kestrel__Endpoints__Extra__Url", "http://0.0.0.0:0")]);
        var address = await server.WaitUntilListeningAsync();
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
        var listening = server.Output.Split('\n').Where(l => l.Contains("Now listening on", StringComparison.Ordinal)).ToList();
        Assert.Single(listening);
        Assert.Contains(address.Authority, listening[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AspNetCoreEnvironmentDevelopment_IsIgnored()
    {
        // Development would answer an unhandled exception with the developer exception page, stack trace and all.
        using var server = ServerProcess.Start(
            ["--listen", "127.0.0.1", "--port", "0", "--insecure-http", "--sqlite-path", tls.Scratch("environment/server.db")],
            [new("ASPNETCORE_ENVIRONMENT", "Development"), new("DOTNET_ENVIRONMENT", "Development")]);
        await server.WaitUntilListeningAsync();
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("\"EnvName\":\"Production\"", server.Output, StringComparison.Ordinal);
    }

    private async Task<JsonElement> RequestLogWithForwardedFor(string[] flags, string forwardedFor, KeyValuePair<string, string?>[]? environment = null)
    {
        using var server = ServerProcess.Start(
            ["--listen", "127.0.0.1", "--port", "0", "--insecure-http", "--sqlite-path", tls.Scratch($"forwarding-{Guid.NewGuid():N}/server.db"), .. flags],
            environment);
        var address = await server.WaitUntilListeningAsync();
        using (var client = new HttpClient { Timeout = ServerProcess.Patience })
        using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/health")))
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Stop first: the console logger writes in the background, and everything is flushed by exit.
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
        var line = server.Output.Split('\n').Single(l => l.Contains("\"Path\":\"/health\"", StringComparison.Ordinal));
        return JsonDocument.Parse(line).RootElement.GetProperty("State").Clone();
    }
}
