namespace SecretOps.Core;

/// <summary>
/// The sessions open in this process, keyed by store path and client, so several stores and clients can
/// be connected at once (a PowerShell session, its vault registrations). Locked or disposed sessions
/// drop out on the next lookup.
/// </summary>
public static class SessionRegistry
{
    private static readonly object Gate = new();
    private static readonly List<Session> Sessions = new();

    /// <summary>Registers a session, replacing (and disposing) an earlier one for the same store and client.</summary>
    public static Session Add(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Session? replaced;
        lock (Gate)
        {
            replaced = Sessions.Find(s => Matches(s, session.Store.Path, session.ClientId.ToString()));
            if (replaced is not null)
            {
                Sessions.Remove(replaced);
            }

            Sessions.Add(session);
        }

        replaced?.Dispose();
        return session;
    }

    /// <summary>
    /// The open session for the store (and client, by name or id, when given); with neither, the most
    /// recently connected open session. Null when there is none.
    /// </summary>
    public static Session? Find(string? storePath = null, string? client = null)
    {
        var path = storePath is null ? null : StoreLocation(storePath);
        lock (Gate)
        {
            Prune();
            for (var i = Sessions.Count - 1; i >= 0; i--)
            {
                if ((path is null || PathEquals(Sessions[i].Store.Path, path)) && (client is null || Matches(Sessions[i], Sessions[i].Store.Path, client)))
                {
                    return Sessions[i];
                }
            }

            return null;
        }
    }

    /// <summary>Every open session, oldest first.</summary>
    public static IReadOnlyList<Session> All
    {
        get
        {
            lock (Gate)
            {
                Prune();
                return [.. Sessions];
            }
        }
    }

    /// <summary>Disposes and forgets a session.</summary>
    public static void Remove(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (Gate)
        {
            Sessions.Remove(session);
        }

        session.Dispose();
    }

    private static void Prune()
    {
        foreach (var stale in Sessions.Where(s => !s.IsOpen).ToList())
        {
            Sessions.Remove(stale);
            stale.Dispose();
        }
    }

    /// <summary>Whether <paramref name="session"/> is <paramref name="client"/>'s (name or id) on the store at <paramref name="path"/>.</summary>
    internal static bool Matches(Session session, string path, string client) =>
        PathEquals(session.Store.Path, path)
        && (string.Equals(session.ClientName, client, StringComparison.OrdinalIgnoreCase)
            || (Guid.TryParse(client, out var id) && id == session.ClientId));

    /// <summary>
    /// A store as its sessions name it: a server by its address as a hosted session names it (scheme, host and port, then
    /// "/"), a file by its full path.
    /// </summary>
    internal static string StoreLocation(string store) =>
        Remote.RemoteStoreBackend.IsServerAddress(store) && Uri.TryCreate(store, UriKind.Absolute, out var uri)
            ? uri.GetLeftPart(UriPartial.Authority) + "/"
            : Path.GetFullPath(store);

    private static bool PathEquals(string a, string b) =>
        string.Equals(a, b, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
