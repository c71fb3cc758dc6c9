using System.Collections;
using Microsoft.Extensions.Logging;
using SecretOps.Server.Configuration;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Configuration;

/// <summary>How settings merge and what <see cref="ServerSettings.Resolve"/> refuses, in process.</summary>
public sealed class ServerSettingsTests
{
    [Fact]
    public void Defaults_AreLoopback8443Sqlite300SecondsInformation()
    {
        var settings = ServerSettings.Resolve(new ServerSettingsLayer { SqlitePath = "server.db" }, insecureHttp: true);
        Assert.Equal("127.0.0.1", settings.ListenAddress.ToString());
        Assert.Equal(8443, settings.Port);
        Assert.Null(settings.Tls);
        Assert.Equal(StorageKind.Sqlite, settings.Storage);
        Assert.Equal(300, settings.ReplayWindowSeconds);
        Assert.Empty(settings.AddressResolver.TrustedProxies);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
        Assert.Equal((10, 60), (settings.FailedAuthLimit, settings.FailedAuthWindowSeconds));
    }

    [Fact]
    public void FailedAuthSettings_ComeFromEveryLayer_AndAreRefusedOutOfRange()
    {
        var merged = ServerConfigFile.Parse("failedAuthLimit: 5\nfailedAuthWindowSeconds: 30\n", "test.yaml");
        merged.Overlay(ServerEnvironment.Read(new Hashtable { ["SECRETOPS_SERVER_FAILED_AUTH_WINDOW_SECONDS"] = "120" }));
        merged.SqlitePath = "server.db";
        var settings = ServerSettings.Resolve(merged, insecureHttp: true);
        Assert.Equal((5, 120), (settings.FailedAuthLimit, settings.FailedAuthWindowSeconds));

        merged.FailedAuthLimit = 0;
        Assert.Contains("failedAuthLimit", Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(merged, insecureHttp: true)).Message, StringComparison.Ordinal);
        merged.FailedAuthLimit = 5;
        merged.FailedAuthWindowSeconds = 3601;
        Assert.Contains("failedAuthWindowSeconds", Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(merged, insecureHttp: true)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(3650, true)]
    [InlineData(-1, false)]
    [InlineData(3651, false)]
    public void AuditRetention_IsForEverByDefault_Or1To3650Days(int days, bool accepted)
    {
        var layer = new ServerSettingsLayer { SqlitePath = "server.db", AuditRetentionDays = days };
        if (accepted)
        {
            Assert.Equal(days, ServerSettings.Resolve(layer, insecureHttp: true).AuditRetentionDays);
        }
        else
        {
            Assert.Contains("auditRetentionDays", Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(layer, insecureHttp: true)).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AuditRetention_ComesFromTheFileAndTheEnvironment_DefaultZero()
    {
        Assert.Equal(0, ServerSettings.Resolve(new ServerSettingsLayer { SqlitePath = "server.db" }, insecureHttp: true).AuditRetentionDays);
        var merged = ServerConfigFile.Parse("auditRetentionDays: 90\nsqlitePath: server.db\n", "test.yaml");
        Assert.Equal(90, ServerSettings.Resolve(merged, insecureHttp: true).AuditRetentionDays);
        merged.Overlay(ServerEnvironment.Read(new Hashtable { ["SECRETOPS_SERVER_AUDIT_RETENTION_DAYS"] = "400" }));
        Assert.Equal(400, ServerSettings.Resolve(merged, insecureHttp: true).AuditRetentionDays);
    }

    [Fact]
    public void TrustedProxiesWithForwardingOff_OrAZeroPrefix_AreRefused()
    {
        Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(
            new ServerSettingsLayer { SqlitePath = "server.db", TrustedProxies = ["10.0.0.0/8"] }, insecureHttp: true));
        Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(
            new ServerSettingsLayer { SqlitePath = "server.db", ForwardedHeaders = true, TrustedProxies = ["0.0.0.0/0"] }, insecureHttp: true));
    }

