using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Disable-SecretClient and Enable-SecretClient: one client by name or id (from the pipeline too), a
/// ShouldProcess right before the change, and the client written with -PassThru.
/// </summary>
public abstract class ClientStatusCmdlet : ClientCmdlet
{
    /// <summary>The client.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Output the client.</summary>
    [Parameter(HelpMessage = "Output the client after the change.")]
    public SwitchParameter PassThru { get; set; }

    /// <summary>What ShouldProcess asks about.</summary>
    private protected abstract string Action { get; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var existing = FindClient(Name);
            if (!ShouldProcess(existing.Name, Action))
            {
                return;
            }

            var updated = Apply(existing.Name);
            WriteVerbose($"Client '{updated.Name}' is {updated.Status.ToString().ToLowerInvariant()}.");
            if (PassThru)
            {
                WriteObject(updated);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }

    /// <summary>Makes the change and returns the client as it now is.</summary>
    private protected abstract ClientInfo Apply(string client);
}
