namespace SecretOps.Server.Tests.Hosting;

/// <summary>Settings the real server process refuses at start: the exit code and one line on standard error naming what is wrong.</summary>
[Collection(ServerProcessCollection.Name)]
public sealed class ServerRefusalTests(TestTlsFiles tls) : IClassFixture<TestTlsFiles>
{
    private const int Usage = 2;
    private const int NotFound = 3;

    [Fact]
    public async Task Plain_http_on_a_non_loopback_address_is_refused()
    {
        var errors = await Refused(Usage, ["--listen", "0.0.0.0", "--port", "0", "--insecure-http", .. Sqlite()]);
        Assert.Contains("--insecure-http", errors, StringComparison.Ordinal);
        Assert.Contains("0.0.0.0 is not one", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_certificate_without_the_insecure_flag_is_refused_even_on_loopback()
    {
        var errors = await Refused(Usage, ["--listen", "127.0.0.1", "--port", "0", .. Sqlite()]);
        Assert.Contains("HTTPS needs a certificate and its key", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_key_file_is_refused_naming_it()
    {
        tls.Require();
        var errors = await Refused(NotFound, [.. Https(tls.MissingKeyPath), .. Sqlite()]);
        Assert.Contains(tls.MissingKeyPath, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_file_others_can_read_is_refused_naming_it_and_its_mode()
    {
        tls.Require();
        var errors = await Refused(Usage, [.. Https(tls.OpenKeyPath), .. Sqlite()]);
        Assert.Contains(tls.OpenKeyPath, errors, StringComparison.Ordinal);
        Assert.Contains("0644", errors, StringComparison.Ordinal);
        Assert.Contains("chmod 600", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_file_that_is_not_a_pem_key_is_refused_naming_it()
    {
        tls.Require();
        var errors = await Refused(Usage, [.. Https(tls.NotPemKeyPath), .. Sqlite()]);
        Assert.Contains(tls.NotPemKeyPath, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_path_that_cannot_be_read_as_a_file_is_refused_naming_it()
    {
        tls.Require();
        var errors = await Refused(Usage, [.. Https(tls.DirectoryKeyPath), .. Sqlite()]);
        Assert.Contains(tls.DirectoryKeyPath, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarding_without_trusted_proxies_is_refused()
    {
        var errors = await Refused(Usage, ["--listen", "127.0.0.1", "--port", "0", "--insecure-http", "--forwarded-headers", "true", .. Sqlite()]);
        Assert.Contains("trustedProxies is empty", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_key_in_the_configuration_file_is_refused_naming_it()
    {
        var config = tls.Scratch("unknown-key.yaml");
        File.WriteAllText(config, "port: 0\nlistenAdress: 127.0.0.1\n");
        var errors = await Refused(Usage, ["--config", config, "--insecure-http", .. Sqlite()]);
        Assert.Contains("unknown key 'listenAdress'", errors, StringComparison.Ordinal);
        Assert.Contains(config, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_server_environment_variable_is_refused_naming_it()
    {
        var errors = await Refused(Usage, ["--port", "0", "--insecure-http", .. Sqlite()], [new("SECRETOPS_SERVER_LISTEN_ADRESS", "127.0.0.1")]);
        Assert.Contains("SECRETOPS_SERVER_LISTEN_ADRESS", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_configuration_file_is_refused_naming_it()
    {
        var config = tls.Scratch("absent.yaml");
        var errors = await Refused(NotFound, ["--config", config]);
        Assert.Contains(config, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_flag_is_a_usage_error()
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
