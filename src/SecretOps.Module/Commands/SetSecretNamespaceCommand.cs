using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Set-SecretNamespace: changes a namespace's description and retention. Lowering retention deletes the
/// versions beyond it at once, so it asks again unless -Force (on top of -Confirm/-WhatIf).
/// </summary>
[Cmdlet(VerbsCommon.Set, "SecretNamespace", DefaultParameterSetName = RetentionSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NamespaceInfo))]
public sealed class SetSecretNamespaceCommand : NamespaceCmdlet
{
    private const string RetentionSet = "Retention";
    private const string NoRetentionSet = "NoRetention";

    /// <summary>The namespace's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the namespace to change.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>A new description.</summary>
    [Parameter(HelpMessage = "New description (at most 1024 characters). Default: unchanged.")]
    public string? Description { get; set; }

    /// <summary>New retention.</summary>
    [Parameter(ParameterSetName = RetentionSet, HelpMessage = "Keep at most this many versions of each secret; older versions are deleted now. Default: unchanged.")]
    public int? MaxVersions { get; set; }

    /// <summary>Keep every version from now on.</summary>
    [Parameter(ParameterSetName = NoRetentionSet, Mandatory = true, HelpMessage = "Remove the retention limit: keep every version from now on.")]
    public SwitchParameter NoRetention { get; set; }

    /// <summary>Do not ask before deleting versions.</summary>
    [Parameter(HelpMessage = "Lower the retention without asking again (versions beyond it are deleted).")]
    public SwitchParameter Force { get; set; }

    /// <summary>Output the namespace.</summary>
    [Parameter(HelpMessage = "Output the namespace after the change.")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var existing = FindNamespace(Name);
            var name = existing?.Name ?? Name;
            var change = NoRetention ? "Keep every version" : MaxVersions is { } keep ? $"Keep at most {keep} version(s) of each secret" : "Update";
            if (!ShouldProcess(name, change + (Description is null ? "" : ", set the description")))
            {
                return;
            }

            var prunes = MaxVersions is { } max && (existing?.MaxVersions is not { } current || max < current);
            if (prunes && !Force && !ShouldContinue(
                    $"Versions older than the newest {MaxVersions} of each of the {(existing is null ? "" : existing.SecretCount + " ")}secret(s) in namespace '{name}' are deleted now and cannot be restored. Continue?",
                    "Lower the retention"))
            {
                return;
            }

            var updated = Session.SetNamespace(name, Description, MaxVersions, NoRetention);
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
