using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Grant-SecretPermission: gives a client Read, Write, Delete and/or Permit on a namespace, or on one secret
/// (-Name). The granter needs Permit and every flag it grants (the System client only needs the key). Read
/// or Write wraps the scope's keys to the client: one stanza per namespace key generation, however many
/// secrets the namespace holds. Flags add to what the client already holds there. Every parameter binds by
/// property name, so a listed permission can be copied (<c>Get-SecretPermission -Client alice |
/// Grant-SecretPermission -Client bob</c>) and entries granted (<c>Get-SecretEntry db* | Grant-SecretPermission
/// -Client ci -Permission Read</c>).
/// </summary>
[Cmdlet(VerbsSecurity.Grant, "SecretPermission", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PermissionInfo))]
public sealed class GrantSecretPermissionCommand : PermissionCmdlet
{
    /// <summary>The client to grant to.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client that receives the permission.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Client { get; set; } = "";

    /// <summary>The namespace.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, HelpMessage = "The namespace to grant on (or that holds the secret named by -Name).")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "";

    /// <summary>One secret instead of the whole namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Name of one secret to grant on. Default: the whole namespace, its present and future secrets.")]
    [Alias("Secret")]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string? Name { get; set; }

    /// <summary>The flags.</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true, HelpMessage = "What to grant: one or more of Read, Write, Delete, Permit (or All). Write also gives the key that reads.")]
    [Alias("Permissions")]
    [ValidateNotNullOrEmpty]
    public Permissions[] Permission { get; set; } = [];

    /// <summary>Output the resulting permission.</summary>
    [Parameter(HelpMessage = "Output the permission the client now holds on the scope.")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var secret = SecretOrNull(Name);
        try
        {
            if (secret is null && !MyInvocation.ExpectingInput && MyInvocation.BoundParameters.ContainsKey(nameof(Name)))
            {
                // An empty variable must not widen a grant on one secret to the whole namespace. (A piped
                // namespace-wide permission has no Secret, which PowerShell binds as empty: that one is meant.)
                throw new InvalidParameterException(nameof(Name), "-Name is empty; omit it to grant on the whole namespace.");
            }

            var flags = Combine(Permission)!.Value;
            if (!ShouldProcess($"client '{Client}' on {DescribeScope(Namespace, secret)}", $"Grant {DescribeFlags(flags)}"))
            {
                return;
            }

            var granted = Session.Grant(Client, Namespace, secret, flags);
            WriteVerbose($"Client '{granted.Client}' now holds {granted.Permissions} on {DescribeScope(granted.Namespace, granted.Secret)}.");
            if (PassThru)
            {
                WriteObject(granted);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Client);
        }
    }
}
