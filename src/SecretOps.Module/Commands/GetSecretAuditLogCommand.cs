using System.Management.Automation;
using SecretOps.Core.Audit;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretAuditLog: audit entries, oldest first (System and Admin clients). -Client and -Action filter;
/// -Last keeps the newest N. Entries never hold a value, key or passphrase.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretAuditLog")]
[OutputType(typeof(AuditEntry))]
public sealed class GetSecretAuditLogCommand : AuditCmdlet
{
    /// <summary>Only entries at or after this time.</summary>
    [Parameter(HelpMessage = "Only entries at or after this time (local time unless the DateTime says UTC).")]
    public DateTime? Since { get; set; }

    /// <summary>Only this client's entries.</summary>
    [Parameter(HelpMessage = "Only the entries of this client (name or id).")]
    [ValidateNotNullOrEmpty]
    public string? Client { get; set; }

    /// <summary>Only this action.</summary>
    [Parameter(HelpMessage = "Only entries of this action, e.g. secret.get, secret.set, secret.remove, namespace.create, client.connect.")]
    [ArgumentCompleter(typeof(AuditActionCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Action { get; set; }

    /// <summary>Only the newest N.</summary>
    [Parameter(HelpMessage = "Only the newest N matching entries (still listed oldest first).")]
    public int? Last { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var query = new AuditQuery(Since is { } since ? PowerShellValues.ToDateTimeOffset(since) : null, Client, Action, Last);
            foreach (var entry in Session.ListAudit(query))
            {
                WriteObject(entry);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Session.Store.Path);
        }
    }
}
