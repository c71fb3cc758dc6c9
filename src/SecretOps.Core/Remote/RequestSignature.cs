using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SecretOps.Core.Remote;

/// <summary>
/// The signature headers of one request (docs/SERVER-PROTOCOL.md): who signed, when, a fresh nonce, the body's SHA-256
/// and the HMAC-SHA256 of the canonical string under the client's <see cref="RequestSigningKey"/>. A client makes one with
/// <see cref="Sign(RequestSigningKey, Guid, string, string, ReadOnlySpan{byte}, DateTimeOffset)"/>; the server reads one
/// with <see cref="Parse"/> and checks it with <see cref="Verify"/>. Freshness and replay are <see cref="ReplayWindow"/>'s.
/// </summary>
public sealed class RequestSignature
{
    /// <summary>The canonical string's first line, naming the scheme and its version.</summary>
    public const string Version = "SECRETOPS-HMAC-SHA256-1";

    /// <summary>Nonce length in bytes (128 bits).</summary>
    public const int NonceLength = 16;

    // Enough decimal digits for any Unix time in seconds this protocol will see, few enough that it always fits a long.
    private const int MaximumTimestampDigits = 12;

    private static readonly SearchValues<char> AsciiLetters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    private readonly byte[] nonce;
    private readonly byte[] contentSha256;
    private readonly byte[] signature;

    private RequestSignature(Guid clientId, long timestamp, byte[] nonce, byte[] contentSha256, byte[] signature)
    {
        ClientId = clientId;
        Timestamp = timestamp;
        this.nonce = nonce;
        this.contentSha256 = contentSha256;
        this.signature = signature;
    }

    /// <summary>The client that signed, whose key verifies the signature.</summary>
    public Guid ClientId { get; }

    /// <summary>When the client signed, in Unix seconds.</summary>
    public long Timestamp { get; }

    /// <summary>The request's nonce, which the server records for the client (<see cref="INonceLedger"/>).</summary>
    public ReadOnlySpan<byte> Nonce => nonce;

    /// <summary>Signs a request sent now, with a fresh random nonce.</summary>
    public static RequestSignature Sign(RequestSigningKey key, Guid clientId, string method, string rawTarget, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        Span<byte> freshNonce = stackalloc byte[NonceLength];
        RandomNumberGenerator.Fill(freshNonce);
        return Sign(key, clientId, method, rawTarget, body, now.ToUnixTimeSeconds(), freshNonce);
    }

    /// <summary>Signs with a given timestamp and nonce: what the published test vectors reproduce.</summary>
    internal static RequestSignature Sign(RequestSigningKey key, Guid clientId, string method, string rawTarget, ReadOnlySpan<byte> body, long timestamp, ReadOnlySpan<byte> nonce)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (nonce.Length != NonceLength)
        {
            throw new InvalidParameterException("nonce", $"A request nonce is {NonceLength} bytes; got {nonce.Length}.");
        }

        if (timestamp < 0)
        {
            throw new InvalidParameterException("timestamp", "A request timestamp is a Unix time in seconds, not negative.");
        }

