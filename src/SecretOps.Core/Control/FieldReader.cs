using System.Buffers.Binary;
using System.Text;

namespace SecretOps.Core.Control;

/// <summary>
/// Reads a field list written by <see cref="Crypto.AssociatedData"/> (uint32 big-endian length, then the bytes), strictly:
/// integers must be 8 bytes, GUIDs 16, strings valid UTF-8, and nothing may follow the last field. Anything else throws
/// <see cref="FormatException"/>, which the replay reports as a damaged entry.
/// </summary>
internal ref struct FieldReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ReadOnlySpan<byte> rest;

    public FieldReader(ReadOnlySpan<byte> encoded) => rest = encoded;

    /// <summary>Whether every field has been read.</summary>
    public readonly bool AtEnd => rest.IsEmpty;

    /// <summary>The next field's bytes.</summary>
    public ReadOnlySpan<byte> ReadField()
    {
        if (rest.Length < 4)
        {
            throw new FormatException("A field's length is cut off.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(rest);
        if (length > (uint)(rest.Length - 4))
        {
            throw new FormatException("A field is longer than what remains.");
        }

        var field = rest.Slice(4, (int)length);
        rest = rest[(4 + (int)length)..];
        return field;
    }

    public byte[] ReadBytes() => ReadField().ToArray();

    public string ReadString()
    {
        var field = ReadField();
        try
        {
            return StrictUtf8.GetString(field);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException("A text field is not valid UTF-8.", e);
        }
    }

    public long ReadInt64()
    {
        var field = ReadField();
        return field.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(field) : throw new FormatException("An integer field is not 8 bytes.");
    }

    /// <summary>An integer field that must fit an int and lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int ReadInt32(int min, int max)
    {
        var value = ReadInt64();
        return value >= min && value <= max ? (int)value : throw new FormatException($"An integer field is outside {min}–{max}.");
    }

    public Guid ReadGuid()
    {
        var field = ReadField();
        return field.Length == 16 ? new Guid(field, bigEndian: true) : throw new FormatException("A UUID field is not 16 bytes.");
    }

    /// <summary>An enumeration field holding one of the enumeration's defined values.</summary>
    public T ReadEnum<T>()
        where T : struct, Enum
    {
        var value = ReadInt64();
        if (value is < int.MinValue or > int.MaxValue)
        {
            throw new FormatException($"A {typeof(T).Name} field is out of range.");
        }

        var result = (T)Enum.ToObject(typeof(T), (int)value);
        return Enum.IsDefined(result) ? result : throw new FormatException($"A {typeof(T).Name} field holds an unknown value {value}.");
    }

    /// <summary>Throws unless every field has been read.</summary>
    public readonly void EnsureEnd()
    {
        if (!rest.IsEmpty)
        {
            throw new FormatException("Bytes follow the last field.");
        }
    }
}
