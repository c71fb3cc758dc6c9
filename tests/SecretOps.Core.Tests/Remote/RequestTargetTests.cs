using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>The raw target is signed as sent; only the query's order is canonical, and what cannot be signed is refused.</summary>
public class RequestTargetTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/v1/secrets/db", "/v1/secrets/db")]
    [InlineData("/v1/secrets/db%2Fpassword", "/v1/secrets/db%2Fpassword")]
    [InlineData("/v1/a%3ab/%3Ac", "/v1/a%3ab/%3Ac")]
    [InlineData("/v1/./a/../b//c", "/v1/./a/../b//c")]
    [InlineData("/a?b=2&a=1", "/a?a=1&b=2")]
    [InlineData("/a?a=2&a=10", "/a?a=10&a=2")]
    [InlineData("/a?b&&a=", "/a?&a=&b")]
    [InlineData("/a?", "/a?")]
    [InlineData("/a?=x&=", "/a?=&=x")]
    [InlineData("/a?B=1&a=1&_=1", "/a?B=1&_=1&a=1")]
    [InlineData("/a?q=%2b&q=+", "/a?q=%2b&q=+")]
    [InlineData("/a?x=1?y=2&a", "/a?a&x=1?y=2")]
    public void Canonicalize_KeepsThePathAndEncodingAsSent_AndSortsTheQueryOrdinally(string raw, string canonical) =>
        Assert.Equal(canonical, RequestTarget.Canonicalize(raw));

    [Fact]
    public void Canonicalize_IsIdempotent_AndIgnoresOnlyParameterOrder()
    {
        var canonical = RequestTarget.Canonicalize("/s?c=3&a=1&b=2");
        Assert.Equal(canonical, RequestTarget.Canonicalize(canonical));
        Assert.Equal(canonical, RequestTarget.Canonicalize("/s?b=2&c=3&a=1"));
        Assert.NotEqual(canonical, RequestTarget.Canonicalize("/s?c=3&a=1&b=2&"));
        Assert.NotEqual(RequestTarget.Canonicalize("/a"), RequestTarget.Canonicalize("/a?"));
    }

    [Theory]
    [InlineData("", "origin-form")]
    [InlineData("v1/secrets", "origin-form")]
    [InlineData("*", "origin-form")]
    [InlineData("https://example.com/v1/secrets", "origin-form")]
    [InlineData("/v1/secrets#top", "fragment")]
    [InlineData("/v1/secrets?a=1#top", "fragment")]
    [InlineData("/v1/sec rets", "visible ASCII")]
    [InlineData("/v1/secrets\n", "visible ASCII")]
    [InlineData("/v1/sécrets", "visible ASCII")]
    public void Canonicalize_RefusesTargetsThatCannotBeSigned(string raw, string reason)
    {
        var error = Assert.Throws<RequestRefusedException>(() => RequestTarget.Canonicalize(raw));
        Assert.Equal(RequestRefusal.Malformed, error.Reason);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
