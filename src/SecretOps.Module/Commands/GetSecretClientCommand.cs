using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Get-SecretClient: the store's clients (never a credential or private key), filtered by -Name (wildcards,
/// or a client id). Names and roles are not secret, so every client may list them. A name without
/// wildcards that matches nothing is SecretOps.NotFound. Pipes into the other client cmdlets
/// (<c>Get-SecretClient ci-* | Disable-SecretClient</c>).
/// </summary>
[Cmdlet(VerbsCommon.Get, "SecretClient")]
[OutputType(typeof(ClientInfo))]
public sealed class GetSecretClientCommand : ClientCmdlet
{
    private IReadOnlyList<ClientInfo>? all;

    /// <summary>Name filters.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Names (or ids) of the clients to show; wildcards allowed. Default: all.")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            all ??= Session.ListClients();
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Session.Store.Path);
            return;
        }

        if (Name is null)
        {
            foreach (var client in all)
            {
                WriteObject(client);
            }

            return;
        }

        foreach (var filter in Name)
        {
            var pattern = new WildcardPattern(filter, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            var byId = Guid.TryParse(filter, out var id);
            var matches = all.Where(c => pattern.IsMatch(c.Name) || (byId && c.Id == id)).ToList();
            foreach (var client in matches)
            {
                WriteObject(client);
            }

            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(filter))
            {
                WriteFailure(new NotFoundException($"There is no client '{filter}'.", filter), filter);
            }
        }
    }
}
