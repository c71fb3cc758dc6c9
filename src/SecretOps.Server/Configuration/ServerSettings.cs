using System.Net;
using Microsoft.Extensions.Logging;
using SecretOps.Core.Remote;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Configuration;

/// <summary>
/// The server's settings once every source is merged (defaults, then the YAML file, then SECRETOPS_SERVER_*
/// variables, then command-line flags) and checked. Anything that would start an unsafe or unusable server is
/// refused here, before a socket or file is opened, with an <see cref="InvalidParameterException"/> naming the setting.
/// </summary>
public sealed class ServerSettings
{
    /// <summary>The port when none is given.</summary>
    public const int DefaultPort = 8443;

    /// <summary>The replay window when none is given, in seconds (as AWS allows for clock skew).</summary>
    public const int DefaultReplayWindowSeconds = 300;

    /// <summary>The shortest replay window accepted, in seconds.</summary>
    public const int MinReplayWindowSeconds = 30;

    /// <summary>The longest replay window accepted, in seconds.</summary>
    public const int MaxReplayWindowSeconds = 3600;

    /// <summary>Failed authentications per address or client id within the window before 429, when none is given.</summary>
    public const int DefaultFailedAuthLimit = 10;

    /// <summary>The failed-authentication window when none is given, in seconds.</summary>
    public const int DefaultFailedAuthWindowSeconds = 60;

    /// <summary>The largest failed-authentication limit and window accepted.</summary>
    public const int MaxFailedAuthSetting = 3600;

    /// <summary>The longest audit retention accepted, in days (ten years).</summary>
    public const int MaxAuditRetentionDays = 3650;

    private ServerSettings(IPAddress listenAddress, int port, TlsFiles? tls, StorageLocation storage,
        int replayWindowSeconds, ClientAddressResolver addressResolver, LogLevel logLevel, int failedAuthLimit, int failedAuthWindowSeconds,
        int auditRetentionDays)
    {
        ListenAddress = listenAddress;
        Port = port;
        Tls = tls;
        Storage = storage.Kind;
        StorageConnection = storage.Connection;
        FailedAuthLimit = failedAuthLimit;
        FailedAuthWindowSeconds = failedAuthWindowSeconds;
        ReplayWindowSeconds = replayWindowSeconds;
        AddressResolver = addressResolver;
        LogLevel = logLevel;
        AuditRetentionDays = auditRetentionDays;
    }

    /// <summary>The address Kestrel listens on.</summary>
    public IPAddress ListenAddress { get; }

    /// <summary>The port Kestrel listens on; 0 for any free one.</summary>
    public int Port { get; }

    /// <summary>The certificate and key files; null only for plain HTTP on loopback (<c>--insecure-http</c>).</summary>
    public TlsFiles? Tls { get; }

    /// <summary>Which storage the server uses.</summary>
    public StorageKind Storage { get; }

    /// <summary>The SQLite file's path, or the PostgreSQL connection string (never logged: it may hold a password).</summary>
    public string StorageConnection { get; }

    /// <summary>How far a request's timestamp may be from the server's clock, in seconds.</summary>
    public int ReplayWindowSeconds { get; }

    /// <summary>How a request's client address is found: the peer, or X-Forwarded-For from a trusted proxy (docs/SERVER-PROTOCOL.md §7).</summary>
    public ClientAddressResolver AddressResolver { get; }

    /// <summary>The least severe log level written.</summary>
    public LogLevel LogLevel { get; }

    /// <summary>Failed authentications per resolved address, and per claimed client id, within the window before requests get 429.</summary>
    public int FailedAuthLimit { get; }

    /// <summary>The sliding window failed authentications are counted in, in seconds.</summary>
    public int FailedAuthWindowSeconds { get; }

    /// <summary>Days audit rows are kept before the background pruning deletes them; 0 keeps them for ever.</summary>
    public int AuditRetentionDays { get; }

    /// <summary>
    /// Checks <paramref name="merged"/>; <paramref name="insecureHttp"/> is the <c>--insecure-http</c> flag, which
    /// only the command line can give, so no file or inherited variable can turn TLS off.
    /// </summary>
    public static ServerSettings Resolve(ServerSettingsLayer merged, bool insecureHttp)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var address = ParseListenAddress(merged.ListenAddress ?? "127.0.0.1");
        var port = merged.Port ?? DefaultPort;
        if (port is < 0 or > 65535)
        {
            throw new InvalidParameterException("port", $"port is {port}; it must be 0 to 65535.");
        }