    [Theory]
    [InlineData(30, true)]
    [InlineData(3600, true)]
    [InlineData(29, false)]
    [InlineData(3601, false)]
    [InlineData(0, false)]
    public void ReplayWindow_Is30To3600Seconds(int seconds, bool accepted)
    {
        var layer = new ServerSettingsLayer { SqlitePath = "server.db", ReplayWindowSeconds = seconds };
        if (accepted)
        {
            Assert.Equal(seconds, ServerSettings.Resolve(layer, insecureHttp: true).ReplayWindowSeconds);
        }
        else
        {
            var e = Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(layer, insecureHttp: true));
            Assert.Contains("replayWindowSeconds", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Forwarding_TakesTheTrustedProxiesAsCidrRanges()
    {
        var layer = new ServerSettingsLayer { SqlitePath = "server.db", ForwardedHeaders = true, TrustedProxies = ["10.0.0.0/8", "2001:db8::/32"] };
        var proxies = ServerSettings.Resolve(layer, insecureHttp: true).AddressResolver.TrustedProxies;
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], proxies.Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.1/33")]
    [InlineData("proxy.example.net")]
    public void TrustedProxyThatIsNotACidrRange_IsRefused_NamingIt(string entry)
    {
        var layer = new ServerSettingsLayer { SqlitePath = "server.db", ForwardedHeaders = true, TrustedProxies = [entry] };
        var e = Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(layer, insecureHttp: true));
        Assert.Contains(entry, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres", "postgresConnection")]
    [InlineData("mysql", "use sqlite or postgres")]
    public void Storage_NeedsItsOwnSetting(string storage, string expected)
    {
        var e = Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(new ServerSettingsLayer { Storage = storage }, insecureHttp: true));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Verbose")]
    [InlineData("7")]
    public void UnknownLogLevel_IsRefused(string level)
    {
        var layer = new ServerSettingsLayer { SqlitePath = "server.db", LogLevel = level };
        Assert.Throws<InvalidParameterException>(() => ServerSettings.Resolve(layer, insecureHttp: true));
    }

    [Fact]
    public void ALaterLayerWins_AndASilentOneKeepsWhatWasSet()
    {
        var merged = ServerConfigFile.Parse("port: 1000\nreplayWindowSeconds: 100\ntrustedProxies: [10.0.0.0/8]\n", "test.yaml");
        merged.Overlay(ServerEnvironment.Read(new Hashtable { ["SECRETOPS_SERVER_PORT"] = "2000", ["SECRETOPS_SERVER_TRUSTED_PROXIES"] = "192.0.2.0/24, 198.51.100.0/24" }));
        merged.Overlay(new ServerSettingsLayer { Port = 3000 });
        Assert.Equal(3000, merged.Port);
        Assert.Equal(100, merged.ReplayWindowSeconds);
        Assert.Equal(["192.0.2.0/24", "198.51.100.0/24"], merged.TrustedProxies);
    }

    [Theory]
    [InlineData("port: 1\nport: 2\n", "line 2")]
    [InlineData("port: eighty\n", "wrong type")]
    [InlineData("tls:\n  cert: x\n", "unknown key 'tls'")]
    public void MalformedConfigurationFile_IsRefused_SayingWhere(string yaml, string expected)
    {
        var e = Assert.Throws<InvalidParameterException>(() => ServerConfigFile.Parse(yaml, "server.yaml"));
        Assert.Contains("server.yaml", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedEnvironmentVariable_IsRefused_NamingIt()
    {
        var e = Assert.Throws<InvalidParameterException>(() => ServerEnvironment.Read(new Hashtable { ["SECRETOPS_SERVER_FORWARDED_HEADERS"] = "yes" }));
        Assert.Contains("SECRETOPS_SERVER_FORWARDED_HEADERS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheClisServerPathVariable_IsIgnored_ButAMisspeltServerVariableIsRefused()
    {
        // `secretops serve` finds the server through SECRETOPS_SERVER_PATH, and the server it starts inherits it.
        var layer = ServerEnvironment.Read(new Hashtable { [ServerEnvironment.ServerPathVariable] = "/opt/secretops/server", ["SECRETOPS_SERVER_PORT"] = "2000" });
        Assert.Equal(2000, layer.Port);
        var e = Assert.Throws<InvalidParameterException>(() => ServerEnvironment.Read(new Hashtable { ["SECRETOPS_SERVER_PATHS"] = "/opt" }));
        Assert.Contains("SECRETOPS_SERVER_PATHS", e.Message, StringComparison.Ordinal);
    }
}
