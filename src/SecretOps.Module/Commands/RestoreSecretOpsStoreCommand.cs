using System.Management.Automation;
using SecretOps.Core;

namespace SecretOps.Module.Commands;

/// <summary>
/// Restore-SecretOpsStore: replaces a store with a backup, after checking the backup is a sound SecretOps
/// store (nothing is replaced when it is not). The target is -Store, else the connected session's store,
/// else the configured store. Every session to the target is disconnected first: connect again afterwards.
/// </summary>
[Cmdlet(VerbsData.Restore, "SecretOpsStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(StoreInfo))]
public sealed class RestoreSecretOpsStoreCommand : SessionCmdlet
{
    /// <summary>The backup to restore.</summary>
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "Path of the backup file to restore from (made by Backup-SecretOpsStore).")]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = "";

    /// <summary>Output the restored store's information.</summary>
    [Parameter(HelpMessage = "Output the restored store's information.")]
    public SwitchParameter PassThru { get; set; }

    private protected override bool RequiresSession => false;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var source = ResolveFilePath(Source, nameof(Source));
            var destination = StorePath;
            if (!ShouldProcess(destination, $"Replace the store with the backup '{source}'"))
            {
                return;
            }

            var disconnected = 0;
            foreach (var session in SessionRegistry.All.Where(s => SamePath(s.Store.Path, destination)))
            {
                SessionRegistry.Remove(session);
                disconnected++;
            }

            ForgetSession();
            SecretStore.Restore(source, destination, CmdletSurface);
            if (disconnected > 0)
            {
                WriteWarning($"{disconnected} session(s) to '{destination}' were disconnected for the restore; run Connect-SecretOpsStore again.");
            }

            if (PassThru)
            {
                WriteObject(SecretStore.Open(destination).GetInfo());
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Source);
        }
    }
}
