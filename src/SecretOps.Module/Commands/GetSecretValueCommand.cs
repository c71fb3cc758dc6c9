using System.Collections;
using System.Management.Automation;
using System.Security;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretValue: reads a secret's current value (or -Version). Text comes back as a SecureString
/// unless -AsPlainText; credentials as PSCredential, bytes as one byte[], tables as a Hashtable. Name and
/// Namespace bind by property name (<c>Get-SecretEntry | Get-SecretValue</c>), and Name by value too (<c>'db' | Get-SecretValue</c>); Version does not, so a
/// piped entry reads the current value (and an expired one says so).
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretValue")]
[OutputType(typeof(SecureString), typeof(string), typeof(PSCredential), typeof(byte[]), typeof(Hashtable))]
public sealed class GetSecretValueCommand : SecretByNameCmdlet
{
    /// <summary>An older version.</summary>
    [Parameter(HelpMessage = "Version to read (see Get-SecretVersion). Default: the current version.")]
    public int? Version { get; set; }

    /// <summary>Text as plain strings.</summary>
    [Parameter(HelpMessage = "Return text as plain strings instead of SecureString.")]
    public SwitchParameter AsPlainText { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var ns = NamespaceOrDefault(Namespace);
        try
        {
            using var result = Session.GetSecret(ns, Name, Version);
            WriteVerbose($"Read version {result.Version} of '{Describe(result.Entry.Namespace, result.Entry.Name)}' ({result.Value.Type}){(result.Entry.IsEnvironmentOverride ? " from its environment override" : "")}.");
            WriteObject(PowerShellValues.FromSecretValue(result.Value, AsPlainText), enumerateCollection: false);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
    }
}
