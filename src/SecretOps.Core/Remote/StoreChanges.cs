using SecretOps.Core.Control;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Remote;

/// <summary>
/// What <c>GET /v1/store/changes</c> answers (docs/SERVER-PROTOCOL.md §11): the log's head, and the entries after the
/// revision the client holds. The body is a field list (each field a 4-byte big-endian length, then its bytes):
/// <c>secretops-changes-v1</c>, the head, the entry count, then for each entry its revision, kind, client id, time
/// (Unix milliseconds) and content.
/// </summary>
public sealed record StoreChanges(long Head, IReadOnlyList<StoreLogEntry> Entries)
{
    private const string Label = "secretops-changes-v1";

    /// <summary>The response body.</summary>
    public byte[] Encode()
    {
        var fields = new AssociatedData(Label).Add(Head).Add(Entries.Count);
        foreach (var entry in Entries)
        {
            fields.Add(entry.Revision).Add((long)entry.Kind).Add(entry.ClientId).Add(entry.At.ToUnixTimeMilliseconds()).Add(entry.Content);
        }

        return fields.Span.ToArray();
    }

    /// <summary>Reads a response body strictly; anything else throws <see cref="FormatException"/>.</summary>
    public static StoreChanges Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new FieldReader(encoded);
        if (reader.ReadString() != Label)
        {
            throw new FormatException("The answer is not a list of store changes.");
        }

        var head = reader.ReadInt64();
        var count = reader.ReadInt32(0, int.MaxValue);
        var entries = new List<StoreLogEntry>(Math.Min(count, 1024));
        var previous = 0L;
        for (var i = 0; i < count; i++)
        {
            var revision = reader.ReadInt64();
            if (revision <= previous || revision > head)
            {
                throw new FormatException("The store changes are out of order.");
            }

            previous = revision;
            var kind = reader.ReadEnum<StoreLogEntryKind>();
            var client = reader.ReadGuid();
            var milliseconds = reader.ReadInt64();
            if (milliseconds < 0 || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                throw new FormatException("A store change's time is out of range.");
            }

            var at = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
            entries.Add(new StoreLogEntry(revision, kind, client, at, reader.ReadBytes()));
        }

        reader.EnsureEnd();
        return new StoreChanges(head, entries);
    }
}
