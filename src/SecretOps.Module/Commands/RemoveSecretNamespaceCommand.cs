using System.Management.Automation;
using SecretOps.Core;

namespace SecretOps.Module.Commands;

/// <summary>
/// Remove-SecretNamespace: removes a namespace, its keys and grants; one holding secrets only with -Force
/// (and then every secret in it). The <c>default</c> namespace cannot be removed.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SecretNamespace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveSecretNamespaceCommand : NamespaceCmdlet
{
    /// <summary>The namespace's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the namespace to remove.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Remove it with its secrets.</summary>
    [Parameter(HelpMessage = "Remove the namespace even though it holds secrets, and every secret in it.")]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var existing = FindNamespace(Name);
            var name = existing?.Name ?? Name;
            if (string.Equals(name, SecretStore.DefaultNamespace, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidParameterException("namespace", "The default namespace cannot be removed.");
            }

            if (existing is { SecretCount: > 0 } && !Force)
            {
                throw new ConflictException($"Namespace '{name}' holds {existing.SecretCount} secret(s); remove them first or use -Force.", name);
            }

            var what = existing is { SecretCount: > 0 } ? $"Remove the namespace and its {existing.SecretCount} secret(s)" : "Remove the namespace";
            if (!ShouldProcess(name, what))
            {
                return;
            }

            Session.RemoveNamespace(name, Force);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }
}
