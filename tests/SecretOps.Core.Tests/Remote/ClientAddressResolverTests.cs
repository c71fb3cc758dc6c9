using System.Net;
using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>
/// X-Forwarded-For is believed only from trusted proxies and only up to the first untrusted hop: a client cannot choose
/// the address the server attributes its request to.
/// </summary>
public class ClientAddressResolverTests
{
    private static readonly ClientAddressResolver BehindProxies = ClientAddressResolver.Create(true, ["10.0.0.0/8", "2001:db8:1::/48"]);

    private static ClientAddress Resolve(ClientAddressResolver resolver, string peer, params string?[] forwardedFor) =>
        resolver.Resolve(IPAddress.Parse(peer), forwardedFor);

    [Fact]
    public void WithoutForwarding_ThePeerIsTheClient_WhateverTheHeaderSays()
    {
        var address = Resolve(ClientAddressResolver.Direct, "203.0.113.9", "192.0.2.1");
        Assert.Equal(IPAddress.Parse("203.0.113.9"), address.Peer);
        Assert.Equal(IPAddress.Parse("203.0.113.9"), address.Resolved);
    }

    [Fact]
    public void AnUntrustedPeersForwardedFor_IsIgnored_EvenWhenMalformed()
    {
        // A client connecting directly claims to be an allowed address: it stays itself.
        Assert.Equal(IPAddress.Parse("203.0.113.9"), Resolve(BehindProxies, "203.0.113.9", "127.0.0.1").Resolved);
        Assert.Equal(IPAddress.Parse("203.0.113.9"), Resolve(BehindProxies, "203.0.113.9", "10.0.0.5, 127.0.0.1").Resolved);
        Assert.Equal(IPAddress.Parse("203.0.113.9"), Resolve(BehindProxies, "203.0.113.9", "not an address").Resolved);
    }

    [Fact]
    public void ATrustedProxysForwardedFor_IsHonoured()
    {
        var address = Resolve(BehindProxies, "10.0.0.2", "192.0.2.44");
        Assert.Equal(IPAddress.Parse("10.0.0.2"), address.Peer);
        Assert.Equal(IPAddress.Parse("192.0.2.44"), address.Resolved);
    }

    [Fact]
    public void TheWalkGoesRightToLeft_SkippingTrustedHops_AndStopsAtTheFirstUntrustedOne()
    {
        // The client wrote "127.0.0.1" itself; the outer proxy appended what it saw (192.0.2.44), the inner one the outer proxy.
        Assert.Equal(IPAddress.Parse("192.0.2.44"), Resolve(BehindProxies, "10.0.0.2", "127.0.0.1, 192.0.2.44, 10.0.0.3").Resolved);
        Assert.Equal(IPAddress.Parse("192.0.2.44"), Resolve(BehindProxies, "10.0.0.2", "127.0.0.1, 192.0.2.44", "10.1.0.1,10.0.0.3").Resolved);
    }

