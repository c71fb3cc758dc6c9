using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Remove-SecretClient: retires a client (System and Admin clients only). Every namespace and secret key it
/// could decrypt is rotated without it, its permissions go, and it can never connect again; its audit
/// history stays and its name stays taken. Refused (SecretOps.Conflict, naming them) when a namespace would
/// be left with no other client able to read it, unless -Force. The System client can be retired once an
/// active admin exists. Shows rotation progress; takes names from the pipeline (<c>Get-SecretClient old-* |
/// Remove-SecretClient</c>).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SecretClient", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveSecretClientCommand : ClientCmdlet
{
    /// <summary>The client to retire.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client to retire.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Retire it even when that orphans namespaces.</summary>
    [Parameter(HelpMessage = "Retire the client even if it is the only one able to read some namespaces: their secrets then become unreadable for good. Default: refuse and name those namespaces.")]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var progress = new RotationProgressReporter(this);
        try
        {
            var existing = FindClient(Name);
            var action = "Retire the client: revoke and rotate every key it holds; it can never connect again"
                         + (Force ? ", even if that leaves namespaces nobody can read" : "");
            if (!ShouldProcess(existing.Name, action))
            {
                return;
            }

            var retired = Session.RetireClient(existing.Name, Force, progress);
            WriteVerbose($"Client '{retired.Name}' is retired; the keys it held are rotated.");
            DisconnectSessionsOf(retired);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
        finally
        {
            progress.Complete();
        }
    }
}
