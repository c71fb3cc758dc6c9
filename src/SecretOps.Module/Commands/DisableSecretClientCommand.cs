using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Disable-SecretClient: refuses a client at connect until Enable-SecretClient (System and Admin clients only;
/// a client cannot disable itself). Reversible and enforced by the module: its keys and permissions stay.
/// For a cryptographic cut-off use Remove-SecretClient (retire) or Revoke-SecretPermission.
/// Its sessions in this PowerShell session are disconnected. Takes names from the pipeline (<c>Get-SecretClient ci-* | Disable-SecretClient</c>).
/// </summary>
[Cmdlet(VerbsLifecycle.Disable, "SecretClient", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClientInfo))]
public sealed class DisableSecretClientCommand : ClientCmdlet
{
    /// <summary>The client.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client to disable.")]
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
            if (!ShouldProcess(existing.Name, "Disable the client (it cannot connect until enabled again; its keys and permissions stay)"))
            {
                return;
            }

            var updated = Session.DisableClient(existing.Name);
            WriteVerbose($"Client '{updated.Name}' is disabled.");
            DisconnectSessionsOf(updated);
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
