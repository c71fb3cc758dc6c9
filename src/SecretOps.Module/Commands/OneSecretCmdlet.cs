using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Base of the cmdlets about one secret: -Name (position 0) and -Namespace, both bound by property name so
/// entries pipe in (<c>Get-SecretEntry db* | Get-SecretVersion</c>), with completers.
/// </summary>
public abstract class OneSecretCmdlet : SecretCmdlet
{
    /// <summary>The secret's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the secret (1-256 characters, no control or bidirectional formatting characters; case is ignored when matching).")]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Namespace of the secret. Default: the session's namespace.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }
}
