using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Restore-SecretVersion: makes an old version's value the newest version; history is never rewritten,
/// so this is not destructive. Name, Namespace and Version bind by property name
/// (<c>Get-SecretVersion db | Where-Object Version -eq 2 | Restore-SecretVersion</c>).
/// </summary>
[Cmdlet(VerbsData.Restore, "SecretVersion", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SecretEntry))]
public sealed class RestoreSecretVersionCommand : SecretByNameCmdlet
{
    /// <summary>The version to bring back.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, HelpMessage = "The old version whose value becomes the new current version.")]
    public int Version { get; set; }

    /// <summary>Output the secret's entry.</summary>
    [Parameter(HelpMessage = "Output the secret's entry after the restore (never its value).")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var ns = NamespaceOrDefault(Namespace);
        try
        {
            if (!ShouldProcess(Describe(ns, Name), $"Restore version {Version} as a new version"))
            {
                return;
            }

            var entry = Session.RestoreVersion(ns, Name, Version);
            WriteVerbose($"Secret '{Describe(entry.Namespace, entry.Name)}' is now at version {entry.Version} (the value of version {Version}).");
            if (PassThru)
            {
                WriteObject(entry);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }
}
