using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Enable-SecretClient: lets a disabled client connect again (System and Admin clients only). A retired
/// client cannot be enabled: retirement is permanent. Takes names from the pipeline
/// (<c>Get-SecretClient ci-* | Enable-SecretClient</c>).
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "SecretClient", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClientInfo))]
public sealed class EnableSecretClientCommand : ClientStatusCmdlet
{
    private protected override string Action => "Enable the client (it may connect again)";

    private protected override ClientInfo Apply(string client) => Session.EnableClient(client);
}
