using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>The checks every store log makes of its callers' arguments before touching the database.</summary>
internal static class StoreLogInput
{
    /// <summary>Throws when <paramref name="entry"/> could never be appended: no content, a revision below 1, an unknown kind.</summary>
    public static void RequireAppendable(StoreLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(entry.Content, nameof(entry));
        if (entry.Revision < 1)
        {
            throw new ArgumentException($"A store log revision starts at 1; {entry.Revision} was given.", nameof(entry));
        }

        if (!Enum.IsDefined(entry.Kind))
        {
            throw new ArgumentException($"{(int)entry.Kind} is not a store log entry kind.", nameof(entry));
        }
    }

    /// <summary>Throws unless <paramref name="revision"/> is the one after <paramref name="head"/> or an existing one (another writer's).</summary>
    public static void RequireNoGap(long revision, long head)
    {
        if (revision > head + 1)
        {
            throw new ArgumentException($"Revision {revision} skips ahead of the store log's head {head}: the next is {head + 1}.", nameof(revision));
        }
    }

    /// <summary>Throws when a read's bounds are negative, or it may return nothing.</summary>
    public static void RequireReadable(long after, int maxCount, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
    }
}
