using System.Net;
using System.Net.Sockets;

namespace SecretOps.Core.Remote;

/// <summary>
/// Strict address parsing and the one normal form addresses are compared in. <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>
/// also reads "127.1", "0x7f.0.0.1", octal parts and bracketed addresses with ports, forms an operator or a proxy never
/// means; here an IPv4 address is four decimal parts and an IPv6 address is plain text with no scope or brackets.
/// </summary>
internal static class IPAddressText
{
    /// <summary>Parses an address in the strict form, normalised (<see cref="Normalize"/>).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':'))
        {
            if (text.IndexOfAny('%', '[', ']') >= 0 || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            address = Normalize(parsed);
            return true;
        }

        // One range more than four, so a fifth part shows as a fifth range instead of joining the fourth.
        Span<Range> parts = stackalloc Range[5];
        if (text.Split(parts, '.') != 4)
        {
            return false;
        }

        Span<byte> octets = stackalloc byte[4];
        for (var i = 0; i < 4; i++)
        {
            var digits = text[parts[i]];
            if (digits.Length is 0 or > 3 || digits.IndexOfAnyExceptInRange('0', '9') >= 0 || (digits[0] == '0' && digits.Length > 1))
            {
                return false;
            }

            var value = int.Parse(digits, provider: System.Globalization.CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            octets[i] = (byte)value;
        }

        address = new IPAddress(octets);
        return true;
    }

    /// <summary>
    /// The form addresses are compared in: an IPv4-mapped IPv6 address (<c>::ffff:a.b.c.d</c>, what a dual-mode socket
    /// reports for an IPv4 peer) becomes the IPv4 address, and an IPv6 scope id is dropped.
    /// </summary>
    public static IPAddress Normalize(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }
}
