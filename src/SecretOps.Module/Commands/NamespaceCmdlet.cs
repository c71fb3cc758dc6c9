namespace SecretOps.Module.Commands;

/// <summary>Base of the namespaces family: a session, and looking a namespace up before changing it.</summary>
public abstract class NamespaceCmdlet : SessionCmdlet
{
    /// <summary>
    /// The namespace as this client sees it, for confirmation messages and checks before a change. Null
    /// when it is not visible; for System and Admin clients (who see every namespace) a missing namespace
    /// is reported here as SecretOps.NotFound, for members Core decides (it may be AccessDenied).
    /// </summary>
    private protected NamespaceInfo? FindNamespace(string name)
    {
        var found = Session.ListNamespaces().FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase));
        if (found is null && Session.Role != ClientRole.Member)
        {
            throw new NotFoundException($"Namespace '{name}' does not exist.", name);
        }

        return found;
    }
}
