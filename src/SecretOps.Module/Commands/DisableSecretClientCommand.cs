using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Disable-SecretClient: refuses a client at connect, and stops its open sessions at their next operation,
/// until Enable-SecretClient (System and Admin clients only; a client cannot disable itself). Reversible and
/// enforced by the module: its keys and permissions stay. For a cryptographic cut-off use Remove-SecretClient
/// (retire) or Revoke-SecretPermission. Its sessions in this PowerShell session are disconnected. Takes names
/// from the pipeline (<c>Get-SecretClient ci-* | Disable-SecretClient</c>).
/// </summary>
[Cmdlet(VerbsLifecycle.Disable, "SecretClient", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClientInfo))]
public sealed class DisableSecretClientCommand : ClientStatusCmdlet
{
    private protected override string Action => "Disable the client (it cannot connect until enabled again; its keys and permissions stay)";

    private protected override ClientInfo Apply(string client)
    {
        var updated = Session.DisableClient(client);
        DisconnectSessionsOf(updated);
        return updated;
    }
}
