using System.Management.Automation;
using SecretOps.Core;

namespace SecretOps.Module.Commands;

/// <summary>
/// Disconnect-SecretOpsStore: writes the session's pending audit entries and wipes its keys. Picks the
/// session like the other cmdlets (-Store, -Client, else the most recent); takes sessions from the
/// pipeline by property name (Connect-SecretOpsStore -PassThru, Get-SecretOpsStore). Sessions a vault opened
/// are not in <see cref="SessionRegistry"/>, so they are never closed here. Not a ShouldProcess
/// cmdlet: it changes nothing in the store, and dropping keys must never wait on a confirmation.
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "SecretOpsStore", DefaultParameterSetName = OneSet)]
[OutputType(typeof(void))]
public sealed class DisconnectSecretOpsStoreCommand : SecretOpsCmdlet
{
    private const string OneSet = "One";
    private const string AllSet = "All";

    /// <summary>The store whose session to close.</summary>
    [Parameter(ParameterSetName = OneSet, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Path of the store whose session to close. Default: the most recently connected session.")]
    [Alias("Path")]
    [ArgumentCompleter(typeof(StorePathCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Store { get; set; }

    /// <summary>The client whose session to close.</summary>
    [Parameter(ParameterSetName = OneSet, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client whose session to close.")]
    [ArgumentCompleter(typeof(ClientCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Client { get; set; }

    /// <summary>Close every session.</summary>
    [Parameter(ParameterSetName = AllSet, Mandatory = true, HelpMessage = "Close every session the cmdlets use in this process (sessions SecretManagement vaults opened are theirs, and stay).")]
    public SwitchParameter All { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            if (All)
            {
                foreach (var open in SessionRegistry.All)
                {
                    Close(open);
                }

                return;
            }

            var storePath = Store is null ? null : ResolveStoreLocation(Store, nameof(Store));
            var session = SessionRegistry.Find(storePath, Client);
            if (session is null)
            {
                if (Store is not null || Client is not null)
                {
                    WriteError(ErrorMapping.NotConnected(storePath, Client));
                }
                else
                {
                    WriteVerbose("No session is connected.");
                }

                return;
            }

            Close(session);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Store ?? Client);
        }
    }

    private void Close(Session session)
    {
        WriteVerbose($"Disconnecting client '{session.ClientName}' from '{session.Store.Path}'.");
        SessionRegistry.Remove(session);
    }
}
