using System.Runtime.CompilerServices;
using SecretOps.Core;

namespace SecretOps.Module;

/// <summary>
/// A connected session as <c>Connect-SecretOpsStore -PassThru</c> shows it. Its <see cref="Store"/> and
/// <see cref="Client"/> bind by property name to <c>-Store</c>/<c>-Client</c> of the other cmdlets and of
/// <c>Disconnect-SecretOpsStore</c>. It holds no key: the session itself stays in the registry.
/// </summary>
public sealed class SessionInfo
{
    internal SessionInfo(Session session, ConnectionState.Settings settings)
    {
        Store = session.Store.Path;
        StoreId = session.Store.StoreId;
        Client = session.ClientName;
        ClientId = session.ClientId;
        Role = session.Role;
        Namespace = settings.Namespace;
        IdleTimeout = settings.IdleTimeout;
        ConnectedAt = settings.ConnectedAt;
        IsOpen = session.IsOpen;
    }

    /// <summary>The store file.</summary>
    public string Store { get; }

    /// <summary>The store's identity.</summary>
    public Guid StoreId { get; }

    /// <summary>The connected client's name.</summary>
    public string Client { get; }

    /// <summary>The connected client's id.</summary>
    public Guid ClientId { get; }

    /// <summary>The connected client's role.</summary>
    public ClientRole Role { get; }

    /// <summary>The namespace cmdlets use when -Namespace is not given.</summary>
    public string Namespace { get; }

    /// <summary>Idle time after which the session locks itself; negative means never.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>When the session was connected.</summary>
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>False once disconnected or timed out.</summary>
    public bool IsOpen { get; }
}

/// <summary>
/// What the module remembers about each session beyond what Core's <see cref="Session"/> exposes: the
/// default namespace and idle timeout the connection resolved to. Keyed weakly, so a session dropped
/// from <see cref="SessionRegistry"/> takes its entry with it.
/// </summary>
internal static class ConnectionState
{
    private static readonly ConditionalWeakTable<Session, Settings> Table = new();

    public static void Remember(Session session, string ns, TimeSpan idleTimeout) =>
        Table.AddOrUpdate(session, new Settings(ns, idleTimeout, DateTimeOffset.Now));

    /// <summary>The settings of a session; for one connected by another surface, the defaults.</summary>
    public static Settings Of(Session session) =>
        Table.TryGetValue(session, out var settings) ? settings : new Settings(SecretStore.DefaultNamespace, TimeSpan.FromMinutes(15), DateTimeOffset.MinValue);

    public static string DefaultNamespace(Session session) => Of(session).Namespace;

    public static SessionInfo Describe(Session session) => new(session, Of(session));

    internal sealed record Settings(string Namespace, TimeSpan IdleTimeout, DateTimeOffset ConnectedAt);
}
