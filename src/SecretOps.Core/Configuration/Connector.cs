using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Configuration;

/// <summary>What a surface was told about where and how to connect; unset values are looked up.</summary>
public sealed class ConnectionRequest
{
    /// <summary>--store / -Path.</summary>
    public string? Store { get; init; }

    /// <summary>--client / -Client.</summary>
    public string? Client { get; init; }

    /// <summary>--namespace / -Namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>--profile / -Profile.</summary>
    public string? Profile { get; init; }

    /// <summary>--secret-file: a file holding a generated client secret.</summary>
    public string? SecretFile { get; init; }

    /// <summary>--key-file: the client's PEM private key.</summary>
    public string? KeyFile { get; init; }

    /// <summary>A passphrase the surface already has (--passphrase-stdin, -Passphrase, a prompt).</summary>
    public ReadOnlyMemory<char> Passphrase { get; init; }

    /// <summary>A generated client secret the surface already has.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Force network-share mode on or off.</summary>
    public bool? Shared { get; init; }

    /// <summary>--token-file / -TokenFile: the enrolment token for a store a server hosts.</summary>
    public string? TokenFile { get; init; }

    /// <summary>Recorded in the audit log.</summary>
    public Surface Surface { get; init; } = Surface.Api;
}

/// <summary>Where to connect, after flags, environment, profile and defaults are combined.</summary>
public sealed record ResolvedConnection(string Store, string Client, string Namespace, bool EnvironmentOverrides, bool? Shared, TimeSpan IdleTimeout)
{
    /// <summary>Accept the store even if it is behind what this machine verified at its path (a backup restored on purpose).</summary>
    public bool AcceptRestoredStore { get; init; }

    /// <summary>The enrolment token file for a store a server hosts: --token-file, SECRETOPS_TOKEN_FILE, the profile's.</summary>
    public string? TokenFile { get; init; }

    /// <summary>How the store is opened, with no credential to derive a request key from.</summary>
    public StoreOpenOptions OpenOptions => OpenOptionsWith(null);

    /// <summary>How the store is opened; a server is signed for with the key <paramref name="credential"/> derives when there is no token file.</summary>
    public StoreOpenOptions OpenOptionsWith(ClientCredential? credential) => new() { Shared = Shared, TokenFile = TokenFile, Client = Client, Credential = credential };
}

/// <summary>
/// Resolves a <see cref="ConnectionRequest"/> the same way for every surface: explicit values first, then
/// SECRETOPS_* environment variables, then the profile (SECRETOPS_PROFILE or the default profile), then
/// defaults (the default store path, client <c>system</c>, namespace <c>default</c>).
/// </summary>
public static class Connector
{
    /// <summary>Combines the request with the environment and configuration.</summary>
    public static ResolvedConnection Resolve(ConnectionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var profile = LoadProfile(request.Profile);
        var store = request.Store ?? Env("SECRETOPS_STORE") ?? ExpandHome(profile?.Store) ?? StoreFiles.DefaultStorePath();
        var client = request.Client ?? Env("SECRETOPS_CLIENT") ?? profile?.Client ?? SecretStore.SystemClientName;
        var ns = request.Namespace ?? Env("SECRETOPS_NAMESPACE") ?? profile?.Namespace ?? SecretStore.DefaultNamespace;
        var shared = request.Shared ?? (Env("SECRETOPS_SHARED") is { } flag ? ParseFlag("SECRETOPS_SHARED", flag) : profile?.Shared);
        var idle = profile?.IdleTimeoutMinutes is { } minutes ? minutes < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMinutes(minutes) : TimeSpan.FromMinutes(15);
        return new ResolvedConnection(store, client, ns, profile?.EnvironmentOverrides ?? false, shared, idle)
        {
            TokenFile = ExpandHome(request.TokenFile ?? Env(EnvironmentVariables.TokenFile) ?? profile?.TokenFile),
        };
    }

    /// <summary>
    /// The credential to present: --key-file, --secret-file, a given secret or passphrase, then
    /// SECRETOPS_KEY_FILE, SECRETOPS_CLIENT_SECRET, SECRETOPS_PASSPHRASE, then the profile's files.
    /// Null when there is none (the surface may then prompt, where a person is present).
    /// </summary>
    public static ClientCredential? ResolveCredential(ConnectionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);

        // Explicit values first. A passphrase given alongside a key file unlocks an encrypted key file.
        if (request.KeyFile is { } keyFile)
        {
            return FromKeyFile(keyFile, request.Passphrase.IsEmpty ? Env(EnvironmentVariables.Passphrase).AsMemory() : request.Passphrase);
        }

        if (request.SecretFile is { } secretFile)
        {
            return ClientCredential.FromGeneratedSecret(ReadSmallFile(secretFile, InputFileKind.ClientSecret));
        }

