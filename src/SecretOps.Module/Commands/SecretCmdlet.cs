namespace SecretOps.Module.Commands;

/// <summary>Base of the secrets family: a session, and the namespace to use when -Namespace is not given.</summary>
public abstract class SecretCmdlet : SessionCmdlet
{
    /// <summary><paramref name="ns"/>, or the session's default namespace (from the connection: -Namespace, SECRETOPS_NAMESPACE, the profile, or <c>default</c>).</summary>
    private protected string NamespaceOrDefault(string? ns) =>
        string.IsNullOrEmpty(ns) ? ConnectionState.DefaultNamespace(Session) : ns;

    /// <summary>How a secret is named in messages and confirmation prompts.</summary>
    private protected static string Describe(string ns, string name) => $"{ns}/{name}";
}
