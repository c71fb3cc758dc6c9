using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Remove-SecretValue: removes a secret with every version, or one old -Version. Name and Namespace bind
/// by property name (<c>Get-SecretEntry x* | Remove-SecretValue</c>); Version does not, because an
/// entry's Version is its current one, which cannot be removed on its own.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SecretValue", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveSecretValueCommand : SecretCmdlet
{
    /// <summary>The secret's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the secret to remove.")]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Namespace of the secret. Default: the session's namespace.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>One old version only.</summary>
    [Parameter(HelpMessage = "Remove only this old version (not the current one). Default: the whole secret with every version.")]
    public int? Version { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var ns = NamespaceOrDefault(Namespace);
        try
        {
            // Core offers no permission-neutral O(1) lookup of one secret, so there is none before the
            // prompt: Core checks existence and permission in the same transaction as the removal.
            var action = Version is { } version ? $"Remove version {version}" : "Remove the secret and every version";
            if (!ShouldProcess(Describe(ns, Name), action))
            {
                return;
            }

            Session.RemoveSecret(ns, Name, Version);
            WriteVerbose($"Removed '{Describe(ns, Name)}'{(Version is { } v ? $" version {v}" : "")}.");
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }
}
