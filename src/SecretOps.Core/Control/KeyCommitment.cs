using System.Security.Cryptography;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Control;

/// <summary>
/// Digests the control log pins keys and values with. A key generation's commitment lets anyone who unwraps that key
/// (from a stanza or under a namespace key) check it is the key its author committed to, not one planted beside it; a
/// value digest pins a version's sealed bytes. SHA-256 of a 256-bit random key reveals nothing usable about it.
/// </summary>
internal static class KeyCommitment
{
    /// <summary>Length of a commitment or digest.</summary>
    public const int Size = 32;

    /// <summary>SHA-256 over (<c>secretops/key-commitment/v1</c>, scope kind, scope id, generation, key).</summary>
    public static byte[] Of(ScopeKind kind, Guid scopeId, int generation, SymmetricKey key)
    {
        // The key's field is hashed straight from the key (its length prefix, then its bytes): a field list holding it
        // would leave a copy of the key in memory nobody wipes.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(new AssociatedData("secretops/key-commitment/v1").Add((long)kind).Add(scopeId).Add(generation).Span);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, (uint)key.Bytes.Length);
        hash.AppendData(length);
        hash.AppendData(key.Bytes);
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// The all-zero commitment an upgrade's baseline gives format 1's key generations, whose keys the upgrading client may
    /// not hold. The upgrade rotates every namespace, so nothing is written under such a generation again; a read of an old
    /// version is still pinned by its value digest.
    /// </summary>
    public static bool IsUnknown(ReadOnlySpan<byte> commitment) => commitment.Length == Size && !commitment.ContainsAnyExcept((byte)0);

    /// <summary>Whether <paramref name="key"/> is the key of that generation (constant time).</summary>
    public static bool Matches(byte[] commitment, ScopeKind kind, Guid scopeId, int generation, SymmetricKey key) =>
        CryptographicOperations.FixedTimeEquals(commitment, Of(kind, scopeId, generation, key));

    /// <summary>SHA-256 over (<c>secretops/value-digest/v1</c>, nonce, ciphertext): what a put-version entry pins.</summary>
    public static byte[] OfValue(SealedData value) =>
        SHA256.HashData(new AssociatedData("secretops/value-digest/v1").Add(value.Nonce).Add(value.Ciphertext).Span);
}

/// <summary>Orders UUIDs by their 16 bytes in RFC 4122 order, as FORMAT.md lists them (not .NET's own Guid order).</summary>
internal sealed class GuidBytesComparer : IComparer<Guid>
{
    public static readonly GuidBytesComparer Instance = new();

    public int Compare(Guid x, Guid y)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        x.TryWriteBytes(a, bigEndian: true, out _);
        y.TryWriteBytes(b, bigEndian: true, out _);
        return a.SequenceCompareTo(b);
    }
}
