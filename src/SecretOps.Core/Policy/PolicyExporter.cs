using SecretOps.Core.Secrets;

namespace SecretOps.Core.Policy;

/// <summary>
/// Writes what a session can list (namespaces, clients, grants) as a <see cref="PolicyDocument"/>. The caller
/// checks that the session may export policies (<see cref="Session.ExportPolicy"/>) and supplies the PEM public key
/// of a key-file client, which the listed <see cref="ClientInfo"/> does not carry.
/// </summary>
internal sealed class PolicyExporter(Session session, Func<string, string> publicKeyPem)
{
    /// <summary>The store's namespaces, clients and grants as a policy document.</summary>
    public PolicyDocument Export()
    {
        var clients = session.ListClients();
        return new PolicyDocument
        {
            Namespaces = session.ListNamespaces().Select(n => new PolicyNamespace { Name = n.Name, Description = n.Description, MaxVersions = n.MaxVersions }).ToList(),
            Clients = clients.Select(c => new PolicyClient
            {
                Name = c.Name,
                Kind = c.Kind.ToString().ToLowerInvariant(),
                Role = c.Role.ToString().ToLowerInvariant(),
                Status = c.Status.ToString().ToLowerInvariant(),
                Description = c.Description,
                PublicKey = c.Kind == ClientKind.KeyFile ? publicKeyPem(c.Name) : null,
            }).ToList(),
            Grants = WithoutCoveredSecretGrants(session.ListPermissions()).Select(p => new PolicyGrant
            {
                Client = p.Client,
                Namespace = p.Namespace,
                Secret = p.Secret,
                Permissions = Session.FlagNames(p.Permissions),
            }).ToList(),
        };
    }

    /// <summary>
    /// Secret-level grants a client's namespace grant already covers (every secret's creator has one) add
    /// nothing to a policy and would tie it to secrets existing; they are left out of exports.
    /// </summary>
    private static IEnumerable<PermissionInfo> WithoutCoveredSecretGrants(IReadOnlyList<PermissionInfo> permissions)
    {
        var namespaceGrants = permissions.Where(p => p.Scope == ScopeType.Namespace)
            .ToDictionary(p => (p.ClientId, Names.LookupKey(p.Namespace)), p => p.Permissions);
        return permissions.Where(p => p.Scope == ScopeType.Namespace
            || (p.Permissions & ~namespaceGrants.GetValueOrDefault((p.ClientId, Names.LookupKey(p.Namespace)))) != Permissions.None);
    }
}
