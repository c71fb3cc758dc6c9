using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>An AES-256-GCM ciphertext: a 12-byte random nonce, and the ciphertext with its 16-byte tag appended.</summary>
internal sealed record SealedData(byte[] Nonce, byte[] Ciphertext);

/// <summary>
/// AES-256-GCM with 12-byte random nonces and 16-byte tags, always with associated data that binds the
/// ciphertext to its context. Opening anything that fails authentication throws <see cref="TamperedException"/>.
/// </summary>
internal static class Aead
{
    /// <summary>Nonce length in bytes.</summary>
    public const int NonceSize = 12;

    /// <summary>Tag length in bytes.</summary>
    public const int TagSize = 16;

    /// <summary>Encrypts <paramref name="plaintext"/> under <paramref name="key"/>, bound to <paramref name="context"/>.</summary>
    public static SealedData Seal(SymmetricKey key, ReadOnlySpan<byte> plaintext, AssociatedData context) =>
        Seal(key.Bytes, plaintext, context.Span);

    /// <summary>Encrypts another key (wrapping).</summary>
    public static SealedData SealKey(SymmetricKey wrappingKey, SymmetricKey key, AssociatedData context) =>
        Seal(wrappingKey.Bytes, key.Bytes, context.Span);

    /// <summary>Decrypts; <paramref name="what"/> names the object in the error when authentication fails.</summary>
    public static byte[] Open(SymmetricKey key, SealedData sealedData, AssociatedData context, string what) =>
        Open(key.Bytes, sealedData, context.Span, what);

    /// <summary>Decrypts a wrapped key.</summary>
    public static SymmetricKey OpenKey(SymmetricKey wrappingKey, SealedData sealedData, AssociatedData context, string what) =>
        OpenKey(wrappingKey.Bytes, sealedData, context.Span, what);

    internal static SealedData Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var ciphertext = new byte[plaintext.Length + TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length), associatedData);
        return new SealedData(nonce, ciphertext);
    }

    internal static byte[] Open(ReadOnlySpan<byte> key, SealedData sealedData, ReadOnlySpan<byte> associatedData, string what)
    {
        var plaintext = new byte[PlaintextLength(sealedData, what)];
        Open(key, sealedData, associatedData, plaintext, what);
        return plaintext;
    }

    internal static SymmetricKey OpenKey(ReadOnlySpan<byte> wrappingKey, SealedData sealedData, ReadOnlySpan<byte> associatedData, string what)
    {
        if (PlaintextLength(sealedData, what) != SymmetricKey.Length)
        {
            throw new TamperedException(what);
        }

        Span<byte> plaintext = stackalloc byte[SymmetricKey.Length];
        try
        {
            Open(wrappingKey, sealedData, associatedData, plaintext, what);
            return SymmetricKey.FromBytes(plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static int PlaintextLength(SealedData sealedData, string what)
    {
        ArgumentNullException.ThrowIfNull(sealedData);
        if (sealedData.Nonce is not { Length: NonceSize } || sealedData.Ciphertext is not { Length: >= TagSize })
        {
            throw new TamperedException(what);
        }

        return sealedData.Ciphertext.Length - TagSize;
    }

    private static void Open(ReadOnlySpan<byte> key, SealedData sealedData, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, string what)
    {
        var split = sealedData.Ciphertext.Length - TagSize;
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(sealedData.Nonce, sealedData.Ciphertext.AsSpan(0, split), sealedData.Ciphertext.AsSpan(split), plaintext, associatedData);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new TamperedException(what, e);
        }
    }
}
