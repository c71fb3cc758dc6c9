using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretNamespace: the namespaces this client can see (all of them for System and Admin clients),
/// filtered by -Name (wildcards). A name without wildcards that matches nothing is SecretOps.NotFound.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretNamespace")]
[OutputType(typeof(NamespaceInfo))]
public sealed class GetSecretNamespaceCommand : NamespaceCmdlet
{
    private IReadOnlyList<NamespaceInfo>? all;

    /// <summary>Name filters.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Names of the namespaces to show; wildcards allowed. Default: all.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            all ??= Session.ListNamespaces();
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Session.Store.Path);
            return;
        }

        if (Name is null)
        {
            foreach (var ns in all)
            {
                WriteObject(ns);
            }

            return;
        }

        foreach (var filter in Name)
        {
            var pattern = new WildcardPattern(filter, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            var matches = all.Where(n => pattern.IsMatch(n.Name)).ToList();
            foreach (var ns in matches)
            {
                WriteObject(ns);
            }

            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(filter))
            {
                WriteFailure(new NotFoundException($"Namespace '{filter}' does not exist (or this client has no access to it).", filter), filter);
            }
        }
    }
}
