using System.CommandLine;

namespace SecretOps.Cli;

/// <summary>Options every command accepts, before or after the command name.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Store = new("--store")
    {
        Description = "The store file, or the server hosting the store (https://host:port). Default: SECRETOPS_STORE, the profile's store, "
                      + "or the platform's default store ($XDG_DATA_HOME/secretops/store.db on Unix).",
        HelpName = "PATH",
        Recursive = true,
    };

    public static readonly Option<string?> Client = new("--client")
    {
        Description = "The client to connect as, by name or id. Default: SECRETOPS_CLIENT, the profile's client, or 'system'.",
        HelpName = "ID|NAME",
        Recursive = true,
    };

    public static readonly Option<string?> Namespace = new("--namespace", "-n")
    {
        Description = "The namespace of secret commands, and of grant, revoke and permissions (where a whole namespace is named only by this option). Default: SECRETOPS_NAMESPACE, the profile's namespace, or 'default'.",
        HelpName = "NS",
        Recursive = true,
    };

    public static readonly Option<string?> Profile = new("--profile")
    {
        Description = "A profile of the configuration file (SECRETOPS_CONFIG, or $XDG_CONFIG_HOME/secretops/config.yaml). Default: SECRETOPS_PROFILE or the file's default profile.",
        HelpName = "NAME",
        Recursive = true,
    };

    public static readonly Option<bool> PassphraseStdin = new("--passphrase-stdin")
    {
        Description = "Read the client's passphrase (or, with --key-file, the key file's passphrase) as one line from standard input.",
        Recursive = true,
    };

    public static readonly Option<string?> SecretFile = new("--secret-file")
    {
        Description = "A regular file (at most 64 KiB) holding the client's generated secret (secretops_...). Default: SECRETOPS_CLIENT_SECRET or the profile's secret file.",
        HelpName = "FILE",
        Recursive = true,
    };

    public static readonly Option<string?> KeyFile = new("--key-file")
    {
        Description = "The client's PEM private key, a regular file of at most 64 KiB. Default: SECRETOPS_KEY_FILE or the profile's key file.",
        HelpName = "FILE",
        Recursive = true,
    };

    public static readonly Option<bool> AcceptRestoredStore = new("--accept-restored-store")
    {
        Description = "Accept the store as it is now even if it is behind, or has diverged from, what was verified at this path on this machine "
                      + "(a backup restored on purpose, by someone else or elsewhere). Without it such a store is refused as rolled back.",
        Recursive = true,
    };

    public static readonly Option<string> Output = CreateOutput();

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "On errors, also print the error's type and stack trace (never a value).",
        Recursive = true,
    };

    /// <summary>All of them, in the order help lists them.</summary>
    public static readonly Option<string?> TokenFile = new("--token-file")
    {
        Description = "For a store a server hosts: the file (owner-only) holding this client's enrolment token. Default: SECRETOPS_TOKEN_FILE or the profile's token file.",
        HelpName = "FILE",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Store, Client, Namespace, Profile, PassphraseStdin, SecretFile, KeyFile, TokenFile, AcceptRestoredStore, Output, Verbose];

    private static Option<string> CreateOutput()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format: table (for people), json or yaml (one document; lists are arrays).",
            HelpName = "table|json|yaml",
            DefaultValueFactory = _ => "table",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong("table", "json", "yaml");
        return option;
    }
}
