using System.Net;

namespace SecretOps.Core.Remote;

/// <summary>
/// The addresses a client may connect from, checked on every request against the resolved address
/// (docs/SERVER-PROTOCOL.md §7). An empty list allows any address, the default of DFFmpeg and Infisical; the server's
/// configuration may give clients with no list of their own a default one.
/// </summary>
public sealed class AddressAllowList
{
    private AddressAllowList(IReadOnlyList<AddressRange> ranges)
    {
        Ranges = ranges;
    }

    /// <summary>The list that allows every address.</summary>
    public static AddressAllowList Any { get; } = new([]);

    /// <summary>The ranges allowed; empty allows any address.</summary>
    public IReadOnlyList<AddressRange> Ranges { get; }

    /// <summary>Parses CIDR ranges and bare addresses (<see cref="AddressRange.Parse"/>); a bad entry is refused, naming it.</summary>
    public static AddressAllowList Parse(IEnumerable<string> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var parsed = ranges.Select(text => AddressRange.Parse(text, "allowList")).ToList();
        return parsed.Count == 0 ? Any : new AddressAllowList(parsed);
    }

    /// <summary>Whether <paramref name="address"/> (normalised, IPv4-mapped as IPv4) may connect.</summary>
    public bool Permits(IPAddress address) => Ranges.Count == 0 || Ranges.Any(range => range.Contains(address));

    /// <summary>
    /// Refuses (<see cref="RequestRefusal.AddressNotAllowed"/>) a request of <paramref name="client"/> whose resolved
    /// address is not allowed, naming the address the server saw and, when a proxy forwarded it, the proxy.
    /// </summary>
    public void EnsurePermits(ClientAddress address, string client)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (Permits(address.Resolved))
        {
            return;
        }

        var seen = address.Peer.Equals(address.Resolved) ? $"{address.Resolved}" : $"{address.Resolved} (forwarded by proxy {address.Peer})";
        throw new RequestRefusedException(RequestRefusal.AddressNotAllowed,
            $"Client '{client}' may not connect from {seen}: the address is not in its allow-list.", client);
    }
}
