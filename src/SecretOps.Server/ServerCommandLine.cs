using System.CommandLine;
using SecretOps.Server.Configuration;

namespace SecretOps.Server;

/// <summary>
/// The server's command line. Each flag overrides the same setting from SECRETOPS_SERVER_* and the configuration
/// file. The PostgreSQL connection string has no flag: it may hold a password, and a command line is readable by
/// every local user.
/// </summary>
internal static class ServerCommandLine
{
    public static readonly Option<string?> Config = new("--config")
    {
        Description = $"The YAML configuration file. Default: {ServerEnvironment.ConfigVariable}, or none.",
        HelpName = "PATH",
        Recursive = true,
    };

    public static readonly Option<string?> Listen = new("--listen")
    {
        Description = "The IP address to listen on (listenAddress). Default: 127.0.0.1.",
        HelpName = "ADDRESS",
    };

    public static readonly Option<int?> Port = new("--port")
    {
        Description = $"The TCP port (port); 0 for any free one. Default: {ServerSettings.DefaultPort}.",
        HelpName = "PORT",
    };

    public static readonly Option<string?> Certificate = new("--cert")
    {
        Description = "The PEM certificate file, intermediates after the server's certificate (certificate).",
        HelpName = "PATH",
    };

    public static readonly Option<string?> Key = new("--key")
    {
        Description = "The certificate's PEM private key file, readable by its owner only (key).",
        HelpName = "PATH",
    };

    public static readonly Option<bool> InsecureHttp = new("--insecure-http")
    {
        Description = "Serve plain HTTP instead of HTTPS; only on a loopback address. Only this flag can turn HTTPS off.",
    };

    public static readonly Option<string?> Storage = new("--storage")
    {
        Description = "sqlite or postgres (storage). Default: sqlite. PostgreSQL's connection string is read from the configuration file or SECRETOPS_SERVER_POSTGRES_CONNECTION only.",
        HelpName = "KIND",
        Recursive = true,
    };

    public static readonly Option<string?> SqlitePath = new("--sqlite-path")
    {
        Description = "The SQLite database file (sqlitePath).",
        HelpName = "PATH",
        Recursive = true,
    };

    public static readonly Option<int?> ReplayWindow = new("--replay-window")
    {
        Description = $"Seconds a request's timestamp may differ from the server's clock (replayWindowSeconds), {ServerSettings.MinReplayWindowSeconds} to {ServerSettings.MaxReplayWindowSeconds}. Default: {ServerSettings.DefaultReplayWindowSeconds}.",
        HelpName = "SECONDS",
    };

    public static readonly Option<bool?> ForwardedHeaders = new("--forwarded-headers")
    {
        Description = "Honour X-Forwarded-For from the trusted proxies (forwardedHeaders): true or false.",
        HelpName = "true|false",
    };

    public static readonly Option<string[]?> TrustedProxy = new("--trusted-proxy")
    {
        Description = "A proxy's CIDR range (trustedProxies); repeat for several. Replaces the configured list.",
        HelpName = "CIDR",
    };

    public static readonly Option<string?> LogLevel = new("--log-level")
    {
        Description = "Trace, Debug, Information, Warning, Error, Critical or None (logLevel). Default: Information.",
        HelpName = "LEVEL",
    };

    public static readonly Option<int?> FailedAuthLimit = new("--failed-auth-limit")
    {
        Description = $"Failed authentications per address, and per client id, within the window before requests get 429 (failedAuthLimit), 1 to {ServerSettings.MaxFailedAuthSetting}. Default: {ServerSettings.DefaultFailedAuthLimit}.",
        HelpName = "N",
    };

    public static readonly Option<int?> FailedAuthWindow = new("--failed-auth-window")
    {
        Description = $"The sliding window failed authentications are counted in, in seconds (failedAuthWindowSeconds), 1 to {ServerSettings.MaxFailedAuthSetting}. Default: {ServerSettings.DefaultFailedAuthWindowSeconds}.",
        HelpName = "SECONDS",
    };

    public static readonly Option<int?> AuditRetentionDays = new("--audit-retention-days")
    {
        Description = $"Days audit rows are kept before the background pruning deletes them (auditRetentionDays), 1 to {ServerSettings.MaxAuditRetentionDays}; 0 keeps them for ever. Default: 0.",
        HelpName = "DAYS",
    };

    /// <summary>The root command, with every option; the storage options and --config also apply to the operator's commands.</summary>
    public static RootCommand Build() =>
    [
        Config, Listen, Port, Certificate, Key, InsecureHttp, Storage, SqlitePath, ReplayWindow, ForwardedHeaders, TrustedProxy, LogLevel,
        FailedAuthLimit, FailedAuthWindow, AuditRetentionDays,
    ];

    /// <summary>The settings the flags give; null where a flag is absent.</summary>
    public static ServerSettingsLayer Read(ParseResult result) => new()
    {
        ListenAddress = result.GetValue(Listen),
        Port = result.GetValue(Port),
        Certificate = result.GetValue(Certificate),
        Key = result.GetValue(Key),
        Storage = result.GetValue(Storage),
        SqlitePath = result.GetValue(SqlitePath),
        ReplayWindowSeconds = result.GetValue(ReplayWindow),
        ForwardedHeaders = result.GetValue(ForwardedHeaders),
        TrustedProxies = result.GetValue(TrustedProxy)?.ToList(),
        LogLevel = result.GetValue(LogLevel),
        FailedAuthLimit = result.GetValue(FailedAuthLimit),
        FailedAuthWindowSeconds = result.GetValue(FailedAuthWindow),
        AuditRetentionDays = result.GetValue(AuditRetentionDays),
    };
}
