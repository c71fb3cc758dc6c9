using System.Net;

namespace SecretOps.Core.Remote;

/// <summary>
/// Finds the client's address behind trusted proxies (docs/SERVER-PROTOCOL.md §7). <c>X-Forwarded-For</c> is read
/// only when the direct peer is a trusted proxy; proxies append what they saw, so its entries are walked from the right,
/// skipping trusted proxies, and the first untrusted entry is the client (the leftmost when every hop is trusted).
/// Entries left of it were written by the client itself and are never read.
/// </summary>
public sealed class ClientAddressResolver
{
    /// <summary>The header proxies report the addresses they forwarded for in.</summary>
    public const string ForwardedForHeader = "X-Forwarded-For";

    private ClientAddressResolver(IReadOnlyList<AddressRange> trustedProxies)
    {
        TrustedProxies = trustedProxies;
    }

    /// <summary>A resolver for a server no proxy stands in front of: the peer is the client, <c>X-Forwarded-For</c> is ignored.</summary>
    public static ClientAddressResolver Direct { get; } = new([]);

    /// <summary>The proxies whose <c>X-Forwarded-For</c> is believed; empty when forwarding is off.</summary>
    public IReadOnlyList<AddressRange> TrustedProxies { get; }

    /// <summary>
    /// Checks the server's forwarding settings and builds the resolver. Refused (<see cref="InvalidParameterException"/>):
    /// forwarding on with no trusted proxy (ASP.NET Core's forwarded headers then believe every peer), a proxy list with
    /// forwarding off (requests would all seem to come from the proxy), a range that is not one, and a /0 range (that is
    /// trusting everyone again).
    /// </summary>
    public static ClientAddressResolver Create(bool forwardingEnabled, IEnumerable<string> trustedProxies)
    {
        ArgumentNullException.ThrowIfNull(trustedProxies);
        var ranges = trustedProxies.Select(text => AddressRange.Parse(text, "trustedProxies")).ToList();
        if (forwardingEnabled && ranges.Count == 0)
        {
            throw new InvalidParameterException("trustedProxies",
                "Forwarded headers are enabled but no trusted proxy is listed: every peer could then claim any address. List the proxies' addresses or ranges, or turn forwarding off.");
        }

        if (!forwardingEnabled && ranges.Count > 0)
        {
            throw new InvalidParameterException("trustedProxies",
                "Trusted proxies are listed but forwarded headers are disabled: every request would seem to come from the proxy. Enable forwarding, or remove the list.");
        }

        if (ranges.Find(range => range.PrefixLength == 0) is { } everyone)
        {
            throw new InvalidParameterException("trustedProxies", $"The trusted proxy range {everyone} holds every address: list the proxies themselves.");
        }

        return forwardingEnabled ? new ClientAddressResolver(ranges) : Direct;
    }

    /// <summary>
    /// The client's address for a request from <paramref name="peer"/> carrying <paramref name="forwardedForValues"/>
    /// (every <c>X-Forwarded-For</c> header, in the order received; each a comma-separated list whose entries are an IPv4
    /// address with or without a port, or an IPv6 address bare or bracketed with or without a port). An entry the walk
    /// reaches that is not an address refuses the request (<see cref="RequestRefusal.ForwardedForMalformed"/>): which hop
    /// wrote it cannot be known, so it is never skipped or trusted.
    /// </summary>
    public ClientAddress Resolve(IPAddress peer, IEnumerable<string?> forwardedForValues)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(forwardedForValues);
        var normalPeer = IPAddressText.Normalize(peer);
        if (!IsTrusted(normalPeer))
        {
            return new ClientAddress(normalPeer, normalPeer);
        }

        var entries = forwardedForValues.SelectMany(value => (value ?? "").Split(',')).ToList();
        var client = normalPeer;
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (!TryParseEntry(entries[i], out client))
            {
                throw new RequestRefusedException(RequestRefusal.ForwardedForMalformed,
                    $"Entry {entries.Count - i} from the right of {ForwardedForHeader}, forwarded by trusted proxy {normalPeer}, is not an IP address.", ForwardedForHeader);
            }

            if (!IsTrusted(client))
            {
                break;
            }
        }

        return new ClientAddress(normalPeer, client);
    }

    private bool IsTrusted(IPAddress address) => TrustedProxies.Any(range => range.Contains(address));

    private static bool TryParseEntry(string entry, out IPAddress address)
    {
        address = IPAddress.None;
        var text = entry.AsSpan().Trim(" \t");
        ReadOnlySpan<char> host;
        if (text.StartsWith("["))
        {
            // [IPv6] or [IPv6]:port.
            var close = text.IndexOf(']');
            if (close < 0 || !IsPortOrNothing(text[(close + 1)..]))
            {
                return false;
            }

            host = text[1..close];
            if (!host.Contains(':'))
            {
                return false;
            }
        }
        else
        {
            // One colon is IPv4 with a port; more is a bare IPv6 address, whose port (if any) cannot be told from it.
            var colon = text.IndexOf(':');
            var ipv4WithPort = colon >= 0 && text.LastIndexOf(':') == colon;
            if (ipv4WithPort && !IsPortOrNothing(text[colon..]))
            {
                return false;
            }

            host = ipv4WithPort ? text[..colon] : text;
        }

        return IPAddressText.TryParse(host, out address);
    }

    private static bool IsPortOrNothing(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return true;
        }

        var digits = text[1..];
        return text[0] == ':' && digits.Length is > 0 and <= 5 && digits.IndexOfAnyExceptInRange('0', '9') < 0
            && int.Parse(digits, provider: System.Globalization.CultureInfo.InvariantCulture) <= 65535;
    }
}
