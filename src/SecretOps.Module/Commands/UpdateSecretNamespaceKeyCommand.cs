using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Update-SecretNamespaceKey: gives a namespace a new key generation, and every secret in it a new key
/// generation wrapped under it, for the clients that hold it now (needs Permit on the namespace, or the
/// System role). No value is re-encrypted: the work is symmetric and shown with progress. Old versions stay
/// readable. Takes namespaces from the pipeline (<c>Get-SecretNamespace | Update-SecretNamespaceKey</c>).
/// </summary>
[Cmdlet(VerbsData.Update, "SecretNamespaceKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(RotationResult))]
public sealed class UpdateSecretNamespaceKeyCommand : NamespaceCmdlet
{
    /// <summary>The namespace to rotate.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the namespace whose keys to rotate.")]
    [Alias("Name")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var progress = new RotationProgressReporter(this);
        try
        {
            var existing = FindNamespace(Namespace);
            var name = existing?.Name ?? Namespace;
            var secrets = existing is null ? "every secret in it" : $"its {existing.SecretCount} secret(s)";
            if (!ShouldProcess(name, $"Rotate the namespace key and the keys of {secrets}"))
            {
                return;
            }

            var rotated = Session.RotateNamespaceKey(name, progress);
            WriteVerbose($"{rotated.Scope} is at key generation {rotated.NewGeneration}: {rotated.SecretKeysRotated} secret key(s) rotated for {rotated.Recipients} client(s).");
            WriteObject(rotated);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Namespace);
        }
        finally
        {
            progress.Complete();
        }
    }
}
