using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretPermission: who holds what. With -Client, everything that client holds; with -Namespace, the
/// grants on the namespace and on its secrets; with -Name, everyone who can reach that secret, directly or
/// through its namespace (the Scope property says which). Members see only their own permissions and the
/// scopes on which they hold Permit. Namespace and Name bind by property name, so
/// <c>Get-SecretEntry db | Get-SecretPermission</c> shows who can reach each entry, and the output pipes
/// into Revoke-SecretPermission and Grant-SecretPermission.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretPermission")]
[OutputType(typeof(PermissionInfo))]
public sealed class GetSecretPermissionCommand : PermissionCmdlet
{
    /// <summary>Only this client's permissions.</summary>
    [Parameter(Position = 0, HelpMessage = "Only the permissions of this client (name or id). Default: every client's.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Client { get; set; }

    /// <summary>Only this namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Only the grants on this namespace and its secrets. Default: every namespace (the session's namespace when -Name is given).")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>Only who can reach this secret.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Only the permissions that reach this secret: its own grants and those on its namespace.")]
    [Alias("Secret")]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var secret = SecretOrNull(Name);
        var ns = secret is null ? (string.IsNullOrEmpty(Namespace) ? null : Namespace) : NamespaceOrDefault(Namespace);
        try
        {
            foreach (var permission in Session.ListPermissions(Client, ns, secret))
            {
                WriteObject(permission);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, secret ?? ns ?? Client ?? Session.Store.Path);
        }
    }
}
