namespace SecretOps.Server.Configuration;

/// <summary>
/// One source's settings (the YAML file, the environment or the command line), each null where that source says
/// nothing. The YAML file's keys are these properties' names in camelCase (<c>listenAddress</c>, <c>sqlitePath</c>…).
/// </summary>
public sealed class ServerSettingsLayer
{
    /// <summary>The IP address to listen on (or <c>localhost</c>); default 127.0.0.1.</summary>
    public string? ListenAddress { get; set; }

    /// <summary>The TCP port; default 8443; 0 picks a free one (the log's "Listening on" line names it).</summary>
    public int? Port { get; set; }

    /// <summary>The PEM certificate file (the chain may follow the server's certificate).</summary>
    public string? Certificate { get; set; }

    /// <summary>The PEM private key file of the certificate; readable by its owner only.</summary>
    public string? Key { get; set; }

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string? Storage { get; set; }

    /// <summary>The SQLite database file, with <c>storage: sqlite</c>.</summary>
    public string? SqlitePath { get; set; }

    /// <summary>The Npgsql connection string, with <c>storage: postgres</c>. Never a command-line flag: it may hold a password.</summary>
    public string? PostgresConnection { get; set; }

    /// <summary>How far a request's timestamp may be from the server's clock, in seconds: 30 to 3600, default 300.</summary>
    public int? ReplayWindowSeconds { get; set; }

    /// <summary>Honour X-Forwarded-For from <see cref="TrustedProxies"/>; default false.</summary>
    public bool? ForwardedHeaders { get; set; }

    /// <summary>The proxies (CIDR ranges) whose X-Forwarded-For is honoured.</summary>
    public List<string>? TrustedProxies { get; set; }

    /// <summary>Trace, Debug, Information (default), Warning, Error, Critical or None.</summary>
    public string? LogLevel { get; set; }

    /// <summary>Failed authentications per address, and per client id, within the window before further requests get 429; default 10.</summary>
    public int? FailedAuthLimit { get; set; }

    /// <summary>The sliding window of <see cref="FailedAuthLimit"/>, in seconds; default 60.</summary>
    public int? FailedAuthWindowSeconds { get; set; }

    /// <summary>Days the server's audit rows are kept: 1 to 3650; default 0, for ever.</summary>
    public int? AuditRetentionDays { get; set; }

    /// <summary>Copies every setting <paramref name="over"/> gives onto this layer: the later source wins.</summary>
    public void Overlay(ServerSettingsLayer over)
    {
        ArgumentNullException.ThrowIfNull(over);
        ListenAddress = over.ListenAddress ?? ListenAddress;
        Port = over.Port ?? Port;
        Certificate = over.Certificate ?? Certificate;
        Key = over.Key ?? Key;
        Storage = over.Storage ?? Storage;
        SqlitePath = over.SqlitePath ?? SqlitePath;
        PostgresConnection = over.PostgresConnection ?? PostgresConnection;
        ReplayWindowSeconds = over.ReplayWindowSeconds ?? ReplayWindowSeconds;
        ForwardedHeaders = over.ForwardedHeaders ?? ForwardedHeaders;
        TrustedProxies = over.TrustedProxies ?? TrustedProxies;
        LogLevel = over.LogLevel ?? LogLevel;
        FailedAuthLimit = over.FailedAuthLimit ?? FailedAuthLimit;
        FailedAuthWindowSeconds = over.FailedAuthWindowSeconds ?? FailedAuthWindowSeconds;
        AuditRetentionDays = over.AuditRetentionDays ?? AuditRetentionDays;
    }
}
