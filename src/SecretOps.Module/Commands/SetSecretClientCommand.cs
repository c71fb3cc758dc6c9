using System.Management.Automation;
using SecretOps.Core.Secrets;

namespace SecretOps.Module.Commands;

/// <summary>
/// Set-SecretClient: renames a client, changes its description or its role (System and Admin clients
/// only; the System client's role never changes). Name binds by property name
/// (<c>Get-SecretClient bob | Set-SecretClient -Role Admin</c>); Role and Description deliberately do not,
/// so a piped client never re-applies its own settings.
/// </summary>
[Cmdlet(VerbsCommon.Set, "SecretClient", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClientInfo))]
public sealed class SetSecretClientCommand : ClientCmdlet
{
    /// <summary>The client to change.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client to change.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>A new name.</summary>
    [Parameter(HelpMessage = "New name of the client (1-64 letters, digits, '.', '_', '-' or '@'). Its audit history keeps the old name. Default: unchanged.")]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary>A new description.</summary>
    [Parameter(HelpMessage = "New description (at most 1024 characters). Default: unchanged.")]
    public string? Description { get; set; }

    /// <summary>A new role.</summary>
    [Parameter(HelpMessage = "New role: Admin (creates clients and namespaces) or Member. Default: unchanged.")]
    [ValidateSet(nameof(ClientRole.Admin), nameof(ClientRole.Member), IgnoreCase = true)]
    public ClientRole? Role { get; set; }

    /// <summary>Output the client.</summary>
    [Parameter(HelpMessage = "Output the client after the change.")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            if (NewName is null && Description is null && Role is null)
            {
                throw new InvalidParameterException(nameof(NewName), "Nothing to change: give -NewName, -Description or -Role.");
            }

            if (NewName is not null)
            {
                Names.ValidateClientName(NewName);
            }

            var existing = FindClient(Name);
            var changes = new List<string>();
            if (NewName is not null)
            {
                changes.Add($"rename it to '{NewName}'");
            }

            if (Description is not null)
            {
                changes.Add("set its description");
            }

            if (Role is { } role)
            {
                changes.Add($"make it {(role == ClientRole.Admin ? "an admin" : "a member")}");
            }

            if (!ShouldProcess(existing.Name, "Change the client: " + string.Join(", ", changes)))
            {
                return;
            }

            var updated = Session.SetClient(existing.Name, NewName, Description, Role);
            WriteVerbose($"Client '{updated.Name}' is now a {updated.Role} client.");
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
