using System.Runtime.InteropServices;

namespace SecretOps.Core.Crypto;

/// <summary>
/// Argon2's block memory. On many machines first-touching fresh pages costs about as much as the hashing
/// itself, so the most recent buffer is kept for reuse until it has been idle for <see cref="IdleRelease"/>.
/// A buffer is always wiped by its user before it comes back here; it never holds anything derived.
/// </summary>
internal static unsafe class Argon2Memory
{
    public static readonly TimeSpan IdleRelease = TimeSpan.FromSeconds(10);

    private static readonly object Gate = new();
    private static readonly Timer ReleaseTimer = new(_ => Release(), null, Timeout.Infinite, Timeout.Infinite);
    private static void* cached;
    private static nuint cachedSize;

    /// <summary>A buffer of <paramref name="size"/> bytes; <paramref name="prefault"/> asks for its pages up front.</summary>
    public static void* Rent(nuint size, bool prefault)
    {
        lock (Gate)
        {
            if (cached != null && cachedSize == size)
            {
                var buffer = cached;
                cached = null;
                return buffer;
            }
        }

        return Allocate(size, prefault);
    }

    /// <summary>Takes back a wiped buffer.</summary>
    public static void Return(void* buffer, nuint size)
    {
        void* previous;
        nuint previousSize;
        lock (Gate)
        {
            previous = cached;
            previousSize = cachedSize;
            cached = buffer;
            cachedSize = size;
            ReleaseTimer.Change(IdleRelease, Timeout.InfiniteTimeSpan);
        }

        if (previous != null)
        {
            Free(previous, previousSize);
        }
    }

    /// <summary>Frees the kept buffer now.</summary>
    public static void Release()
    {
        void* buffer;
        nuint size;
        lock (Gate)
        {
            buffer = cached;
            size = cachedSize;
            cached = null;
        }

        if (buffer != null)
        {
            Free(buffer, size);
        }
    }

    /// <summary>
    /// On Linux, anonymous memory, mapped with MAP_POPULATE when <paramref name="prefault"/>: the kernel
    /// faults every page in during the one call, measurably cheaper than one trap per 4 KiB page, but on
    /// one thread; a multi-lane fill that faults from several threads at once is better off without it.
    /// </summary>
    private static void* Allocate(nuint size, bool prefault)
    {
        if (!OperatingSystem.IsLinux())
        {
            return NativeMemory.AlignedAlloc(size, 64);
        }

        const int ReadWrite = 0x1 | 0x2, PrivateAnonymous = 0x02 | 0x20, Populate = 0x8000;
        var address = mmap(IntPtr.Zero, size, ReadWrite, prefault ? PrivateAnonymous | Populate : PrivateAnonymous, -1, IntPtr.Zero);
        return address == -1 ? throw new InsufficientMemoryException($"Could not map {size / 1024 / 1024} MiB for Argon2.") : (void*)address;
    }

    private static void Free(void* buffer, nuint size)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = munmap((IntPtr)buffer, size); // Fails only for a range we never mapped.
        }
        else
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    [DllImport("libc", EntryPoint = "mmap")]
    private static extern IntPtr mmap(IntPtr address, nuint length, int protection, int flags, int fileDescriptor, IntPtr offset);

    [DllImport("libc", EntryPoint = "munmap")]
    private static extern int munmap(IntPtr address, nuint length);
}
