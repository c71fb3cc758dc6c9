using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>Headers as a server receives them: a list of (name, value) lines, names matched ignoring case as HTTP does.</summary>
internal static class SignedRequests
{
    public static RequestSignature Parse(IEnumerable<KeyValuePair<string, string>> headers) =>
        RequestSignature.Parse(name => headers.Where(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Select(header => (string?)header.Value).ToList());

    /// <summary>The headers with <paramref name="name"/>'s value replaced.</summary>
    public static List<KeyValuePair<string, string>> With(this IEnumerable<KeyValuePair<string, string>> headers, string name, string value) =>
        headers.Select(header => header.Key == name ? new KeyValuePair<string, string>(name, value) : header).ToList();

    /// <summary>The headers without <paramref name="name"/>.</summary>
    public static List<KeyValuePair<string, string>> Without(this IEnumerable<KeyValuePair<string, string>> headers, string name) =>
        headers.Where(header => header.Key != name).ToList();

    /// <summary>The value of header <paramref name="name"/>.</summary>
    public static string Value(this IEnumerable<KeyValuePair<string, string>> headers, string name) => headers.Single(header => header.Key == name).Value;
}
