using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretVersion: every stored version of a secret, oldest first (never a value). Name and Namespace
/// bind by property name (<c>Get-SecretEntry | Get-SecretVersion</c>), and Name by value too (<c>'db' | Get-SecretVersion</c>).
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretVersion")]
[OutputType(typeof(SecretVersionInfo))]
public sealed class GetSecretVersionCommand : SecretByNameCmdlet
{
    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var ns = NamespaceOrDefault(Namespace);
        try
        {
            foreach (var version in Session.GetHistory(ns, Name))
            {
                WriteObject(version);
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }
}
