using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>Column conversions: UUIDs as 16-byte blobs (RFC 4122 order), times as Unix milliseconds.</summary>
internal static class Columns
{
    public static byte[] ToBlob(this Guid id) => id.ToByteArray(bigEndian: true);

    public static Guid ToGuid(byte[] blob) => new(blob, bigEndian: true);

    public static Guid GetUuid(this SqliteDataReader reader, int ordinal) => ToGuid((byte[])reader[ordinal]);

    public static Guid? GetNullableUuid(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ToGuid((byte[])reader[ordinal]);

    public static long ToUnixMilliseconds(this DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset GetTime(this SqliteDataReader reader, int ordinal) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static DateTimeOffset? GetNullableTime(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static string? GetNullableString(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static int? GetNullableInt32(this SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static byte[] GetBlob(this SqliteDataReader reader, int ordinal) => (byte[])reader[ordinal];
}

/// <summary>
/// A value in a row that SecretOps cannot convert (NULL where the format forbids it, a value of the wrong type).
/// Thrown around every row conversion, so a damaged row is told apart from a fault in SecretOps itself: by the
/// place it happened, not by where Microsoft.Data.Sqlite's getter happened to be compiled (inlined into the caller,
/// its exception names the caller).
/// </summary>
internal sealed class UnreadableValueException(Exception inner) : Exception(inner.Message, inner)
{
    /// <summary>Converts one row with <paramref name="read"/>, reporting a value it cannot convert as unreadable.</summary>
    public static T Converting<T>(SqliteDataReader reader, Func<SqliteDataReader, T> read)
    {
        try
        {
            return read(reader);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            throw new UnreadableValueException(e);
        }
    }
}