        var bodySha256 = SHA256.HashData(body);
        var mac = Mac(key, CanonicalString(clientId, method, rawTarget, timestamp, nonce, bodySha256));
        return new RequestSignature(clientId, timestamp, nonce.ToArray(), bodySha256, mac);
    }

    /// <summary>
    /// The string that is signed: <see cref="Version"/>, the client id (lowercase "D"), the method upper-cased, the canonical
    /// target (<see cref="RequestTarget.Canonicalize"/>), the timestamp in decimal, the nonce and the body's SHA-256 in
    /// lowercase hex, joined with '\n' and no newline at the end.
    /// </summary>
    public static string CanonicalString(Guid clientId, string method, string rawTarget, long timestamp, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> bodySha256) =>
        string.Join('\n',
            Version,
            clientId.ToString("D"),
            CanonicalMethod(method),
            RequestTarget.Canonicalize(rawTarget),
            timestamp.ToString(CultureInfo.InvariantCulture),
            LowerHex(nonce),
            LowerHex(bodySha256));

    /// <summary>
    /// Reads the signature headers; <paramref name="headerValues"/> gives every value a header name has (none when absent),
    /// as ASP.NET Core's <c>request.Headers[name]</c> does. Each header must appear exactly once in its exact form, else
    /// the request is refused (<see cref="RequestRefusal.Malformed"/>) naming the header, never echoing its value.
    /// </summary>
    public static RequestSignature Parse(Func<string, IReadOnlyList<string?>?> headerValues)
    {
        ArgumentNullException.ThrowIfNull(headerValues);
        var clientText = Single(headerValues, RequestHeaderNames.Client);
        if (!Guid.TryParseExact(clientText, "D", out var clientId) || clientText != clientId.ToString("D"))
        {
            throw Malformed(RequestHeaderNames.Client, "is not a client id in lowercase UUID form (8-4-4-4-12 hex digits)");
        }

        var timestampText = Single(headerValues, RequestHeaderNames.Timestamp);
        if (timestampText.Length is 0 or > MaximumTimestampDigits || timestampText.AsSpan().IndexOfAnyExceptInRange('0', '9') >= 0 || (timestampText[0] == '0' && timestampText.Length > 1))
        {
            throw Malformed(RequestHeaderNames.Timestamp, $"is not a Unix time in seconds (1 to {MaximumTimestampDigits} decimal digits, no sign or leading zero)");
        }

        return new RequestSignature(
            clientId,
            long.Parse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture),
            LowerHexValue(headerValues, RequestHeaderNames.Nonce, NonceLength),
            LowerHexValue(headerValues, RequestHeaderNames.ContentSha256, SHA256.HashSizeInBytes),
            LowerHexValue(headerValues, RequestHeaderNames.Signature, HMACSHA256.HashSizeInBytes));
    }

    /// <summary>The headers to send, by name (<see cref="RequestHeaderNames"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToHeaders() =>
    [
        new(RequestHeaderNames.Client, ClientId.ToString("D")),
        new(RequestHeaderNames.Timestamp, Timestamp.ToString(CultureInfo.InvariantCulture)),
        new(RequestHeaderNames.Nonce, LowerHex(nonce)),
        new(RequestHeaderNames.ContentSha256, LowerHex(contentSha256)),
        new(RequestHeaderNames.Signature, LowerHex(signature)),
    ];

    /// <summary>
    /// Checks the request the server received against these headers under <see cref="ClientId"/>'s key: the SHA-256 of
    /// the raw <paramref name="body"/> must be the declared one (<see cref="RequestRefusal.BodyMismatch"/>), then the
    /// signature over the canonical string must match (<see cref="RequestRefusal.SignatureMismatch"/>), both compared in
    /// constant time. <paramref name="method"/> and <paramref name="rawTarget"/> are the request line as received.
    /// </summary>
    public void Verify(RequestSigningKey key, string method, string rawTarget, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> bodySha256 = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, bodySha256);
        if (!CryptographicOperations.FixedTimeEquals(bodySha256, contentSha256))
        {
            throw new RequestRefusedException(RequestRefusal.BodyMismatch,
                $"The request body's SHA-256 is not the one its {RequestHeaderNames.ContentSha256} header declares: the body was changed or re-encoded on the way.", RequestHeaderNames.ContentSha256);
        }

        var expected = Mac(key, CanonicalString(ClientId, method, rawTarget, Timestamp, nonce, bodySha256));
        try
        {
            if (!CryptographicOperations.FixedTimeEquals(expected, signature))
            {
                throw new RequestRefusedException(RequestRefusal.SignatureMismatch,
                    $"The request's signature does not match under client {ClientId:D}'s key: the method, target, timestamp, nonce or body differ from what was signed, or another key signed it.", ClientId);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(expected);
        }
    }

    private static byte[] Mac(RequestSigningKey key, string canonicalString) => HMACSHA256.HashData(key.Bytes, Encoding.UTF8.GetBytes(canonicalString));

    private static string CanonicalMethod(string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Length == 0 || method.AsSpan().ContainsAnyExcept(AsciiLetters))
        {
            throw new RequestRefusedException(RequestRefusal.Malformed, "The request method must be ASCII letters only (e.g. GET).", "method");
        }

        return method.ToUpperInvariant();
    }

    private static string Single(Func<string, IReadOnlyList<string?>?> headerValues, string name)
    {
        var values = headerValues(name);
        if (values is null || values.Count == 0 || values[0] is null)
        {
            throw Malformed(name, "is missing");
        }

        // A proxy may fold repeated headers into one comma-separated value; no value of ours holds a comma.
        if (values.Count > 1 || values[0]!.Contains(','))
        {
            throw Malformed(name, "appears more than once");
        }

        return values[0]!;
    }

    private static byte[] LowerHexValue(Func<string, IReadOnlyList<string?>?> headerValues, string name, int length)
    {
        var text = Single(headerValues, name);
        if (text.Length != 2 * length || text.AsSpan().ContainsAnyExcept(LowerHexDigits))
        {
            throw Malformed(name, $"is not {2 * length} lowercase hex digits ({length} bytes)");
        }

        return Convert.FromHexString(text);
    }

    private static string LowerHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static RequestRefusedException Malformed(string header, string problem) =>
        new(RequestRefusal.Malformed, $"The request's {header} header {problem}.", header);
}
