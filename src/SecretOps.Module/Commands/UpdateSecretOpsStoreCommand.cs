using System.Management.Automation;
using SecretOps.Core;

namespace SecretOps.Module.Commands;

/// <summary>
/// Update-SecretOpsStore: upgrades a format-1 store to format 2 as an administrator (System or Admin). Core checks the
/// store, signs its current state as the baseline of its control log (trusting what format 1 held) and rotates every
/// namespace, in one transaction. Authenticates like Connect-SecretOpsStore but registers no session.
/// </summary>
[Cmdlet(VerbsData.Update, "SecretOpsStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ResolveSet)]
[OutputType(typeof(StoreUpgradeResult))]
public sealed class UpdateSecretOpsStoreCommand : CredentialCmdlet
{
    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var result = WithCredential((resolved, credential) =>
                ShouldProcess(resolved.Store, $"Upgrade to format 2 as client '{resolved.Client}', signing the store's current state as its baseline")
                    ? SecretStore.Open(resolved.Store, resolved.OpenOptionsWith(credential)).Upgrade(resolved.Client, credential, CmdletSurface)
                    : null);
            if (result is not null)
            {
                WriteObject(result);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Path ?? Client);
        }
    }
}
