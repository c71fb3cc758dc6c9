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
public sealed class ConnectSecretOpsStoreCommand : CredentialCmdlet
{
    /// <summary>The namespace cmdlets use when -Namespace is not given.</summary>
    [Parameter(HelpMessage = "Namespace the cmdlets use when -Namespace is not given. Default: SECRETOPS_NAMESPACE, the profile's namespace, or 'default'.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    /// <summary>Idle time before the session locks itself.</summary>
    [Parameter(HelpMessage = "Idle time after which the session locks itself: a TimeSpan, a number with its unit such as 90s, 30m, 8h or 1d, or a bare number of minutes; -1 keeps it for the life of the process. Default: the profile's, or 15 minutes.")]
    [DurationTransformation(IntegersAreMinutes = true)]
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>Accept a store restored on purpose.</summary>
    [Parameter(HelpMessage = "Accept the store as it is now even if it is behind, or has diverged from, what was verified at this path on this machine (a backup restored on purpose). Without it such a store is refused as rolled back.")]
    public SwitchParameter AcceptRestoredStore { get; set; }

    /// <summary>Output the session.</summary>
    [Parameter(HelpMessage = "Output the connected session.")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override string? RequestedNamespace => Namespace;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var session = WithCredential((resolved, credential) =>
            {
                WriteVerbose($"Connecting to '{resolved.Store}' as client '{resolved.Client}'.");
                var connected = Connector.Connect(resolved, credential, CmdletSurface);
                SessionRegistry.Add(connected);
                ConnectionState.Remember(connected, resolved.Namespace, resolved.IdleTimeout);

                // A command's audit entries are written when it ends: here, the connect.
                connected.FlushAudit();
                WriteVerbose($"Connected to '{connected.Store.Path}' as {connected.Role} client '{connected.ClientName}'; default namespace '{resolved.Namespace}'.");
                return connected;
            }, Adjusted);
            if (PassThru)
            {
                WriteObject(ConnectionState.Describe(session));
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Path ?? Client);
        }
    }

    private ResolvedConnection Adjusted(ResolvedConnection resolved)
    {
        if (IdleTimeout is { } idle)
        {
            if (idle == TimeSpan.Zero)
            {
                throw new InvalidParameterException(nameof(IdleTimeout), "-IdleTimeout must be positive, or negative for the life of the process.");
            }

            resolved = resolved with { IdleTimeout = idle < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : idle };
        }

        return resolved with { AcceptRestoredStore = AcceptRestoredStore };
    }
}
