using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>New-SecretNamespace: creates a namespace (System and Admin clients); its creator gets every permission on it.</summary>
[Cmdlet(VerbsCommon.New, "SecretNamespace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NamespaceInfo))]
public sealed class NewSecretNamespaceCommand : NamespaceCmdlet
{
    /// <summary>The namespace's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the namespace: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>A description.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "What the namespace is for (at most 1024 characters).")]
    public string? Description { get; set; }

    /// <summary>Retention.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Keep at most this many versions of each secret (older ones are deleted). Default: keep every version.")]
    public int? MaxVersions { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            if (!ShouldProcess(Name, "Create namespace"))
            {
                return;
            }

            WriteObject(Session.CreateNamespace(Name, Description, MaxVersions));
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }
}
