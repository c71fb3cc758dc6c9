using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Remove-SecretValue: removes a secret with every version, or one old -Version. Name and Namespace bind
/// by property name (<c>Get-SecretEntry x* | Remove-SecretValue</c>); Version does not, because an
/// entry's Version is its current one, which cannot be removed on its own.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SecretValue", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveSecretValueCommand : SecretByNameCmdlet
{
    /// <summary>One old version only.</summary>
    [Parameter(HelpMessage = "Remove only this old version (not the current one). Default: the whole secret with every version.")]
    public int? Version { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var ns = NamespaceOrDefault(Namespace);
        try
        {
            // Look the secret up first, so a missing one is reported before anyone is asked to confirm;
            // Core checks permission again in the same transaction as the removal.
            var entry = Session.GetEntry(ns, Name);
            var action = Version is { } version ? $"Remove version {version}" : "Remove the secret and every version";
            if (!ShouldProcess(Describe(entry.Namespace, entry.Name), action))
            {
                return;
            }

            Session.RemoveSecret(ns, Name, Version);
            WriteVerbose($"Removed '{Describe(entry.Namespace, entry.Name)}'{(Version is { } v ? $" version {v}" : "")}.");
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }
}