        TlsFiles? tls = null;
        if (insecureHttp)
        {
            if (!IPAddress.IsLoopback(address))
            {
                throw new InvalidParameterException("insecure-http",
                    $"--insecure-http serves plain HTTP, which is only allowed on a loopback address; {address} is not one. Give a certificate and key (--cert, --key) for HTTPS.");
            }
        }
        else
        {
            if (merged.Certificate is not { Length: > 0 } certificate || merged.Key is not { Length: > 0 } key)
            {
                throw new InvalidParameterException("certificate",
                    "HTTPS needs a certificate and its key: set certificate and key in the configuration file, SECRETOPS_SERVER_CERTIFICATE and SECRETOPS_SERVER_KEY, or --cert and --key. " +
                    "Plain HTTP is only for a loopback address, with --insecure-http.");
            }

            tls = new TlsFiles(Path.GetFullPath(certificate), Path.GetFullPath(key));
        }

        var storage = ResolveStorage(merged);
        var window = merged.ReplayWindowSeconds ?? DefaultReplayWindowSeconds;
        if (window is < MinReplayWindowSeconds or > MaxReplayWindowSeconds)
        {
            throw new InvalidParameterException("replayWindowSeconds",
                $"replayWindowSeconds is {window}; it must be {MinReplayWindowSeconds} to {MaxReplayWindowSeconds}.");
        }

        return new ServerSettings(address, port, tls, storage, window, ResolveForwarding(merged), ParseLogLevel(merged.LogLevel),
            InRange("failedAuthLimit", merged.FailedAuthLimit ?? DefaultFailedAuthLimit),
            InRange("failedAuthWindowSeconds", merged.FailedAuthWindowSeconds ?? DefaultFailedAuthWindowSeconds),
            ResolveAuditRetention(merged.AuditRetentionDays ?? 0));
    }

    private static int ResolveAuditRetention(int days) =>
        days is >= 0 and <= MaxAuditRetentionDays ? days
            : throw new InvalidParameterException("auditRetentionDays", $"auditRetentionDays is {days}; it must be 1 to {MaxAuditRetentionDays}, or 0 to keep audit rows for ever.");

    private static IPAddress ParseListenAddress(string text) =>
        string.Equals(text, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(text, out var address) ? address
            : throw new InvalidParameterException("listenAddress", $"listenAddress '{text}' is not an IP address (or localhost).");

    /// <summary>The storage <paramref name="merged"/> names, checked; the operator's commands need nothing else.</summary>
    public static StorageLocation ResolveStorage(ServerSettingsLayer merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        switch (merged.Storage?.ToUpperInvariant() ?? "SQLITE")
        {
            case "SQLITE":
                return merged.SqlitePath is { Length: > 0 } path ? new StorageLocation(StorageKind.Sqlite, Path.GetFullPath(path))
                    : throw new InvalidParameterException("sqlitePath", "storage sqlite needs sqlitePath (SECRETOPS_SERVER_SQLITE_PATH, --sqlite-path): the database file.");
            case "POSTGRES":
                return merged.PostgresConnection is { Length: > 0 } connection ? new StorageLocation(StorageKind.Postgres, connection)
                    : throw new InvalidParameterException("postgresConnection", "storage postgres needs postgresConnection (in the configuration file or SECRETOPS_SERVER_POSTGRES_CONNECTION).");
            default:
                throw new InvalidParameterException("storage", $"storage is '{merged.Storage}'; use sqlite or postgres.");
        }
    }

    private static ClientAddressResolver ResolveForwarding(ServerSettingsLayer merged)
    {
        var forwarding = merged.ForwardedHeaders == true;

        // Said in the settings' own words first; ClientAddressResolver.Create refuses the same case too.
        if (forwarding && merged.TrustedProxies is not { Count: > 0 })
        {
            throw new InvalidParameterException("trustedProxies",
                "forwardedHeaders is on but trustedProxies is empty: X-Forwarded-For would be taken from anyone. List the proxies' CIDR ranges, or turn forwarding off.");
        }

        return ClientAddressResolver.Create(forwarding, merged.TrustedProxies ?? []);
    }

    private static int InRange(string name, int value) =>
        value is >= 1 and <= MaxFailedAuthSetting ? value
            : throw new InvalidParameterException(name, $"{name} is {value}; it must be 1 to {MaxFailedAuthSetting}.");

    private static LogLevel ParseLogLevel(string? text) =>
        text is null ? LogLevel.Information
            : Enum.TryParse<LogLevel>(text, ignoreCase: true, out var level) && Enum.IsDefined(level) && !int.TryParse(text, out _) ? level
            : throw new InvalidParameterException("logLevel", $"logLevel is '{text}'; use Trace, Debug, Information, Warning, Error, Critical or None.");
}
