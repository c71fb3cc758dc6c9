using SecretOps.Core.Secrets;

namespace SecretOps.Core.Vault;

/// <summary>How a SecretManagement vault registration authenticates its client.</summary>
public enum VaultAuthentication
{
    /// <summary>None named: the SECRETOPS_* environment and the profile, as every surface resolves them.</summary>
    Default,

    /// <summary>A file holding the client's generated secret (<c>SecretFile</c>).</summary>
    SecretFile,

    /// <summary>The client's PEM private key file (<c>KeyFile</c>).</summary>
    KeyFile,

    /// <summary>An environment variable holding the client's generated secret or passphrase (<c>SecretEnvironmentVariable</c>).</summary>
    SecretEnvironmentVariable,

    /// <summary>A passphrase given with Unlock-SecretVault (<c>Prompt</c>); locked until then.</summary>
    Prompt,
}

/// <summary>
/// A vault registration's settings, parsed from SecretManagement's VaultParameters (which arrive as the
/// case-sensitive <c>AdditionalParameters</c> table: keys are matched ignoring case). VaultParameters are
/// stored in plain JSON, so they say where a credential is, never what it is.
/// </summary>
public sealed record VaultSettings
{
    /// <summary>The keys a registration may hold.</summary>
    public static readonly IReadOnlyList<string> KnownKeys =
        ["Path", "Namespace", "Client", "Profile", "SecretFile", "KeyFile", "SecretEnvironmentVariable", "Prompt", "TokenFile"];

    /// <summary>Keys SecretManagement adds itself; ignored.</summary>
    private static readonly HashSet<string> ReservedKeys = new(StringComparer.OrdinalIgnoreCase) { "Verbose" };

