using System.Management.Automation;
using System.Security;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;

namespace SecretOps.Module.Commands;

/// <summary>
/// Connect-SecretOpsStore: authenticates a client to a store and registers the session, so the other
/// cmdlets can use it until Disconnect-SecretOpsStore or the idle timeout. Where to connect and how to
/// authenticate combine parameters, SECRETOPS_* environment variables, the profile and defaults exactly as
/// the CLI does (Core's Connector); with no credential anywhere, an interactive session asks for one.
/// Not a ShouldProcess cmdlet: it changes nothing in the store, only this process's sessions.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "SecretOpsStore", DefaultParameterSetName = ResolveSet)]
[OutputType(typeof(SessionInfo))]
public sealed class ConnectSecretOpsStoreCommand : SecretOpsCmdlet
{
    private const string ResolveSet = "Resolve";
    private const string PassphraseSet = "Passphrase";
    private const string SecretFileSet = "SecretFile";
    private const string KeyFileSet = "KeyFile";
    private const string ClientSecretSet = "ClientSecret";

    /// <summary>The store file.</summary>
    [Parameter(Position = 0, HelpMessage = "Path of the store. Default: SECRETOPS_STORE, the profile's store, or the platform's default store.")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

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

    /// <summary>The namespace cmdlets use when -Namespace is not given.</summary>
    [Parameter(HelpMessage = "Namespace the cmdlets use when -Namespace is not given. Default: SECRETOPS_NAMESPACE, the profile's namespace, or 'default'.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    /// <summary>Idle time before the session locks itself.</summary>
    [Parameter(HelpMessage = "Idle time after which the session locks itself: a TimeSpan, a number with its unit such as 90s, 30m, 8h or 1d, or a bare number of minutes; -1 keeps it for the life of the process. Default: the profile's, or 15 minutes.")]
    [DurationTransformation(IntegersAreMinutes = true)]
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>Output the session.</summary>
    [Parameter(HelpMessage = "Output the connected session.")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        char[]? passphrase = null;
        try
        {
            passphrase = Passphrase is null ? null : PowerShellValues.ToChars(Passphrase);
            var request = new ConnectionRequest
            {
                Store = Path is null ? null : ResolveFilePath(Path, nameof(Path)),
                Client = Client,
                Namespace = Namespace,
                Profile = Profile,
                SecretFile = SecretFile is null ? null : ResolveFilePath(SecretFile, nameof(SecretFile)),
                KeyFile = KeyFile is null ? null : ResolveFilePath(KeyFile, nameof(KeyFile)),
                Passphrase = passphrase,
                ClientSecret = ClientSecret is null ? null : PowerShellValues.ToPlainString(ClientSecret),
                Surface = CmdletSurface,
            };

            var resolved = Connector.Resolve(request);
            if (IdleTimeout is { } idle)
            {
                if (idle == TimeSpan.Zero)
                {
                    throw new InvalidParameterException(nameof(IdleTimeout), "-IdleTimeout must be positive, or negative for the life of the process.");
                }

                resolved = resolved with { IdleTimeout = idle < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : idle };
            }

            WriteVerbose($"Connecting to '{resolved.Store}' as client '{resolved.Client}'.");
            using var credential = Connector.ResolveCredential(request) ?? PromptCredential(resolved);
            var session = Connector.Connect(resolved, credential, CmdletSurface);
            SessionRegistry.Add(session);
            ConnectionState.Remember(session, resolved.Namespace, resolved.IdleTimeout);

            // A command's audit entries are written when it ends: here, the connect.
            session.FlushAudit();
            WriteVerbose($"Connected to '{session.Store.Path}' as {session.Role} client '{session.ClientName}'; default namespace '{resolved.Namespace}'.");
            if (PassThru)
            {
                WriteObject(ConnectionState.Describe(session));
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Path ?? Client);
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
