using System.Security.Cryptography;

namespace SecretOps.Core.Remote;

/// <summary>
/// The one line a server's operator hands a client at enrolment (docs/SERVER-PROTOCOL.md §10):
/// <c>secretops-enrol-v1:&lt;client id&gt;:&lt;request key&gt;</c>, the client id in lowercase "D" form and the 32-byte
/// request signing key in unpadded base64url (43 characters). It is as secret as the key: whoever holds it can sign
/// that client's requests.
/// </summary>
public static class EnrolmentToken
{
    /// <summary>The token's version prefix, colon included.</summary>
    public const string Prefix = "secretops-enrol-v1:";

    private const int EncodedKeyLength = 43;

    /// <summary>The token for <paramref name="clientId"/> and <paramref name="key"/>.</summary>
    public static string Format(Guid clientId, RequestSigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> bytes = stackalloc byte[RequestSigningKey.Length];
        try
        {
            key.CopyTo(bytes);
            return Prefix + clientId.ToString("D") + ":" + Base64UrlEncode(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// The token a client with a generated secret derives for itself (<paramref name="clientId"/> must be its id): the
    /// operator enrols the client with it, and the client needs no token file, since it derives the same key from its
    /// secret on every request. Any other credential is refused: its client's key comes from the operator's enrol.
    /// </summary>
    public static string Derive(Guid clientId, Clients.ClientCredential credential)
    {
        RequireDerivable(credential);
        using var key = credential.DeriveRequestKey(clientId)!;
        return Format(clientId, key);
    }

    /// <summary>Refuses a credential that derives no request key, saying where that client's key comes from instead.</summary>
    internal static void RequireDerivable(Clients.ClientCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        if (credential.Kind != ClientKind.Generated)
        {
            throw new InvalidParameterException("credential", $"Only a client with a generated secret derives its request key from its credential; a client with {(credential.Kind == ClientKind.Passphrase ? "a passphrase" : "a key file")} gets a random one from the server operator's enrol.");
        }
    }

    /// <summary>
    /// Reads a token (surrounding white space ignored); the caller disposes the key. Anything else is refused with an
    /// <see cref="InvalidParameterException"/> that says what is wrong and never echoes the token.
    /// </summary>
    public static (Guid ClientId, RequestSigningKey Key) Parse(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var text = token.AsSpan().Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw Invalid($"it does not start with '{Prefix}'");
        }

        var rest = text[Prefix.Length..];
        var colon = rest.IndexOf(':');
        if (colon < 0 || !Guid.TryParseExact(rest[..colon], "D", out var clientId) || !rest[..colon].SequenceEqual(clientId.ToString("D")))
        {
            throw Invalid("the client id is not a lowercase UUID followed by ':'");
        }

        var encoded = rest[(colon + 1)..];
        Span<byte> bytes = stackalloc byte[RequestSigningKey.Length];
        try
        {
            if (encoded.Length != EncodedKeyLength || !TryBase64UrlDecode(encoded, bytes))
            {
                throw Invalid($"the key is not {EncodedKeyLength} characters of unpadded base64url ({RequestSigningKey.Length} bytes)");
            }

            return (clientId, RequestSigningKey.FromBytes(bytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static string Base64UrlEncode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[EncodedKeyLength + 1];
        Convert.TryToBase64Chars(bytes, chars, out var written);
        try
        {
            for (var i = 0; i < written; i++)
            {
                chars[i] = chars[i] switch { '+' => '-', '/' => '_', var c => c };
            }

            return new string(chars[..EncodedKeyLength]);
        }
        finally
        {
            chars.Clear();
        }
    }

    private static bool TryBase64UrlDecode(ReadOnlySpan<char> encoded, Span<byte> destination)
    {
        Span<char> chars = stackalloc char[EncodedKeyLength + 1];
        try
        {
            for (var i = 0; i < EncodedKeyLength; i++)
            {
                var c = encoded[i];
                if (c is '+' or '/' or '=')
                {
                    return false;
                }

                chars[i] = c switch { '-' => '+', '_' => '/', _ => c };
            }

            chars[EncodedKeyLength] = '=';

            // The last character carries 2 padding bits, which must be zero, so that one key has one token.
            return Convert.TryFromBase64Chars(chars, destination, out var written) && written == RequestSigningKey.Length
                && Base64UrlEncode(destination).AsSpan().SequenceEqual(encoded);
        }
        finally
        {
            chars.Clear();
        }
    }

    private static InvalidParameterException Invalid(string problem) => new("token", $"The enrolment token is not valid: {problem}.");
}
