using System.Net;
using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>CIDR ranges: strict parsing, no host bits, and IPv4-mapped addresses compared as IPv4 both ways.</summary>
public class AddressRangeTests
{
    private static AddressRange Range(string text) => AddressRange.Parse(text, "allowList");

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData(" 192.0.2.7 ", "192.0.2.7/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:DB8::1", "2001:db8::1/128")]
    [InlineData("::/0", "::/0")]
    [InlineData("::ffff:10.0.0.0/104", "10.0.0.0/8")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7/32")]
    [InlineData("::ffff:0:0/96", "0.0.0.0/0")]
    [InlineData("10.1.2.128/25", "10.1.2.128/25")]
    public void Parse_ReadsCidrAndBareAddresses(string text, string normal) => Assert.Equal(normal, Range(text).ToString());

    [Theory]
    [InlineData("", "is not an IPv4 or IPv6 address")]
    [InlineData("example.com", "is not an IPv4 or IPv6 address")]
    [InlineData("127.1", "is not an IPv4 or IPv6 address")]
    [InlineData("0x7f.0.0.1", "is not an IPv4 or IPv6 address")]
    [InlineData("010.0.0.1", "is not an IPv4 or IPv6 address")]
    [InlineData("256.0.0.1", "is not an IPv4 or IPv6 address")]
    [InlineData("1.2.3.4.5", "is not an IPv4 or IPv6 address")]
    [InlineData("[2001:db8::1]", "is not an IPv4 or IPv6 address")]
    [InlineData("fe80::1%eth0", "is not an IPv4 or IPv6 address")]
    [InlineData("10.0.0.0/33", "prefix length")]
    [InlineData("10.0.0.0/-1", "prefix length")]
    [InlineData("10.0.0.0/", "prefix length")]
    [InlineData("10.0.0.0/08", "prefix length")]
    [InlineData("10.0.0.0/8/8", "prefix length")]
    [InlineData("2001:db8::/129", "prefix length")]
    [InlineData("10.0.0.1/8", "host bits set; the network is 10.0.0.0/8")]
    [InlineData("2001:db8::1/32", "host bits set; the network is 2001:db8::/32")]
    [InlineData("::ffff:10.0.0.1/104", "host bits set; the network is 10.0.0.0/8")]
    [InlineData("::ffff:0:0/80", "IPv4-mapped and other IPv6")]
    public void Parse_RefusesAnythingElse_NamingTheEntry(string text, string problem)
    {
        var error = Assert.Throws<InvalidParameterException>(() => Range(text));
        Assert.Equal("allowList", error.Target);
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.1.2.128/25", "10.1.2.127", false)]
    [InlineData("10.1.2.128/25", "10.1.2.255", true)]
    [InlineData("192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "192.0.2.7", false)]
    [InlineData("127.0.0.1/32", "127.0.0.2", false)]
    // IPv4-mapped peers (dual-mode sockets) match IPv4 rules, and IPv4-mapped rules match IPv4 peers.
    [InlineData("192.0.2.0/24", "::ffff:192.0.2.7", true)]
    [InlineData("192.0.2.0/24", "::ffff:198.51.100.7", false)]
    [InlineData("::ffff:192.0.2.0/120", "192.0.2.7", true)]
    [InlineData("::ffff:192.0.2.0/120", "::ffff:192.0.2.7", true)]
    [InlineData("::/0", "::ffff:192.0.2.7", false)]
    public void Contains_ComparesNormalisedAddresses(string range, string address, bool contained) =>
        Assert.Equal(contained, Range(range).Contains(IPAddress.Parse(address)));

    [Fact]
    public void Contains_IgnoresTheScopeOfALinkLocalPeer() =>
        Assert.True(Range("fe80::/10").Contains(IPAddress.Parse("fe80::1%2")));
}
