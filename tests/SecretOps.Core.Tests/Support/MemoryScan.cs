using System.Globalization;
using System.Security.Cryptography;

namespace SecretOps.Core.Tests.Support;

/// <summary>
/// A secret the test looks for without holding it: the secret XOR a random mask, and the mask. Comparing memory
/// against it never puts the secret itself in a buffer of the test's.
/// </summary>
internal sealed class MaskedSecret
{
    private MaskedSecret(byte[] masked, byte[] mask)
    {
        Masked = masked;
        Mask = mask;
    }

    public byte[] Masked { get; }

    public byte[] Mask { get; }

    public static MaskedSecret Of(ReadOnlySpan<byte> secret)
    {
        var mask = RandomNumberGenerator.GetBytes(secret.Length);
        var masked = new byte[secret.Length];
        for (var i = 0; i < secret.Length; i++)
        {
            masked[i] = (byte)(secret[i] ^ mask[i]);
        }

        return new MaskedSecret(masked, mask);
    }

    /// <summary>The part of the secret from <paramref name="start"/>, <paramref name="length"/> bytes long, still masked.</summary>
    public MaskedSecret Slice(int start, int length) => new(Masked[start..(start + length)], Mask[start..(start + length)]);

    /// <summary>True when <paramref name="memory"/> holds the secret at <paramref name="at"/>.</summary>
    public bool IsAt(ReadOnlySpan<byte> memory, int at)
    {
        if (at + Masked.Length > memory.Length)
        {
            return false;
        }

        for (var i = 0; i < Masked.Length; i++)
        {
            if ((memory[at + i] ^ Mask[i]) != Masked[i])
            {
                return false;
            }
        }

        return true;
    }

    public byte First => (byte)(Masked[0] ^ Mask[0]);
}

/// <summary>
/// Reads this process's own writable memory (heap, stacks, the GC's regions, native allocations) through
/// /proc/self/mem, as an attacker with a core dump or ptrace would, and counts where secrets still lie. Linux only.
/// </summary>
internal static class MemoryScan
{
    private const int Chunk = 4 * 1024 * 1024;

    public static int CountCopies(IReadOnlyList<MaskedSecret> secrets)
    {
        var longest = secrets.Max(s => s.Masked.Length);
        var buffer = GC.AllocateUninitializedArray<byte>(Chunk + longest, pinned: true);
        var found = 0;
        using var memory = new FileStream("/proc/self/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        foreach (var (start, end) in WritableRegions())
        {
            for (var at = start; at < end; at += Chunk)
            {
                var length = (int)Math.Min(Chunk + longest, end - at);
                int read;
                try
                {
                    memory.Position = at;
                    read = memory.Read(buffer, 0, length);
                }
                catch (IOException)
                {
                    break; // A guard page or a mapping that vanished: nothing readable there.
                }

                var span = buffer.AsSpan(0, read);
                foreach (var secret in secrets)
                {
                    for (var i = span.IndexOf(secret.First); i >= 0; i = NextIndex(span, secret.First, i))
                    {
                        if (secret.IsAt(span, i) && (at + i < end) && i < Chunk)
                        {
                            found++;
                        }
                    }
                }
            }
        }

        CryptographicOperations.ZeroMemory(buffer);
        return found;
    }

    private static int NextIndex(ReadOnlySpan<byte> span, byte value, int after)
    {
        var next = span[(after + 1)..].IndexOf(value);
        return next < 0 ? -1 : after + 1 + next;
    }

    private static IEnumerable<(long Start, long End)> WritableRegions()
    {
        foreach (var line in File.ReadAllLines("/proc/self/maps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            var path = fields.Length > 5 ? fields[5].Trim() : "";
            if (fields[1].StartsWith("rw", StringComparison.Ordinal) && path is not ("[vvar]" or "[vsyscall]" or "[vvar_vclock]"))
            {
                var range = fields[0].Split('-');
                yield return (long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
    }
}
