using System.Globalization;
using System.Net;

namespace SecretOps.Core.Remote;

/// <summary>
/// An IPv4 or IPv6 network in CIDR notation (docs/SERVER-PROTOCOL.md §7). A bare address is a /32 or /128; a range
/// with host bits set (<c>10.0.0.1/8</c>) is refused as a likely typo, naming the network meant. An IPv4-mapped range
/// (<c>::ffff:10.0.0.0/104</c>) is the IPv4 range (<c>10.0.0.0/8</c>), as mapped addresses are compared as IPv4;
/// so <c>::/0</c> holds every IPv6 address and no IPv4 one. Containment is computed here over the address bytes.
/// </summary>
public sealed class AddressRange
{
    private const int MappedPrefixBits = 96;

    private readonly byte[] network;

    private AddressRange(byte[] network, int prefixLength)
    {
        this.network = network;
        PrefixLength = prefixLength;
    }

    /// <summary>The network address (host bits zero).</summary>
    public IPAddress Network => new(network);

    /// <summary>How many leading bits an address must share with <see cref="Network"/>.</summary>
    public int PrefixLength { get; }

    /// <summary>
    /// Parses <c>address</c> or <c>address/prefix</c>; anything else is refused (<see cref="InvalidParameterException"/>
    /// for <paramref name="parameterName"/>, naming the entry: configuration is not secret).
    /// </summary>
    public static AddressRange Parse(string text, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.AsSpan().Trim();
        var slash = trimmed.IndexOf('/');
        var addressText = slash < 0 ? trimmed : trimmed[..slash];
        if (!IPAddressText.TryParse(addressText, out var address))
        {
            throw new InvalidParameterException(parameterName, $"'{text}' is not an IPv4 or IPv6 address or CIDR range (e.g. 192.0.2.0/24, 2001:db8::/32).");
        }

        // Parsing an IPv4-mapped address already gave the IPv4 address: its prefix loses the 96 mapped bits.
        var mapped = addressText.Contains(':') && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        var bytes = address.GetAddressBytes();
        var maximum = (mapped ? MappedPrefixBits : 0) + bytes.Length * 8;
        var prefixLength = maximum;
        if (slash >= 0)
        {
            var prefixText = trimmed[(slash + 1)..];
            if (prefixText.Length is 0 or > 3 || prefixText.IndexOfAnyExceptInRange('0', '9') >= 0 || (prefixText[0] == '0' && prefixText.Length > 1)
                || (prefixLength = int.Parse(prefixText, CultureInfo.InvariantCulture)) > maximum)
            {
                throw new InvalidParameterException(parameterName, $"'{text}' has a prefix length that is not a number from 0 to {maximum}.");
            }
        }

        if (mapped)
        {
            if (prefixLength < MappedPrefixBits)
            {
                throw new InvalidParameterException(parameterName, $"'{text}' covers IPv4-mapped and other IPv6 addresses; write the IPv4 range or a prefix of at least {MappedPrefixBits}.");
            }

            prefixLength -= MappedPrefixBits;
        }

        var range = new AddressRange(NetworkBytes(bytes, prefixLength), prefixLength);
        if (!range.network.AsSpan().SequenceEqual(bytes))
        {
            throw new InvalidParameterException(parameterName, $"'{text}' has host bits set; the network is {range} (or write the single address without a prefix).");
        }

        return range;
    }

    /// <summary>Whether <paramref name="address"/>, normalised (IPv4-mapped as IPv4), is in the range.</summary>
    public bool Contains(IPAddress address)
    {
        var bytes = IPAddressText.Normalize(address).GetAddressBytes();
        return bytes.Length == network.Length && NetworkBytes(bytes, PrefixLength).AsSpan().SequenceEqual(network);
    }

    /// <summary>The range in CIDR notation, e.g. <c>10.0.0.0/8</c>.</summary>
    public override string ToString() => $"{Network}/{PrefixLength}";

    private static byte[] NetworkBytes(ReadOnlySpan<byte> address, int prefixLength)
    {
        var bytes = address.ToArray();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return bytes;
    }
}
