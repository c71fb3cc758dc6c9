using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Base of the audit family. Its session is picked with <c>-Store</c> and <c>-AsClient</c>, because
/// <c>-Client</c> on <c>Get-SecretAuditLog</c> filters entries by client.
/// </summary>
public abstract class AuditCmdlet : StoreSessionCmdlet
{
    /// <summary>The connected client (name or id) whose session to use.</summary>
    [Parameter(HelpMessage = "Name or id of the connected client whose session reads the log (an admin). Default: the most recently connected client of the store.")]
    [ArgumentCompleter(typeof(ClientCompleter))]
    [ValidateNotNullOrEmpty]
    public string? AsClient { get; set; }

    private protected override string? SelectedClient => AsClient;
}
