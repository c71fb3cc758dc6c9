using System.Collections;
using System.Globalization;

namespace SecretOps.Server.Configuration;

/// <summary>
/// The SECRETOPS_SERVER_* environment variables: one per setting (SECRETOPS_SERVER_LISTEN_ADDRESS for
/// <c>listenAddress</c>, …; SECRETOPS_SERVER_TRUSTED_PROXIES is comma-separated) and SECRETOPS_SERVER_CONFIG for the
/// configuration file. An unknown SECRETOPS_SERVER_ variable is refused, so a misspelt one is never silently ignored.
/// </summary>
public static class ServerEnvironment
{
    /// <summary>The configuration file's path, when <c>--config</c> is not given.</summary>
    public const string ConfigVariable = "SECRETOPS_SERVER_CONFIG";

    /// <summary>Where <c>secretops serve</c> finds the server: the CLI's variable, which the server inherits and ignores.</summary>
    public const string ServerPathVariable = "SECRETOPS_SERVER_PATH";

    private const string Prefix = "SECRETOPS_SERVER_";

    private static readonly Dictionary<string, Action<ServerSettingsLayer, string, string>> Setters = new(StringComparer.Ordinal)
    {
        ["SECRETOPS_SERVER_LISTEN_ADDRESS"] = (layer, _, value) => layer.ListenAddress = value,
        ["SECRETOPS_SERVER_PORT"] = (layer, name, value) => layer.Port = ParseInteger(name, value),
        ["SECRETOPS_SERVER_CERTIFICATE"] = (layer, _, value) => layer.Certificate = value,
        ["SECRETOPS_SERVER_KEY"] = (layer, _, value) => layer.Key = value,
        ["SECRETOPS_SERVER_STORAGE"] = (layer, _, value) => layer.Storage = value,
        ["SECRETOPS_SERVER_SQLITE_PATH"] = (layer, _, value) => layer.SqlitePath = value,
        ["SECRETOPS_SERVER_POSTGRES_CONNECTION"] = (layer, _, value) => layer.PostgresConnection = value,
        ["SECRETOPS_SERVER_REPLAY_WINDOW_SECONDS"] = (layer, name, value) => layer.ReplayWindowSeconds = ParseInteger(name, value),
        ["SECRETOPS_SERVER_FORWARDED_HEADERS"] = (layer, name, value) => layer.ForwardedHeaders = ParseFlag(name, value),
        ["SECRETOPS_SERVER_TRUSTED_PROXIES"] = (layer, _, value) =>
            layer.TrustedProxies = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        ["SECRETOPS_SERVER_LOG_LEVEL"] = (layer, _, value) => layer.LogLevel = value,
        ["SECRETOPS_SERVER_FAILED_AUTH_LIMIT"] = (layer, name, value) => layer.FailedAuthLimit = ParseInteger(name, value),
        ["SECRETOPS_SERVER_FAILED_AUTH_WINDOW_SECONDS"] = (layer, name, value) => layer.FailedAuthWindowSeconds = ParseInteger(name, value),
        ["SECRETOPS_SERVER_AUDIT_RETENTION_DAYS"] = (layer, name, value) => layer.AuditRetentionDays = ParseInteger(name, value),
    };

    /// <summary>The settings the given variables hold; an empty variable says nothing.</summary>
    public static ServerSettingsLayer Read(IDictionary variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var layer = new ServerSettingsLayer();
        foreach (DictionaryEntry entry in variables)
        {
            var name = (string)entry.Key;
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || name is ConfigVariable or ServerPathVariable || entry.Value is not string { Length: > 0 } value)
            {
                continue;
            }

            if (!Setters.TryGetValue(name, out var set))
            {
                throw new InvalidParameterException(name, $"Unknown environment variable {name}; the server reads {string.Join(", ", Setters.Keys.Append(ConfigVariable).Order(StringComparer.Ordinal))}.");
            }

            set(layer, name, value);
        }

        return layer;
    }

    private static int ParseInteger(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number
            : throw new InvalidParameterException(name, $"{name} is '{value}'; it must be a whole number.");

    private static bool ParseFlag(string name, string value) => value.ToUpperInvariant() switch
    {
        "1" or "TRUE" => true,
        "0" or "FALSE" => false,
        _ => throw new InvalidParameterException(name, $"{name} is '{value}'; use 1, 0, true or false."),
    };
}
