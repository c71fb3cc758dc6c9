using System.Security.Cryptography;

namespace SecretOps.Core.Secrets;

/// <summary>
/// Characters of a secret as it is typed (a passphrase at a prompt): one pinned buffer of fixed capacity that never
/// grows, so no partial copy is left behind for the garbage collector, and that is wiped on dispose.
/// </summary>
public sealed class SecretChars : IDisposable
{
    private readonly char[] chars;
    private bool disposed;

    /// <summary>A buffer for at most <paramref name="capacity"/> characters.</summary>
    public SecretChars(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        chars = GC.AllocateArray<char>(capacity, pinned: true);
    }

    /// <summary>The most characters it takes.</summary>
    public int Capacity => chars.Length;

    /// <summary>Characters held.</summary>
    public int Length { get; private set; }

    /// <summary>Adds <paramref name="c"/>; false, and nothing added, when the buffer is full.</summary>
    public bool TryAppend(char c)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Length == chars.Length)
        {
            return false;
        }

        chars[Length++] = c;
        return true;
    }

    /// <summary>Removes and wipes the last character (a backspace); nothing when empty.</summary>
    public void RemoveLast()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Length > 0)
        {
            chars[--Length] = '\0';
        }
    }

    /// <summary>A pinned copy of the characters, which the caller wipes.</summary>
    public char[] ToPinnedArray()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var copy = GC.AllocateUninitializedArray<char>(Length, pinned: true);
        chars.AsSpan(0, Length).CopyTo(copy);
        return copy;
    }

    /// <summary>Wipes the buffer.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(chars.AsSpan()));
        Length = 0;
        disposed = true;
    }
}