    [Fact]
    public void WhenEveryHopIsTrusted_TheLeftmostIsTheClient_AndWithNoEntriesThePeer()
    {
        Assert.Equal(IPAddress.Parse("10.9.9.9"), Resolve(BehindProxies, "10.0.0.2", "10.9.9.9, 10.0.0.3").Resolved);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), Resolve(BehindProxies, "10.0.0.2").Resolved);
    }

    [Theory]
    [InlineData("192.0.2.44:51234", "192.0.2.44")]
    [InlineData("  192.0.2.44\t", "192.0.2.44")]
    [InlineData("2001:db8:ffff::44", "2001:db8:ffff::44")]
    [InlineData("[2001:db8:ffff::44]", "2001:db8:ffff::44")]
    [InlineData("[2001:db8:ffff::44]:443", "2001:db8:ffff::44")]
    [InlineData("::ffff:192.0.2.44", "192.0.2.44")]
    [InlineData("[::ffff:192.0.2.44]:80", "192.0.2.44")]
    public void EntryForms_WithPortsBracketsAndSpaces_AreRead(string entry, string client) =>
        Assert.Equal(IPAddress.Parse(client), Resolve(BehindProxies, "10.0.0.2", entry).Resolved);

    [Theory]
    [InlineData("unknown")]
    [InlineData("_hidden")]
    [InlineData("")]
    [InlineData("192.0.2.44, ")]
    [InlineData("192.0.2.44,,10.0.0.3")]
    [InlineData("proxy.example.com")]
    [InlineData("127.1")]
    [InlineData("192.0.2.44:")]
    [InlineData("192.0.2.44:65536")]
    [InlineData("192.0.2.44:http")]
    [InlineData("[192.0.2.44]")]
    [InlineData("[2001:db8::44")]
    [InlineData("[2001:db8::44]x")]
    [InlineData("fe80::1%eth0")]
    public void AMalformedEntryTheWalkReaches_RefusesTheRequest(string forwardedFor)
    {
        var error = Assert.Throws<RequestRefusedException>(() => Resolve(BehindProxies, "10.0.0.2", forwardedFor));
        Assert.Equal(RequestRefusal.ForwardedForMalformed, error.Reason);
        Assert.Equal("SecretOps.RequestForwardedForMalformed", error.ErrorId);
        Assert.Equal(SecretOpsErrorCategory.InvalidArgument, error.Category);
        Assert.Contains("trusted proxy 10.0.0.2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedEntryLeftOfTheClient_WasWrittenByTheClient_AndIsNotRead() =>
        Assert.Equal(IPAddress.Parse("192.0.2.44"), Resolve(BehindProxies, "10.0.0.2", "unknown, 192.0.2.44").Resolved);

    [Fact]
    public void IPv4MappedPeersAndEntries_MatchIPv4ProxyRanges()
    {
        var address = Resolve(BehindProxies, "::ffff:10.0.0.2", "192.0.2.44, ::ffff:10.0.0.3");
        Assert.Equal(IPAddress.Parse("10.0.0.2"), address.Peer);
        Assert.Equal(IPAddress.Parse("192.0.2.44"), address.Resolved);
    }

    [Fact]
    public void IPv6Proxies_AreTrustedByTheirRange()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.44"), Resolve(BehindProxies, "2001:db8:1::7", "192.0.2.44").Resolved);
        Assert.Equal(IPAddress.Parse("2001:db8:2::7"), Resolve(BehindProxies, "2001:db8:2::7", "192.0.2.44").Resolved);
    }

    [Fact]
    public void ForwardingWithoutProxies_IsRefused()
    {
        var error = Assert.Throws<InvalidParameterException>(() => ClientAddressResolver.Create(true, []));
        Assert.Equal("trustedProxies", error.Target);
        Assert.Contains("no trusted proxy is listed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProxiesWithoutForwarding_IsRefused() =>
        Assert.Contains("forwarded headers are disabled", Assert.Throws<InvalidParameterException>(() => ClientAddressResolver.Create(false, ["10.0.0.2"])).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("::/0")]
    [InlineData("::ffff:0:0/96")]
    public void AProxyRangeHoldingEveryAddress_IsRefused(string range) =>
        Assert.Contains("holds every address", Assert.Throws<InvalidParameterException>(() => ClientAddressResolver.Create(true, [range])).Message, StringComparison.Ordinal);

    [Fact]
    public void ABadProxyRange_IsRefusedNamingIt() =>
        Assert.Contains("'10.0.0.1/8'", Assert.Throws<InvalidParameterException>(() => ClientAddressResolver.Create(true, ["10.0.0.1/8"])).Message, StringComparison.Ordinal);

    [Fact]
    public void NoForwarding_IsTheDirectResolver() => Assert.Same(ClientAddressResolver.Direct, ClientAddressResolver.Create(false, []));
}
