namespace SecretOps.Core.Remote;

/// <summary>The headers a signed request carries (docs/SERVER-PROTOCOL.md §4); each appears exactly once.</summary>
public static class RequestHeaderNames
{
    /// <summary>The client's id, lowercase "D" format.</summary>
    public const string Client = "SecretOps-Client";

    /// <summary>Unix time in seconds, decimal.</summary>
    public const string Timestamp = "SecretOps-Timestamp";

    /// <summary>The 128-bit nonce, 32 lowercase hex digits.</summary>
    public const string Nonce = "SecretOps-Nonce";

    /// <summary>SHA-256 of the raw body bytes, 64 lowercase hex digits.</summary>
    public const string ContentSha256 = "SecretOps-Content-SHA256";

    /// <summary>HMAC-SHA256 of the canonical string, 64 lowercase hex digits.</summary>
    public const string Signature = "SecretOps-Signature";
}
