using System.Security.Cryptography;
using System.Text;

namespace SecretOps.Core.Remote;

/// <summary>
/// The 32-byte HMAC-SHA256 key a client signs its requests with and the server verifies them with, held in a pinned
/// array and wiped on dispose. The server stores it, so it must never open anything: it is derived one way, under its
/// own label, from the client's secret root (<see cref="Derive"/>), or random and handed out at enrolment
/// (<see cref="Generate"/>) for key-file clients, which have no secret root.
/// </summary>
public sealed class RequestSigningKey : IDisposable
{
    /// <summary>Key length in bytes.</summary>
    public const int Length = 32;

    /// <summary>The least secret root material <see cref="Derive"/> accepts, in bytes.</summary>
    public const int MinimumRootLength = 32;

    /// <summary>HKDF's info is this label followed by the client id (lowercase, "D" format), so each client's key is its own.</summary>
    public const string DerivationLabel = "secretops/request-signing/v1/";

    private readonly byte[] bytes = GC.AllocateArray<byte>(Length, pinned: true);
    private bool disposed;

    private RequestSigningKey()
    {
    }

    /// <summary>The key bytes; only valid until <see cref="Dispose"/>.</summary>
    internal ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return bytes;
        }
    }

    /// <summary>A new random key, for a key-file client at enrolment.</summary>
    public static RequestSigningKey Generate()
    {
        var key = new RequestSigningKey();
        RandomNumberGenerator.Fill(key.bytes);
        return key;
    }

    /// <summary>
    /// The key of client <paramref name="clientId"/>: HKDF-SHA256 over <paramref name="rootKeyMaterial"/> with no salt and
    /// the info <see cref="DerivationLabel"/> + client id. The root is the secret the client's unwrapping key is itself
    /// derived from (a generated secret's 64 bytes; a passphrase's Argon2id output), never the private key: HKDF under
    /// another label gives a key that is independent of the unwrapping key and does not lead back to it.
    /// </summary>
    public static RequestSigningKey Derive(ReadOnlySpan<byte> rootKeyMaterial, Guid clientId)
    {
        if (rootKeyMaterial.Length < MinimumRootLength)
        {
            throw new InvalidParameterException("rootKeyMaterial", $"A request signing key is derived from at least {MinimumRootLength} bytes of secret material; got {rootKeyMaterial.Length}.");
        }

        var info = Encoding.ASCII.GetBytes(DerivationLabel + clientId.ToString("D"));
        var key = new RequestSigningKey();
        HKDF.DeriveKey(HashAlgorithmName.SHA256, rootKeyMaterial, key.bytes, [], info);
        return key;
    }

    /// <summary>A key holding a copy of <paramref name="source"/> (32 bytes, not all zero), e.g. read back from the server's store.</summary>
    public static RequestSigningKey FromBytes(ReadOnlySpan<byte> source)
    {
        if (source.Length != Length)
        {
            throw new InvalidParameterException("key", $"A request signing key is {Length} bytes; got {source.Length}.");
        }

        // An all-zero key is an unfilled buffer, not a key.
        if (source.IndexOfAnyExcept((byte)0) < 0)
        {
            throw new InvalidParameterException("key", "The request signing key is all zero bytes.");
        }

        var key = new RequestSigningKey();
        source.CopyTo(key.bytes);
        return key;
    }

    /// <summary>Copies the key into <paramref name="destination"/> (32 bytes), for the server to store or enrolment to hand out.</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length != Length)
        {
            throw new InvalidParameterException("destination", $"A request signing key is {Length} bytes; the destination holds {destination.Length}.");
        }

        Bytes.CopyTo(destination);
    }

    /// <summary>Wipes the key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(bytes);
        disposed = true;
    }
}
