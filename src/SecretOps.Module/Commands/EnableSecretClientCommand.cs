using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Enable-SecretClient: lets a disabled client connect again (System and Admin clients only). A retired
/// client cannot be enabled: retirement is permanent.
/// Takes names from the pipeline (<c>Get-SecretClient ci-* | Enable-SecretClient</c>).
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "SecretClient", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClientInfo))]
public sealed class EnableSecretClientCommand : ClientCmdlet
{
    /// <summary>The client.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client to enable.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Output the client.</summary>
    [Parameter(HelpMessage = "Output the client after the change.")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var existing = FindClient(Name);
            if (!ShouldProcess(existing.Name, "Enable the client (it may connect again)"))
            {
                return;
            }

            var updated = Session.EnableClient(existing.Name);
            WriteVerbose($"Client '{updated.Name}' is enabled.");
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
}
