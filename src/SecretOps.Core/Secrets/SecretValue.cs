using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SecretOps.Core.Secrets;

/// <summary>
/// A secret's value, without PowerShell types: text, a credential, bytes, or a flat table of those.
/// It holds its serialized plaintext and wipes it on dispose; the surfaces convert at the edge.
/// </summary>
public sealed class SecretValue : IDisposable
{
    /// <summary>Largest serialized value: 1 MiB.</summary>
    public const int MaxSize = 1024 * 1024;

    /// <summary>Most entries a table value may hold.</summary>
    public const int MaxTableEntries = 256;

    private const byte FormatVersion = 1;
    private readonly byte[] plaintext;

    private SecretValue(SecretValueType type, byte[] plaintext)
    {
        Type = type;
        this.plaintext = plaintext;
    }

    /// <summary>The kind of value.</summary>
    public SecretValueType Type { get; }

    /// <summary>Serialized size in bytes.</summary>
    public int Size => plaintext.Length;

    /// <summary>A text value (String, or SecureString when <paramref name="secure"/>).</summary>
    public static SecretValue FromString(string value, bool secure = false)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Build(secure ? SecretValueType.SecureString : SecretValueType.String, w => w.Write(Encoding.UTF8.GetBytes(value)));
    }

    /// <summary>A text value from characters (e.g. a SecureString's), without an intermediate string.</summary>
    public static SecretValue FromChars(ReadOnlySpan<char> value, bool secure = false)
    {
        var utf8 = new byte[Encoding.UTF8.GetByteCount(value)];
        try
        {
            Encoding.UTF8.GetBytes(value, utf8);
            return Build(secure ? SecretValueType.SecureString : SecretValueType.String, w => w.Write(utf8));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    /// <summary>A byte value.</summary>
    public static SecretValue FromBytes(ReadOnlySpan<byte> value)
    {
        var copy = value.ToArray();
        return Build(SecretValueType.Bytes, w => w.Write(copy));
    }

    /// <summary>A credential: a user name and a password.</summary>
    public static SecretValue FromCredential(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        return Build(SecretValueType.Credential, w => WriteCredential(w, userName, password));
    }

    /// <summary>A table of named values; each must be a String, SecureString, Credential or Bytes value.</summary>
    public static SecretValue FromTable(IReadOnlyDictionary<string, SecretValue> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count > MaxTableEntries)
        {
            throw new InvalidParameterException("value", $"A table value holds at most {MaxTableEntries} entries; got {entries.Count}.");
        }

        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, entry) in entries)
        {
            if (string.IsNullOrEmpty(key) || !keys.Add(key))
            {
                throw new InvalidParameterException("value", $"Table keys must be non-empty and unique ignoring case; '{key}' is not.");
            }

            if (entry.Type == SecretValueType.Hashtable)
            {
                throw new InvalidParameterException("value", $"Table entry '{key}' is itself a table; tables cannot be nested.");
            }
        }

        return Build(SecretValueType.Hashtable, w =>
        {
            WriteUInt32(w, (uint)entries.Count);
            foreach (var (key, entry) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                WriteLengthPrefixed(w, Encoding.UTF8.GetBytes(key));
                w.WriteByte((byte)entry.Type);
                WriteLengthPrefixed(w, entry.plaintext.AsSpan(2));
            }
        });
    }

    /// <summary>The text of a String or SecureString value.</summary>
    public string GetString()
    {
        Expect(SecretValueType.String, SecretValueType.SecureString);
        return Encoding.UTF8.GetString(Payload);
    }

    /// <summary>The characters of a String or SecureString value, for building a SecureString; the caller wipes the array.</summary>
    public char[] GetChars()
    {
        Expect(SecretValueType.String, SecretValueType.SecureString);
        return Encoding.UTF8.GetChars(Payload.ToArray());
    }

    /// <summary>A copy of a Bytes value.</summary>
    public byte[] GetBytes()
    {
        Expect(SecretValueType.Bytes);
        return Payload.ToArray();
    }

    /// <summary>The user name and password of a Credential value.</summary>
    public (string UserName, string Password) GetCredential()
    {
        Expect(SecretValueType.Credential);
        var payload = Payload;
        var userName = ReadLengthPrefixed(ref payload);
        return (Encoding.UTF8.GetString(userName), Encoding.UTF8.GetString(payload));
    }

    /// <summary>The entries of a Hashtable value; the caller disposes them.</summary>
    public IReadOnlyDictionary<string, SecretValue> GetTable()
    {
        Expect(SecretValueType.Hashtable);
        var payload = Payload;
        var count = ReadUInt32(ref payload);
        var table = new Dictionary<string, SecretValue>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0u; i < count; i++)
        {
            var key = Encoding.UTF8.GetString(ReadLengthPrefixed(ref payload));
            var type = (SecretValueType)ReadByte(ref payload);
            var value = ReadLengthPrefixed(ref payload);
            if (type is < SecretValueType.String or >= SecretValueType.Hashtable)
            {
                throw Malformed();
            }

            table[key] = Wrap(type, value);
        }

        return table;
    }

    /// <summary>The value as text for the CLI: text as is, bytes raw, credentials and tables as JSON.</summary>
    public byte[] ToOutputBytes()
    {
        switch (Type)
        {
            case SecretValueType.String or SecretValueType.SecureString or SecretValueType.Bytes:
                return Payload.ToArray();
            case SecretValueType.Credential:
                var (user, password) = GetCredential();
                return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["userName"] = user, ["password"] = password });
            default:
                var table = GetTable();
                try
                {
                    var shaped = table.ToDictionary(e => e.Key, e => e.Value.Type switch
                    {
                        SecretValueType.Credential => (object)new Dictionary<string, string> { ["userName"] = e.Value.GetCredential().UserName, ["password"] = e.Value.GetCredential().Password },
                        SecretValueType.Bytes => Convert.ToBase64String(e.Value.Payload),
                        _ => e.Value.GetString(),
                    });
                    return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(shaped);
                }
                finally
                {
                    foreach (var entry in table.Values)
                    {
                        entry.Dispose();
                    }
                }
        }
    }

    /// <summary>Wipes the plaintext.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(plaintext);

    /// <summary>The serialized form that is encrypted: format version, type, payload.</summary>
    internal ReadOnlySpan<byte> Serialized => plaintext;

    /// <summary>Reads a decrypted value, checking it is the type the row says.</summary>
    internal static SecretValue Deserialize(byte[] serialized, SecretValueType expected)
    {
        if (serialized.Length < 2 || serialized[0] != FormatVersion || serialized[1] != (byte)expected)
        {
            CryptographicOperations.ZeroMemory(serialized);
            throw Malformed();
        }

        var value = new SecretValue(expected, serialized);
        if (expected == SecretValueType.Hashtable)
        {
            foreach (var entry in value.GetTable().Values)
            {
                entry.Dispose();
            }
        }

        return value;
    }

    private ReadOnlySpan<byte> Payload => plaintext.AsSpan(2);

    private static SecretValue Wrap(SecretValueType type, ReadOnlySpan<byte> payload)
    {
        var serialized = new byte[payload.Length + 2];
        serialized[0] = FormatVersion;
        serialized[1] = (byte)type;
        payload.CopyTo(serialized.AsSpan(2));
        return new SecretValue(type, serialized);
    }

    private static SecretValue Build(SecretValueType type, Action<MemoryStream> write)
    {
        using var stream = new MemoryStream();
        stream.WriteByte(FormatVersion);
        stream.WriteByte((byte)type);
        write(stream);
        if (stream.Length > MaxSize)
        {
            CryptographicOperations.ZeroMemory(stream.GetBuffer());
            throw new InvalidParameterException("value", $"The value is {stream.Length} bytes; the limit is {MaxSize} bytes (1 MiB).");
        }

        var serialized = stream.ToArray();
        CryptographicOperations.ZeroMemory(stream.GetBuffer());
        return new SecretValue(type, serialized);
    }

    private void Expect(params SecretValueType[] types)
    {
        if (!types.Contains(Type))
        {
            throw new InvalidParameterException("type", $"The value is a {Type}, not a {string.Join(" or ", types)}.");
        }
    }

    private static void WriteCredential(MemoryStream stream, string userName, string password)
    {
        WriteLengthPrefixed(stream, Encoding.UTF8.GetBytes(userName));
        stream.Write(Encoding.UTF8.GetBytes(password));
    }

    private static void WriteLengthPrefixed(MemoryStream stream, ReadOnlySpan<byte> bytes)
    {
        WriteUInt32(stream, (uint)bytes.Length);
        stream.Write(bytes);
    }

    private static void WriteUInt32(MemoryStream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        stream.Write(bytes);
    }

    private static uint ReadUInt32(ref ReadOnlySpan<byte> span)
    {
        if (span.Length < 4)
        {
            throw Malformed();
        }

        var value = BinaryPrimitives.ReadUInt32BigEndian(span);
        span = span[4..];
        return value;
    }

    private static byte ReadByte(ref ReadOnlySpan<byte> span)
    {
        if (span.IsEmpty)
        {
            throw Malformed();
        }

        var value = span[0];
        span = span[1..];
        return value;
    }

    private static ReadOnlySpan<byte> ReadLengthPrefixed(ref ReadOnlySpan<byte> span)
    {
        var length = ReadUInt32(ref span);
        if (length > (uint)span.Length)
        {
            throw Malformed();
        }

        var value = span[..(int)length];
        span = span[(int)length..];
        return value;
    }

    private static TamperedException Malformed() => new("A decrypted value");
}