    /// <summary>Keys that would carry a secret: refused, since VaultParameters are stored in clear.</summary>
    private static readonly HashSet<string> SecretKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "Passphrase", "Password", "Secret", "ClientSecret", "Key", "PrivateKey", "Token", "ApiKey", "Credential", "Pwd",
    };

    /// <summary>The store file (absolute); null to resolve it like the other surfaces (SECRETOPS_STORE, profile, default).</summary>
    public string? Path { get; init; }

    /// <summary>The namespace the vault's secrets live in; null for the resolved default.</summary>
    public string? Namespace { get; init; }

    /// <summary>The client (name or id) to connect as; null for the resolved default.</summary>
    public string? Client { get; init; }

    /// <summary>The configuration profile to resolve unset values from.</summary>
    public string? Profile { get; init; }

    /// <summary>For a store a server hosts: the enrolment token file (absolute); null for SECRETOPS_TOKEN_FILE or the profile's.</summary>
    public string? TokenFile { get; init; }

    /// <summary>How the client authenticates.</summary>
    public VaultAuthentication Authentication { get; init; }

    /// <summary>The secret file, key file or environment variable name, per <see cref="Authentication"/>.</summary>
    public string? CredentialSource { get; init; }

    /// <summary>
    /// Parses VaultParameters / AdditionalParameters. Keys ignore case; <c>Verbose</c> is ignored; unknown keys,
    /// secret-looking keys or values, non-text values and more than one credential source are refused with
    /// <see cref="InvalidParameterException"/>.
    /// </summary>
    public static VaultSettings Parse(IEnumerable<KeyValuePair<string, object?>>? parameters)
    {
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (rawKey, value) in parameters ?? [])
        {
            var key = rawKey ?? "";
            if (ReservedKeys.Contains(key))
            {
                continue;
            }

            if (SecretKeys.Contains(key))
            {
                throw new InvalidParameterException("VaultParameters",
                    $"VaultParameters must not hold a secret ('{Names.Printable(key)}'): SecretManagement stores them in plain JSON. " +
                    "Name where the credential is instead: SecretFile, KeyFile, SecretEnvironmentVariable or Prompt.");
            }

            if (!KnownKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidParameterException("VaultParameters",
                    $"Unknown VaultParameters key '{Names.Printable(key)}'; SecretOps understands {string.Join(", ", KnownKeys)}.");
            }

            if (!values.TryAdd(key, value))
            {
                throw new InvalidParameterException("VaultParameters", $"VaultParameters key '{Names.Printable(key)}' is given twice (keys ignore case).");
            }
        }

        var prompt = Flag(values, "Prompt");
        var sources = new List<(VaultAuthentication Kind, string Value)>();
        foreach (var (kind, key) in new[] { (VaultAuthentication.SecretFile, "SecretFile"), (VaultAuthentication.KeyFile, "KeyFile"), (VaultAuthentication.SecretEnvironmentVariable, "SecretEnvironmentVariable") })
        {
            if (Text(values, key) is { } source)
            {
                sources.Add((kind, source));
            }
        }

        if (sources.Count + (prompt ? 1 : 0) > 1)
        {
            throw new InvalidParameterException("VaultParameters", "Give at most one of SecretFile, KeyFile, SecretEnvironmentVariable and Prompt.");
        }

        var settings = new VaultSettings
        {
            Path = Text(values, "Path") is { } store && Remote.RemoteStoreBackend.IsServerAddress(store) ? store : AbsolutePath(Text(values, "Path"), "Path"),
            TokenFile = AbsolutePath(Text(values, "TokenFile"), "TokenFile"),
            Namespace = Text(values, "Namespace"),
            Client = Text(values, "Client"),
            Profile = Text(values, "Profile"),
            Authentication = prompt ? VaultAuthentication.Prompt : sources.Count == 1 ? sources[0].Kind : VaultAuthentication.Default,
        };

        if (settings.Namespace is { } ns)
        {
            Names.ValidateNamespaceName(ns);
        }

        return settings.Authentication switch
        {
            VaultAuthentication.SecretFile or VaultAuthentication.KeyFile => settings with { CredentialSource = AbsolutePath(sources[0].Value, sources[0].Kind.ToString()) },
            VaultAuthentication.SecretEnvironmentVariable => settings with { CredentialSource = EnvironmentVariableName(sources[0].Value) },
            _ => settings,
        };
    }

    /// <summary>The VaultParameters that describe these settings (what Register-SecretOpsVault registers).</summary>
    public IReadOnlyDictionary<string, object> ToVaultParameters()
    {
        var result = new SortedDictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        void Put(string key, string? value)
        {
            if (value is not null)
            {
                result[key] = value;
            }
        }

        Put("Path", Path);
        Put("Namespace", Namespace);
        Put("Client", Client);
        Put("Profile", Profile);
        Put("TokenFile", TokenFile);
        switch (Authentication)
        {
            case VaultAuthentication.Prompt:
                result["Prompt"] = true;
                break;
            case VaultAuthentication.Default:
                break;
            default:
                Put(Authentication.ToString(), CredentialSource);
                break;
        }

        // Parsing back proves nothing secret-looking or inconsistent is registered.
        Parse(result.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)));
        return result;
    }

    private static string? Text(Dictionary<string, object?> values, string key)
    {
        if (!values.TryGetValue(key, out var value) || value is null)
        {
            return null;
        }

        if (value is not string text)
        {
            throw new InvalidParameterException("VaultParameters", $"VaultParameters '{key}' must be text; got a {value.GetType().Name}.");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InvalidParameterException("VaultParameters", $"VaultParameters '{key}' is empty.");
        }

        if (text.Contains(Clients.GeneratedSecret.Prefix, StringComparison.Ordinal))
        {
            throw new InvalidParameterException("VaultParameters",
                $"VaultParameters '{key}' looks like a client secret; VaultParameters are stored in plain JSON, so give the secret in a file (SecretFile) or an environment variable (SecretEnvironmentVariable).");
        }

        return text;
    }

    private static bool Flag(Dictionary<string, object?> values, string key)
    {
        if (!values.TryGetValue(key, out var value) || value is null)
        {
            return false;
        }

        return value switch
        {
            bool b => b,
            string s when bool.TryParse(s, out var parsed) => parsed,
            int or long when Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) is 0 or 1 => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) == 1,
            _ => throw new InvalidParameterException("VaultParameters", $"VaultParameters '{key}' must be true or false."),
        };
    }

    private static string? AbsolutePath(string? path, string key)
    {
        if (path is null)
        {
            return null;
        }

        if (path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
        {
            path = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]);
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            // Found by fuzzing: Path.GetFullPath threw ArgumentException("Null character in path").
            throw new InvalidParameterException("VaultParameters", $"VaultParameters '{key}' contains a NUL character, which no path can hold; got '{Names.Printable(path)}'.");
        }

        if (!System.IO.Path.IsPathFullyQualified(path))
        {
            throw new InvalidParameterException("VaultParameters",
                $"VaultParameters '{key}' must be an absolute path (the vault runs in SecretManagement's own runspace, whose current directory is not yours); got '{Names.Printable(path)}'.");
        }

        return System.IO.Path.GetFullPath(path);
    }

    private static string EnvironmentVariableName(string name)
    {
        if (name.Length > 256 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            throw new InvalidParameterException("VaultParameters",
                $"VaultParameters 'SecretEnvironmentVariable' must name a variable (letters, digits, '_'), not hold a value.");
        }

        return name;
    }
}