        if (request.ClientSecret is { } secret)
        {
            return ClientCredential.FromGeneratedSecret(secret);
        }

        if (!request.Passphrase.IsEmpty)
        {
            return ClientCredential.FromPassphrase(request.Passphrase.Span);
        }

        // Then the environment.
        if (Env("SECRETOPS_KEY_FILE") is { } envKeyFile)
        {
            return FromKeyFile(envKeyFile, Env(EnvironmentVariables.Passphrase).AsMemory());
        }

        if (Env("SECRETOPS_CLIENT_SECRET") is { } envSecret)
        {
            return ClientCredential.FromGeneratedSecret(envSecret);
        }

        if (Env(EnvironmentVariables.Passphrase) is { } envPassphrase)
        {
            return ClientCredential.FromPassphrase(envPassphrase);
        }

        // Then the profile's files.
        var profile = LoadProfile(request.Profile);
        if (ExpandHome(profile?.KeyFile) is { } profileKeyFile)
        {
            return FromKeyFile(profileKeyFile, ReadOnlyMemory<char>.Empty);
        }

        return ExpandHome(profile?.SecretFile) is { } profileSecret ? ClientCredential.FromGeneratedSecret(ReadSmallFile(profileSecret, InputFileKind.ClientSecret)) : null;
    }

    private static ClientCredential FromKeyFile(string path, ReadOnlyMemory<char> passphrase)
    {
        try
        {
            return ClientCredential.FromPrivateKey(PemKeyReader.ReadPrivateKey(ReadSmallFile(path, InputFileKind.PrivateKey), passphrase.Span));
        }
        catch (InvalidKeyException e)
        {
            throw new InvalidKeyException($"Key file '{ExpandHome(path)}': {e.Message}", e) { PassphraseRequired = e.PassphraseRequired };
        }
    }

    /// <summary>Opens the resolved store and connects with the credential.</summary>
    public static Session Connect(ResolvedConnection connection, ClientCredential credential, Surface surface)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var store = SecretStore.Open(connection.Store, connection.OpenOptionsWith(credential));
        return store.Connect(connection.Client, credential, new SessionOptions
        {
            Surface = surface,
            EnvironmentOverrides = connection.EnvironmentOverrides,
            IdleTimeout = connection.IdleTimeout,
            DefaultNamespace = connection.Namespace,
            AcceptRestoredStore = connection.AcceptRestoredStore,
        });
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the options that open <paramref name="target"/> without connecting (store
    /// info, pull, push). A server with no token file is signed for with the key the request's generated secret derives,
    /// when it has one; nothing else reads a credential, so a file store's commands never need one.
    /// </summary>
    public static T WithOpenOptions<T>(string target, ResolvedConnection connection, ConnectionRequest request, Func<StoreOpenOptions, T> action)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(action);
        using var credential = connection.TokenFile is null && SecretStore.IsServerAddress(target) ? ResolveCredential(request) : null;
        return action(connection.OpenOptionsWith(credential));
    }

    /// <summary>The configuration file: SECRETOPS_CONFIG, or the platform default.</summary>
    public static string ConfigPath() => Env("SECRETOPS_CONFIG") ?? StoreFiles.DefaultConfigPath();

    private static Profile? LoadProfile(string? name) => ConfigFile.Load(ConfigPath()).Select(name ?? Env("SECRETOPS_PROFILE"));

    /// <summary>Reads a credential file: a regular file within its limit (refused first, as for any input), then only if it is its owner's alone.</summary>
    internal static string ReadSmallFile(string path, InputFileKind kind)
    {
        var full = ExpandHome(path)!;
        var text = InputFile.ReadText(full, kind);
        RequireOwnerOnly(full, InputFile.Describe(kind));
        return text;
    }

    /// <summary>Permission bits that let someone other than the owner read or change a credential file.</summary>
    private const UnixFileMode OthersReadOrWrite =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>
    /// On Unix, refuses a credential file that its group or others can read or write (as OpenSSH refuses an
    /// unprotected private key): a secret anyone on the machine can copy, or swap, is not the client's own.
    /// </summary>
    private static void RequireOwnerOnly(string path, string what)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & OthersReadOrWrite) != 0)
        {
            throw new UnprotectedFileException(what, path, "0" + Convert.ToString((int)mode & 0x1FF, 8));
        }
    }

    /// <summary>A yes/no environment variable; anything but 1, 0, true or false is refused rather than read as "no".</summary>
    private static bool ParseFlag(string variable, string value) => value.ToUpperInvariant() switch
    {
        "1" or "TRUE" => true,
        "0" or "FALSE" => false,
        _ => throw new InvalidParameterException(variable, $"{variable} is '{Names.Printable(value)}'; use 1, 0, true or false."),
    };

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static string? ExpandHome(string? path) =>
        path is not null && path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : path;
}
