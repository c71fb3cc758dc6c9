using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Revoke-SecretPermission: takes permissions (all unless -Permission) from a client on a namespace or one
/// secret. When the client loses both Read and Write there, its keys for the scope are deleted and, unless
/// -NoRotate, the scope gets a new key generation wrapped only for the remaining holders (a namespace: new
/// keys for every secret in it, with progress), so nothing written afterwards opens with what it may have
/// kept. Old versions stay readable by the remaining holders; no value is re-encrypted. Outputs what was
/// rotated. Every parameter binds by property name (<c>Get-SecretPermission -Client bob | Revoke-SecretPermission</c>).
/// </summary>
[Cmdlet(VerbsSecurity.Revoke, "SecretPermission", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RotationResult))]
public sealed class RevokeSecretPermissionCommand : PermissionCmdlet
{
    /// <summary>The client to revoke from.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client that loses the permission.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Client { get; set; } = "";

    /// <summary>The namespace.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, HelpMessage = "The namespace to revoke on (or that holds the secret named by -Name).")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "";

    /// <summary>One secret instead of the whole namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the secret whose own grant to revoke. Default: the grant on the whole namespace.")]
    [Alias("Secret")]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string? Name { get; set; }

    /// <summary>The flags; all when absent.</summary>
    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true, HelpMessage = "What to revoke: one or more of Read, Write, Delete, Permit (or All). Default: everything the client holds on the scope.")]
    [Alias("Permissions")]
    [ValidateNotNullOrEmpty]
    public Permissions[]? Permission { get; set; }

    /// <summary>Do not rotate.</summary>
    [Parameter(HelpMessage = "Delete the client's keys for the scope but do not rotate: faster, but a client that kept a key can still read what is written later.")]
    public SwitchParameter NoRotate { get; set; }

    [Parameter(HelpMessage = "Revoke even from the last client able to decrypt the scope; nobody will then be able to read, write or grant it.")]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var secret = SecretOrNull(Name);
        var progress = new RotationProgressReporter(this);
        try
        {
            var flags = Combine(Permission);
            var rotation = NoRotate ? " without rotating keys" : " (keys are rotated if it loses both Read and Write)";
            if (!ShouldProcess($"client '{Client}' on {DescribeScope(Namespace, secret)}", $"Revoke {DescribeFlags(flags)}{rotation}"))
            {
                return;
            }

            var rotated = Session.Revoke(Client, Namespace, secret, flags, rotate: !NoRotate, progress, force: Force);
            WriteVerbose($"Revoked {DescribeFlags(flags)} from '{Client}' on {DescribeScope(Namespace, secret)}"
                         + (rotated is null ? "; no key was rotated." : $"; {rotated.Scope} is at key generation {rotated.NewGeneration}."));
            if (rotated is not null)
            {
                WriteObject(rotated);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Client);
        }
        finally
        {
            progress.Complete();
        }
    }
}
