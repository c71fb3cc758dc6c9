using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Backup-SecretOpsStore: copies the store with SQLite's online backup API to a new owner-only file,
/// consistent even while others write. Works on the connected session's store, or on -Store without a
/// session: the copy holds only ciphertext, wrapped keys, names and the audit log.
/// </summary>
[Cmdlet(VerbsData.Backup, "SecretOpsStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class BackupSecretOpsStoreCommand : SessionCmdlet
{
    /// <summary>The backup file to create.</summary>
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "Path of the backup file to create; it must not exist yet.")]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Output the backup file.</summary>
    [Parameter(HelpMessage = "Output the backup file.")]
    public SwitchParameter PassThru { get; set; }

    private protected override bool RequiresSession => false;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var destination = ResolveFilePath(Destination, nameof(Destination));
            var store = OpenStore();
            if (!ShouldProcess(destination, $"Back up store '{store.Path}'"))
            {
                return;
            }

            store.Backup(destination, CmdletSurface);
            if (PassThru)
            {
                WriteObject(new FileInfo(destination));
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Destination);
        }
    }
}
