using System.Net;
using System.Text.Json;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>The real server process on 127.0.0.1, started as an operator would and stopped with SIGTERM.</summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ServerHostTests(TestTlsFiles tls) : IClassFixture<TestTlsFiles>
{
    [Fact]
    public async Task Health_AnswersOverHttps_WithTheStorageReachable()
    {
        tls.Require();
        using var server = ServerProcess.Start([.. Https(), .. Sqlite("health")]);
        var address = await server.WaitUntilListeningAsync();
        Assert.Equal("https", address.Scheme);

        using var client = tls.PinnedClient();
        using var response = await client.GetAsync(new Uri(address, "/health?token=query-canary-5f2c"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("sqlite", body.RootElement.GetProperty("storage").GetProperty("kind").GetString());
        Assert.True(body.RootElement.GetProperty("storage").GetProperty("reachable").GetBoolean());

        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());

        // The request line is logged with its path, never its query string.
        Assert.Contains("\"Path\":\"/health\"", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("query-canary-5f2c", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientThatDoesNotTrustTheCertificate_IsRefused()
    {
        tls.Require();
        using var server = ServerProcess.Start([.. Https(), .. Sqlite("untrusted")]);
        var address = await server.WaitUntilListeningAsync();
        using var client = new HttpClient { Timeout = ServerProcess.Patience };
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(address, "/health"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task PlainHttpWithTheExplicitFlagOnLoopback_ServesHealth()
    {
        using var server = ServerProcess.Start(["--listen", "127.0.0.1", "--port", "0", "--insecure-http", .. Sqlite("insecure")]);
        var address = await server.WaitUntilListeningAsync();
        Assert.Equal("http", address.Scheme);
        using var client = new HttpClient { Timeout = ServerProcess.Patience };
        using var response = await client.GetAsync(new Uri(address, "/health"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sigterm_StopsTheServerPromptly_WithExitCode0()
    {
        tls.Require();
        using var server = ServerProcess.Start([.. Https(), .. Sqlite("sigterm")]);
        await server.WaitUntilListeningAsync();
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.Contains("\"Message\":\"Stopped\"", server.Output, StringComparison.Ordinal);
        Assert.Equal("", server.Errors);
    }

    [Fact]
    public async Task EnvironmentOverridesTheConfigurationFile_AndFlagsOverrideTheEnvironment()
    {
        tls.Require();
        var config = tls.Scratch("precedence.yaml");
        File.WriteAllText(config, $"""
            listenAddress: 127.0.0.1
            port: 0
            certificate: {tls.CertificatePath}
            key: {tls.KeyPath}
            storage: sqlite
            sqlitePath: {tls.Scratch("precedence/server.db")}
            replayWindowSeconds: 100
            """);

        Assert.Equal(100, await ReplayWindowOf(["--config", config], []));
        Assert.Equal(200, await ReplayWindowOf(["--config", config], [new("SECRETOPS_SERVER_REPLAY_WINDOW_SECONDS", "200")]));
        Assert.Equal(300, await ReplayWindowOf(["--config", config, "--replay-window", "300"], [new("SECRETOPS_SERVER_REPLAY_WINDOW_SECONDS", "200")]));

        // SECRETOPS_SERVER_CONFIG names the file when --config does not.
        Assert.Equal(100, await ReplayWindowOf([], [new("SECRETOPS_SERVER_CONFIG", config)]));
    }

    private static async Task<int> ReplayWindowOf(string[] arguments, KeyValuePair<string, string?>[] environment)
    {
        using var server = ServerProcess.Start(arguments, environment);
        await server.WaitUntilListeningAsync();
        var line = server.Output.Split('\n').First(l => l.Contains("\"Message\":\"Listening on", StringComparison.Ordinal));
        using var log = JsonDocument.Parse(line);
        return log.RootElement.GetProperty("State").GetProperty("ReplayWindowSeconds").GetInt32();
    }

    private string[] Https() => ["--listen", "127.0.0.1", "--port", "0", "--cert", tls.CertificatePath, "--key", tls.KeyPath];

    private string[] Sqlite(string name) => ["--sqlite-path", tls.Scratch($"{name}/server.db")];
}
