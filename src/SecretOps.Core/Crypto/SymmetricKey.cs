using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>A 256-bit AES key held in a pinned array and wiped on dispose.</summary>
internal sealed class SymmetricKey : IDisposable
{
    /// <summary>Key length in bytes.</summary>
    public const int Length = 32;

    private readonly byte[] bytes = GC.AllocateArray<byte>(Length, pinned: true);
    private bool disposed;

    private SymmetricKey()
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

    /// <summary>A new random key.</summary>
    public static SymmetricKey Generate()
    {
        var key = new SymmetricKey();
        RandomNumberGenerator.Fill(key.bytes);
        return key;
    }

    /// <summary>A key holding a copy of <paramref name="source"/>, which must be 32 bytes.</summary>
    internal static SymmetricKey FromBytes(ReadOnlySpan<byte> source)
    {
        if (source.Length != Length)
        {
            throw new InvalidParameterException("key", $"A symmetric key is {Length} bytes; got {source.Length}.");
        }

        var key = new SymmetricKey();
        source.CopyTo(key.bytes);
        return key;
    }

    /// <summary>Wipes the key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(bytes);
        disposed = true;
    }
}
