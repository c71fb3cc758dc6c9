namespace SecretOps.Server.Tests.Hosting;

/// <summary>Settings the real server process refuses at start: the exit code and one line on standard error naming what is wrong.</summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ServerRefusalTests(TestTlsFiles tls) : IClassFixture<TestTlsFiles>
{
    private const int Usage = 2;
    private const int NotFound = 3;

    [Fact]
    public async Task PlainHttpOnANonLoopbackAddress_IsRefused()
    {
        var errors = await Refused(Usage, ["--listen", "0.0.0.0", "--port", "0", "--insecure-http", .. Sqlite()]);
        Assert.Contains("--insecure-http", errors, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0 is not one", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCertificateWithoutTheInsecureFlag_IsRefused_EvenOnLoopback()
    {
        var errors = await Refused(Usage, ["--listen", "127.0.0.1", "--port", "0", .. Sqlite()]);
        Assert.Contains("HTTPS needs a certificate and its key", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingKeyFile_IsRefused_NamingIt()
    {
        tls.Require();
        var errors = await Refused(NotFound, [.. Https(tls.MissingKeyPath), .. Sqlite()]);
        Assert.Contains(tls.MissingKeyPath, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyFileOthersCanRead_IsRefused_NamingItAndItsMode()
    {
        tls.Require();
        var errors = await Refused(Usage, [.. Https(tls.OpenKeyPath), .. Sqlite()]);
        Assert.Contains(tls.OpenKeyPath, errors, StringComparison.Ordinal);
        Assert.Contains("0644", errors, StringComparison.Ordinal);
        Assert.Contains("chmod 600", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyFileThatIsNotAPemKey_IsRefused_NamingIt()
    {
        tls.Require();
        var errors = await Refused(Usage, [.. Https(tls.NotPemKeyPath), .. Sqlite()]);
        Assert.Contains(tls.NotPemKeyPath, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyPathThatIsAFolder_IsRefused_NamingIt()
    {
        tls.Require();
        var errors = await Refused(Usage, [.. Https(tls.DirectoryKeyPath), .. Sqlite()]);
        Assert.Contains(tls.DirectoryKeyPath, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardingWithoutTrustedProxies_IsRefused()
    {
        var errors = await Refused(Usage, ["--listen", "127.0.0.1", "--port", "0", "--insecure-http", "--forwarded-headers", "true", .. Sqlite()]);
        Assert.Contains("trustedProxies is empty", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownKeyInTheConfigurationFile_IsRefused_NamingIt()
    {
        var config = tls.Scratch("unknown-key.yaml");
        File.WriteAllText(config, "port: 0\nlistenAdress: 127.0.0.1\n");
        var errors = await Refused(Usage, ["--config", config, "--insecure-http", .. Sqlite()]);
        Assert.Contains("unknown key 'listenAdress'", errors, StringComparison.Ordinal);
        Assert.Contains(config, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownServerEnvironmentVariable_IsRefused_NamingIt()
    {
        var errors = await Refused(Usage, ["--port", "0", "--insecure-http", .. Sqlite()], [new("SECRETOPS_SERVER_LISTEN_ADRESS", "127.0.0.1")]);
        Assert.Contains("SECRETOPS_SERVER_LISTEN_ADRESS", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConfigurationFile_IsRefused_NamingIt()
    {
        var config = tls.Scratch("absent.yaml");
        var errors = await Refused(NotFound, ["--config", config]);
        Assert.Contains(config, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownFlag_IsAUsageError()
    {
        var errors = await Refused(Usage, ["--insecure-http", "--sqlite", "server.db"]);
        Assert.Contains("--sqlite", errors, StringComparison.Ordinal);
    }

    private static async Task<string> Refused(int exitCode, string[] arguments, KeyValuePair<string, string?>[]? environment = null)
    {
        using var server = ServerProcess.Start(arguments, environment);
        var code = await server.WaitForExitAsync();
        Assert.True(code == exitCode, $"exit code {code}, expected {exitCode}\nstdout:\n{server.Output}\nstderr:\n{server.Errors}");
        Assert.StartsWith("secretops-server: ", server.Errors, StringComparison.Ordinal);
        return server.Errors;
    }

    private string[] Https(string key) => ["--listen", "127.0.0.1", "--port", "0", "--cert", tls.CertificatePath, "--key", key];

    private string[] Sqlite() => ["--sqlite-path", tls.Scratch("refusals/server.db")];
}
