using System.Management.Automation;
using System.Security;
using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;

namespace SecretOps.Module.Commands;

/// <summary>
/// A cmdlet that authenticates a client: the store, the client and its credential, combined from parameters, SECRETOPS_*
/// environment variables, the profile and defaults exactly as the CLI does (Core's Connector); with no credential
/// anywhere, an interactive session asks for one.
/// </summary>
public abstract class CredentialCmdlet : SecretOpsCmdlet
{
    protected const string ResolveSet = "Resolve";
    protected const string PassphraseSet = "Passphrase";
    protected const string SecretFileSet = "SecretFile";
    protected const string KeyFileSet = "KeyFile";
    protected const string ClientSecretSet = "ClientSecret";

    /// <summary>The store file, or the server hosting the store.</summary>
    [Parameter(Position = 0, HelpMessage = "Path of the store, or the server hosting it (-Uri https://host:port). Default: SECRETOPS_STORE, the profile's store, or the platform's default store.")]
    [Alias("Uri")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>For a store a server hosts: the file holding this client's enrolment token.</summary>
    [Parameter(HelpMessage = "For a store a server hosts: the owner-only file holding this client's enrolment token. Default: SECRETOPS_TOKEN_FILE or the profile's token file. A client with a generated secret, named by its id, may go without: it signs with the key its secret derives.")]
    [ValidateNotNullOrEmpty]
    public string? TokenFile { get; set; }

    /// <summary>The client to connect as.</summary>
    [Parameter(Position = 1, HelpMessage = "Name or id of the client to connect as. Default: SECRETOPS_CLIENT, the profile's client, or 'system'.")]
    [ArgumentCompleter(typeof(ConnectClientCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Client { get; set; }

    /// <summary>A passphrase client's passphrase, or the passphrase of an encrypted key file.</summary>
    [Parameter(ParameterSetName = PassphraseSet, Mandatory = true, HelpMessage = "The client's passphrase.")]
    [Parameter(ParameterSetName = KeyFileSet, HelpMessage = "The passphrase of an encrypted PEM key file.")]
    public SecureString? Passphrase { get; set; }

    /// <summary>A file holding a generated client secret.</summary>
    [Parameter(ParameterSetName = SecretFileSet, Mandatory = true, HelpMessage = "Path of a file holding the client's generated secret (secretops_...).")]
    [ValidateNotNullOrEmpty]
    public string? SecretFile { get; set; }

    /// <summary>The client's PEM private key.</summary>
    [Parameter(ParameterSetName = KeyFileSet, Mandatory = true, HelpMessage = "Path of the client's PEM private key file.")]
    [ValidateNotNullOrEmpty]
    public string? KeyFile { get; set; }

    /// <summary>A generated client secret.</summary>
    [Parameter(ParameterSetName = ClientSecretSet, Mandatory = true, HelpMessage = "The client's generated secret (secretops_...), as a SecureString.")]
    public SecureString? ClientSecret { get; set; }

    /// <summary>The configuration profile.</summary>
    [Parameter(HelpMessage = "Name of the configuration profile to use. Default: SECRETOPS_PROFILE or the default profile.")]
    [ValidateNotNullOrEmpty]
    public string? Profile { get; set; }

    /// <summary>The namespace the request names (Connect-SecretOpsStore's default namespace); null for none.</summary>
    protected virtual string? RequestedNamespace => null;

    /// <summary>
    /// Resolves the connection and the credential, lets <paramref name="adjust"/> change the resolved connection, and hands
    /// both to <paramref name="action"/>; the credential and any passphrase are wiped after.
    /// </summary>
    protected T WithCredential<T>(Func<ResolvedConnection, ClientCredential, T> action, Func<ResolvedConnection, ResolvedConnection>? adjust = null)
    {
        char[]? passphrase = null;
        try
        {
            passphrase = Passphrase is null ? null : PowerShellValues.ToChars(Passphrase);
            var request = new ConnectionRequest
            {
                Store = Path is null ? null : ResolveStoreLocation(Path, nameof(Path)),
                TokenFile = TokenFile is null ? null : ResolveFilePath(TokenFile, nameof(TokenFile)),
                Client = Client,
                Namespace = RequestedNamespace,
                Profile = Profile,
                SecretFile = SecretFile is null ? null : ResolveFilePath(SecretFile, nameof(SecretFile)),
                KeyFile = KeyFile is null ? null : ResolveFilePath(KeyFile, nameof(KeyFile)),
                Passphrase = passphrase,
                ClientSecret = ClientSecret is null ? null : PowerShellValues.ToPlainString(ClientSecret),
                Surface = CmdletSurface,
            };

            var resolved = Connector.Resolve(request);
            resolved = adjust?.Invoke(resolved) ?? resolved;
            using var credential = Connector.ResolveCredential(request) ?? PromptCredential(resolved);
            return action(resolved, credential);
        }
        finally
        {
            PowerShellValues.Wipe(passphrase);
        }
    }

    /// <summary>Asks for a passphrase, or a generated secret (recognised by its prefix), where a person can answer.</summary>
    private ClientCredential PromptCredential(ResolvedConnection resolved)
    {
        using var answer = PromptSecure($"Passphrase or client secret for client '{resolved.Client}' of '{resolved.Store}'");
        if (answer is null)
        {
            ThrowTerminatingError(ErrorMapping.CredentialRequired("credential (-Passphrase, -SecretFile, -KeyFile or -ClientSecret)", resolved.Store));
        }

        var chars = PowerShellValues.ToChars(answer!);
        try
        {
            ReadOnlySpan<char> trimmed = chars.AsSpan().Trim();
            return trimmed.StartsWith(GeneratedSecret.Prefix, StringComparison.Ordinal)
                ? ClientCredential.FromGeneratedSecret(new string(trimmed))
                : ClientCredential.FromPassphrase(chars);
        }
        finally
        {
            PowerShellValues.Wipe(chars);
        }
    }
}
