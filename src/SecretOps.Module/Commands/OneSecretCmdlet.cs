using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Base of the cmdlets about one secret: -Namespace, bound by property name so entries pipe in, with a
/// completer. Each subclass declares -Name, because how it binds from the pipeline differs
/// (<see cref="SecretByNameCmdlet"/>; Set-SecretValue, whose pipeline carries the value).
/// </summary>
public abstract class OneSecretCmdlet : SecretCmdlet
{
    /// <summary>The help of -Name, the same in every cmdlet about one secret.</summary>
    private protected const string NameHelp = "Name of the secret (1-256 characters, no control or bidirectional formatting characters; case is ignored when matching).";

    /// <summary>The namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Namespace of the secret. Default: the session's namespace.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }
}
