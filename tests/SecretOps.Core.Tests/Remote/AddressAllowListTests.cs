using System.Net;
using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>Per-client allow-lists: checked against the resolved address; a refusal says what the server saw.</summary>
public class AddressAllowListTests
{
    private static ClientAddress Direct(string address) => new(IPAddress.Parse(address), IPAddress.Parse(address));

    [Fact]
    public void AnEmptyList_AllowsAnyAddress()
    {
        Assert.Same(AddressAllowList.Any, AddressAllowList.Parse([]));
        AddressAllowList.Any.EnsurePermits(Direct("203.0.113.9"), "ci");
        AddressAllowList.Any.EnsurePermits(Direct("2001:db8::9"), "ci");
    }

    [Fact]
    public void AClientBoundToOneAddress_IsRefusedFromAnother_NamingTheAddressSeen()
    {
        var list = AddressAllowList.Parse(["127.0.0.1/32"]);
        list.EnsurePermits(Direct("127.0.0.1"), "ci");
        list.EnsurePermits(Direct("::ffff:127.0.0.1"), "ci");
        var error = Assert.Throws<RequestRefusedException>(() => list.EnsurePermits(Direct("127.0.0.2"), "ci"));
        Assert.Equal(RequestRefusal.AddressNotAllowed, error.Reason);
        Assert.Equal("SecretOps.RequestAddressNotAllowed", error.ErrorId);
        Assert.Equal(SecretOpsErrorCategory.AccessDenied, error.Category);
        Assert.Equal("ci", error.Target);
        Assert.Equal("Client 'ci' may not connect from 127.0.0.2: the address is not in its allow-list.", error.Message);
    }

    [Fact]
    public void AForwardedAddress_IsChecked_AndTheRefusalNamesTheProxyToo()
    {
        var list = AddressAllowList.Parse(["192.0.2.0/24", "2001:db8::/32"]);
        list.EnsurePermits(new ClientAddress(IPAddress.Parse("10.0.0.2"), IPAddress.Parse("192.0.2.44")), "ci");

        // The proxy itself is not the client: a proxy address in no allow-list does not let the request through.
        var error = Assert.Throws<RequestRefusedException>(() => list.EnsurePermits(new ClientAddress(IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.7")), "ci"));
        Assert.Contains("198.51.100.7 (forwarded by proxy 192.0.2.1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadEntry_IsRefusedNamingIt()
    {
        var error = Assert.Throws<InvalidParameterException>(() => AddressAllowList.Parse(["192.0.2.0/24", "192.0.2.300"]));
        Assert.Equal("allowList", error.Target);
        Assert.Contains("'192.0.2.300'", error.Message, StringComparison.Ordinal);
    }
}
