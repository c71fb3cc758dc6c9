using System.Security.Cryptography;
using System.Text;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Clients;

/// <summary>What a client presents to connect: a passphrase, its generated secret, or its private key.</summary>
public abstract class ClientCredential : IDisposable
{
    private protected ClientCredential()
    {
    }

    /// <summary>The client kind this credential belongs to.</summary>
    public abstract ClientKind Kind { get; }

    /// <summary>Wipes what the credential holds.</summary>
    public abstract void Dispose();

    /// <summary>
    /// The request signing key this credential derives for client <paramref name="clientId"/>, or null when it derives
    /// none: only a generated secret does (docs/SERVER-PROTOCOL.md §10). A passphrase would tie the client's server
    /// access to every passphrase change and needs the store's salt before the first request; a key file has no secret
    /// bytes to derive from. Those clients get a random key from the server operator at enrolment.
    /// </summary>
    internal virtual Remote.RequestSigningKey? DeriveRequestKey(Guid clientId) => null;

    /// <summary>A passphrase (its characters are copied and wiped on dispose).</summary>
    public static ClientCredential FromPassphrase(ReadOnlySpan<char> passphrase) => new PassphraseCredential(passphrase);

    /// <summary>A generated secret in its text form (<c>secretops_…</c>).</summary>
    public static ClientCredential FromGeneratedSecret(string secret) => new GeneratedSecretCredential(GeneratedSecret.Parse(secret));

    /// <summary>A generated secret from characters (e.g. a SecureString's), without an intermediate string.</summary>
    public static ClientCredential FromGeneratedSecret(ReadOnlySpan<char> secret) => new GeneratedSecretCredential(GeneratedSecret.Parse(secret));

    /// <summary>A private key read from PEM.</summary>
    public static ClientCredential FromPrivateKey(ClientPrivateKey key) => new KeyFileCredential(key);
}

internal sealed class PassphraseCredential : ClientCredential
{
    private readonly byte[] utf8;

    public PassphraseCredential(ReadOnlySpan<char> passphrase)
    {
        if (passphrase.IsEmpty)
        {
            throw new InvalidParameterException("passphrase", "The passphrase is empty.");
        }

        utf8 = GC.AllocateUninitializedArray<byte>(Encoding.UTF8.GetByteCount(passphrase), pinned: true);
        Encoding.UTF8.GetBytes(passphrase, utf8);
    }

    public override ClientKind Kind => ClientKind.Passphrase;

    public ReadOnlySpan<byte> Utf8 => utf8;

    public override void Dispose() => CryptographicOperations.ZeroMemory(utf8);
}

internal sealed class GeneratedSecretCredential(byte[] secret) : ClientCredential
{
    public override ClientKind Kind => ClientKind.Generated;

    public ReadOnlySpan<byte> Secret => secret;

    internal override Remote.RequestSigningKey DeriveRequestKey(Guid clientId) => Remote.RequestSigningKey.Derive(secret, clientId);

    public override void Dispose() => CryptographicOperations.ZeroMemory(secret);
}

internal sealed class KeyFileCredential(ClientPrivateKey key) : ClientCredential
{
    public override ClientKind Kind => ClientKind.KeyFile;

    public ClientPrivateKey Key => key;

    public override void Dispose() => key.Dispose();
}

/// <summary>
/// Generated client secrets: 64 random bytes, shown once as <c>secretops_</c> + unpadded base64url, so
/// secret scanners and people recognise them. Stretching adds nothing to 512 random bits, so they are
/// turned into a key with HKDF-SHA256, not Argon2.
/// </summary>
public static class GeneratedSecret
{
    /// <summary>The recognisable prefix.</summary>
    public const string Prefix = "secretops_";

    /// <summary>Random bytes in a secret.</summary>
    public const int Length = 64;

    /// <summary>A new secret as text.</summary>
    public static string Create()
    {
        var bytes = GC.AllocateUninitializedArray<byte>(Length, pinned: true);
        RandomNumberGenerator.Fill(bytes);
        try
        {
            return Format(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    internal static string Format(ReadOnlySpan<byte> bytes) =>
        Prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Parses the text form; anything else is refused without echoing it.</summary>
    internal static byte[] Parse(string? text) => Parse(text.AsSpan());

    /// <summary>Parses the text form; anything else is refused without echoing it. No copy of it is left behind.</summary>
    internal static byte[] Parse(ReadOnlySpan<char> text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidParameterException("secret", $"That is not a SecretOps client secret (they start with '{Prefix}').");
        }

        const int EncodedLength = 86;
        var body = trimmed[Prefix.Length..];
        Span<char> base64 = stackalloc char[EncodedLength + 2];
        try
        {
            var bytes = GC.AllocateArray<byte>(Length, pinned: true);
            if (body.Length == EncodedLength)
            {
                for (var i = 0; i < EncodedLength; i++)
                {
                    base64[i] = body[i] switch { '-' => '+', '_' => '/', var c => c };
                }

                base64[EncodedLength] = base64[EncodedLength + 1] = '=';
                if (Convert.TryFromBase64Chars(base64, bytes, out var written) && written == Length)
                {
                    return bytes;
                }
            }

            CryptographicOperations.ZeroMemory(bytes);
            throw new InvalidParameterException("secret", "The client secret is damaged or truncated.");
        }
        finally
        {
            base64.Clear();
        }
    }
}
