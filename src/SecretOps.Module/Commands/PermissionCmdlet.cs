namespace SecretOps.Module.Commands;

/// <summary>
/// Base of the permissions family. <c>-Client</c> is the client the permission is about, so the session is
/// picked with <c>-Store</c> and <c>-AsClient</c>. A scope is a namespace, or one secret in it (<c>-Name</c>,
/// which also binds from a piped permission's <c>Secret</c>); flags come as <c>-Permission Read,Write</c>.
/// </summary>
public abstract class PermissionCmdlet : AsClientSessionCmdlet
{
    /// <summary>The flags of a <c>-Permission</c> array together; null when none were given.</summary>
    private protected static Permissions? Combine(Permissions[]? flags) =>
        flags is null ? null : flags.Aggregate(Permissions.None, (all, flag) => all | flag);

    /// <summary>An empty secret name (a piped namespace-wide permission has none) means the namespace itself.</summary>
    private protected static string? SecretOrNull(string? name) => string.IsNullOrEmpty(name) ? null : name;

    /// <summary>How a scope is named in messages and confirmation prompts.</summary>
    private protected static string DescribeScope(string ns, string? secret) =>
        secret is null ? $"namespace '{ns}'" : $"secret '{secret}' in namespace '{ns}'";

    /// <summary>Flags as people read them: <c>Read, Write</c>, or <c>all permissions</c>.</summary>
    private protected static string DescribeFlags(Permissions? flags) =>
        flags is null or Permissions.All ? "all permissions" : flags.Value.ToString();

    /// <summary><paramref name="ns"/>, or the session's default namespace (used when only a secret is named).</summary>
    private protected string NamespaceOrDefault(string? ns) =>
        string.IsNullOrEmpty(ns) ? ConnectionState.DefaultNamespace(Session) : ns;
}
