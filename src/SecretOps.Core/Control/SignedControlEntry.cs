using System.Security.Cryptography;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Control;

/// <summary>
/// One link of the control log: an entry's <see cref="Body"/> (its canonical bytes), signed by its author, chained to the
/// entry before it by that entry's hash. The genesis entry has sequence 1 and 32 zero bytes as previous hash.
/// </summary>
/// <remarks>
/// Nothing is cached: a copy made with <c>with</c> (as an attacker's edit would be) hashes and verifies afresh.
/// </remarks>
internal sealed record SignedControlEntry(long Sequence, byte[] PreviousHash, Guid AuthorId, byte[] Body, byte[] Signature)
{
    /// <summary>Length of an entry hash (SHA-256).</summary>
    public const int HashSize = 32;

    /// <summary>Label of the signed bytes.</summary>
    public const string SignedLabel = "secretops/control-signature/v1";

    /// <summary>Label of the encoded (and hashed) entry.</summary>
    public const string EntryLabel = "secretops/control-entry/v1";

    /// <summary>The previous hash of the genesis entry.</summary>
    public static ReadOnlySpan<byte> NoPreviousHash => new byte[HashSize];

    /// <summary>
    /// What the author signs: (<c>secretops/control-signature/v1</c>, sequence, previous hash, author id, body), so a
    /// signature holds only at its place in its chain and for its author.
    /// </summary>
    public static byte[] SignedBytes(long sequence, ReadOnlySpan<byte> previousHash, Guid authorId, ReadOnlySpan<byte> body) =>
        new AssociatedData(SignedLabel).Add(sequence).Add(previousHash).Add(authorId).Add(body).Span.ToArray();

    /// <summary>The bytes this entry's signature must cover.</summary>
    public byte[] SignedBytes() => SignedBytes(Sequence, PreviousHash, AuthorId, Body);

    /// <summary>
    /// The entry's canonical encoding: (<c>secretops/control-entry/v1</c>, sequence, previous hash, author id, body,
    /// signature). This is what a store keeps and what <see cref="Hash"/> is taken over.
    /// </summary>
    public byte[] Encode() => new AssociatedData(EntryLabel).Add(Sequence).Add(PreviousHash).Add(AuthorId).Add(Body).Add(Signature).Span.ToArray();

    /// <summary>SHA-256 of <see cref="Encode"/>; the genesis entry's is the store's identity.</summary>
    public byte[] Hash() => SHA256.HashData(Encode());

    /// <summary>Reads what <see cref="Encode"/> wrote; anything else throws <see cref="FormatException"/>.</summary>
    public static SignedControlEntry Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new FieldReader(encoded);
        if (reader.ReadString() != EntryLabel)
        {
            throw new FormatException("Not a control log entry.");
        }

        var entry = new SignedControlEntry(reader.ReadInt64(), reader.ReadBytes(), reader.ReadGuid(), reader.ReadBytes(), reader.ReadBytes());
        reader.EnsureEnd();
        return entry;
    }
}
