using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretOpsStore: the store's identity, format and size. Uses the connected session's store, or opens
/// the file named by -Store (or configured) without a credential: nothing it shows is secret.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretOpsStore")]
[OutputType(typeof(StoreInfo))]
public sealed class GetSecretOpsStoreCommand : SessionCmdlet
{
    private protected override bool RequiresSession => false;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            WriteObject(OpenStore().GetInfo());
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Store);
        }
    }
}
