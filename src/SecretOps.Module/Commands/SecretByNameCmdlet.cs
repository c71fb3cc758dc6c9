using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Base of the cmdlets that read or change an existing secret: -Name (position 0) binds from the pipeline by
/// value (<c>'db' | Get-SecretValue</c>) and by property name (<c>Get-SecretEntry db* | Get-SecretVersion</c>).
/// </summary>
public abstract class SecretByNameCmdlet : OneSecretCmdlet
{
    /// <summary>The secret's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = NameHelp)]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";
}
