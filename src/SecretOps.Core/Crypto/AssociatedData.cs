using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SecretOps.Core.Crypto;

/// <summary>
/// The canonical encoding of what an AEAD ciphertext is bound to (docs/FORMAT.md, "Associated data").
/// Every field, starting with a purpose label, is written as a 4-byte big-endian length followed by
/// its bytes, so no two different field lists encode alike. Strings are UTF-8, integers 8-byte
/// big-endian, GUIDs their 16 bytes in RFC 4122 (big-endian) order.
/// </summary>
internal sealed class AssociatedData
{
    private readonly ArrayBufferWriter<byte> buffer = new(128);

    /// <summary>Starts a field list with its purpose label, e.g. <c>secretops/value/v1</c>.</summary>
    public AssociatedData(string purpose) => Add(purpose);

    /// <summary>The encoded bytes.</summary>
    public ReadOnlySpan<byte> Span => buffer.WrittenSpan;

    /// <summary>Appends a UTF-8 string field.</summary>
    public AssociatedData Add(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        WriteLength(length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
        return this;
    }

    /// <summary>Appends a GUID field (RFC 4122 byte order).</summary>
    public AssociatedData Add(Guid value)
    {
        WriteLength(16);
        value.TryWriteBytes(buffer.GetSpan(16), bigEndian: true, out _);
        buffer.Advance(16);
        return this;
    }

    /// <summary>Appends an integer field.</summary>
    public AssociatedData Add(long value)
    {
        WriteLength(8);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
        return this;
    }

    /// <summary>Appends a byte-string field.</summary>
    public AssociatedData Add(ReadOnlySpan<byte> value)
    {
        WriteLength(value.Length);
        buffer.Write(value);
        return this;
    }

    private void WriteLength(int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(buffer.GetSpan(4), (uint)length);
        buffer.Advance(4);
    }
}
