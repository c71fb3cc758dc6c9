namespace SecretOps.Core.Remote;

/// <summary>
/// The request target as it is signed (docs/SERVER-PROTOCOL.md §3): the raw target as sent (ASP.NET Core's
/// <c>IHttpRequestFeature.RawTarget</c>), never decoded or normalised, so client and server agree byte for byte. Only the
/// query's order is canonical: its <c>&amp;</c>-separated parameters are sorted ordinally.
/// </summary>
public static class RequestTarget
{
    /// <summary>
    /// The canonical form of <paramref name="rawTarget"/>: the path as sent, then, when the target has a <c>?</c>, the
    /// query's parameters (empty ones too) sorted ordinally and joined with <c>&amp;</c>. Refuses (<see cref="RequestRefusal.Malformed"/>)
    /// a target that is not origin-form (starts with <c>/</c>), holds a fragment, or holds anything but visible ASCII.
    /// </summary>
    public static string Canonicalize(string rawTarget)
    {
        ArgumentNullException.ThrowIfNull(rawTarget);
        if (!rawTarget.StartsWith('/'))
        {
            throw Refuse("The request target must be origin-form (a path starting with '/').");
        }

        // Clients send only visible ASCII (anything else is percent-encoded), so the string is its bytes and ordinal order is byte order.
        if (rawTarget.AsSpan().IndexOfAnyExceptInRange('!', '~') >= 0)
        {
            throw Refuse("The request target holds a character that is not visible ASCII; percent-encode it.");
        }

        if (rawTarget.Contains('#'))
        {
            throw Refuse("The request target holds a fragment ('#'); fragments are never sent.");
        }

        var queryStart = rawTarget.IndexOf('?');
        if (queryStart < 0)
        {
            return rawTarget;
        }

        var parameters = rawTarget[(queryStart + 1)..].Split('&');
        Array.Sort(parameters, string.CompareOrdinal);
        return rawTarget[..(queryStart + 1)] + string.Join('&', parameters);
    }

    private static RequestRefusedException Refuse(string message) => new(RequestRefusal.Malformed, message, "target");
}
