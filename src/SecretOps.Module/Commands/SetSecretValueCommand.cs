using System.Collections;
using System.Management.Automation;
using SecretOps.Core;

namespace SecretOps.Module.Commands;

/// <summary>
/// Set-SecretValue: stores a value as the secret's next version (creating the secret as version 1).
/// -ExpectedVersion makes it a compare-and-swap (0: the secret must not exist yet). Name and Namespace
/// bind by property name, so <c>Get-SecretEntry | Set-SecretValue -Value $v</c> works; the value binds
/// from the pipeline (<c>$secure | Set-SecretValue -Name x</c>), so Name never binds by value.
/// </summary>
[Cmdlet(VerbsCommon.Set, "SecretValue", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SecretEntry))]
public sealed class SetSecretValueCommand : OneSecretCmdlet
{
    /// <summary>The secret's name: by property name only, never by value, so a piped value is never taken for a name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = NameHelp)]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The value.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, HelpMessage = "The value: a string, SecureString, PSCredential, byte[] or Hashtable of those. A literal string typed here stays in your history; prefer Read-Host -AsSecureString.")]
    [ValidateNotNull]
    public object Value { get; set; } = null!;

    /// <summary>Time to live from now.</summary>
    [Parameter(HelpMessage = "Time to live from now: a TimeSpan, or a number with its unit such as 90s, 30m, 12h, 7d, 2w or 1h30m (a bare number is refused). The secret then reads as expired.")]
    [DurationTransformation]
    public TimeSpan? TimeToLive { get; set; }

    /// <summary>Metadata, stored in clear.</summary>
    [Parameter(HelpMessage = "Metadata (not secret, stored in clear): keys of letters, digits, '.', '_', '-'; values string, int, long, bool or DateTime. Replaces the existing metadata.")]
    public Hashtable? Metadata { get; set; }

    /// <summary>The version the secret must be at.</summary>
    [Parameter(HelpMessage = "Compare-and-swap: the secret's current version must be this (0: it must not exist yet), or nothing is written (SecretOps.Conflict).")]
    public int? ExpectedVersion { get; set; }

    /// <summary>Output the secret's entry.</summary>
    [Parameter(HelpMessage = "Output the secret's entry (never its value).")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var ns = NamespaceOrDefault(Namespace);
        try
        {
            using var value = PowerShellValues.ToSecretValue(Value);
            var options = new SetSecretOptions
            {
                TimeToLive = TimeToLive,
                Metadata = Metadata is null ? null : PowerShellValues.ToMetadata(Metadata),
                ExpectedVersion = ExpectedVersion,
            };

            if (!ShouldProcess(Describe(ns, Name), $"Set a new {value.Type} version"))
            {
                return;
            }

            var entry = Session.SetSecret(ns, Name, value, options);
            WriteVerbose($"Secret '{Describe(entry.Namespace, entry.Name)}' is now at version {entry.Version}.");
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
