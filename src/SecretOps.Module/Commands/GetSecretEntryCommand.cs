using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretEntry: lists secrets (never values) whose names match -Name (wildcards), in one or more
/// namespaces (wildcards expand over the namespaces this client sees). Expired secrets only with
/// -IncludeExpired. A name without wildcards that matches nothing is an error (SecretOps.NotFound).
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretEntry")]
[OutputType(typeof(SecretEntry))]
public sealed class GetSecretEntryCommand : SecretCmdlet
{
    /// <summary>Name filter.</summary>
    [Parameter(Position = 0, HelpMessage = "Name of the secrets to list; wildcards (* ? [a-z]) allowed. Default: all.")]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string? Name { get; set; }

    /// <summary>Namespaces to list.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Namespaces to list; wildcards allowed ('*': every namespace this client sees). Default: the session's namespace.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    /// <summary>Include expired secrets.</summary>
    [Parameter(HelpMessage = "Also list secrets whose time to live has passed.")]
    public SwitchParameter IncludeExpired { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var found = 0;
        var failed = false;
        var searched = new List<string>();
        foreach (var requested in Namespace is { Length: > 0 } given ? given : [NamespaceOrDefault(null)])
        {
            var expanded = WildcardPattern.ContainsWildcardCharacters(requested);
            IEnumerable<string> namespaces;
            try
            {
                namespaces = expanded ? ExpandNamespaces(requested) : [requested];
            }
            catch (Exception e) when (ErrorMapping.IsExpected(e))
            {
                WriteFailure(e, requested);
                failed = true;
                continue;
            }

            foreach (var ns in namespaces)
            {
                searched.Add(ns);
                try
                {
                    foreach (var entry in Session.ListSecrets(ns, Name, IncludeExpired))
                    {
                        WriteObject(entry);
                        found++;
                    }
                }
                catch (AccessDeniedException) when (expanded)
                {
                    WriteVerbose($"Skipped namespace '{ns}': no access.");
                }
                catch (Exception e) when (ErrorMapping.IsExpected(e))
                {
                    WriteFailure(e, ns);
                    failed = true;
                }
            }
        }

        if (found == 0 && !failed && Name is not null && !WildcardPattern.ContainsWildcardCharacters(Name))
        {
            var where = searched.Count == 1 ? $"namespace '{searched[0]}'" : $"namespaces {string.Join(", ", searched.Select(n => $"'{n}'"))}";
            var hint = IncludeExpired ? "" : " (expired secrets are listed with -IncludeExpired)";
            WriteFailure(new NotFoundException($"There is no secret '{Name}' in {where}{hint}.", Name), Name);
        }
    }

    private IEnumerable<string> ExpandNamespaces(string pattern)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
        return Session.ListNamespaces().Where(n => wildcard.IsMatch(n.Name)).Select(n => n.Name).ToList();
    }
}
