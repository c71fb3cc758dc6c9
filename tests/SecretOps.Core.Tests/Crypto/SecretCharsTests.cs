using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Crypto;

/// <summary>
/// The buffer a passphrase is typed into at the CLI's prompt: typing, correcting and taking the result leave no copy
/// of the passphrase, nor any 8 characters of it, in memory once the buffer and the result are wiped; it never grows
/// past its capacity.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class SecretCharsTests
{
    [Fact]
    public void TypingAPassphrase_LeavesNoCopyInMemory_OnceWiped()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Reads /proc/self/mem.");
        }

        // A random 40-character passphrase, known to the test only masked.
        var secret = GC.AllocateArray<char>(40, pinned: true);
        for (var i = 0; i < secret.Length; i++)
        {
            secret[i] = (char)RandomNumberGenerator.GetInt32('!', '~' + 1);
        }

        var masked = MaskedSecret.Of(MemoryMarshal.AsBytes(secret.AsSpan()));
        var typed = GC.AllocateArray<byte>(masked.Masked.Length, pinned: true);
        for (var i = 0; i < typed.Length; i++)
        {
            typed[i] = (byte)(masked.Masked[i] ^ masked.Mask[i]);
        }

        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(secret.AsSpan()));

        char[] result;
        using (var buffer = new SecretChars(1024))
        {
            for (var i = 0; i < typed.Length; i += 2)
            {
                Assert.True(buffer.TryAppend((char)(typed[i] | (typed[i + 1] << 8))));
                if (i == 20)
                {
                    // A typo, corrected.
                    Assert.True(buffer.TryAppend('x'));
                    buffer.RemoveLast();
                }
            }

            CryptographicOperations.ZeroMemory(typed);
            result = buffer.ToPinnedArray();
        }

        Assert.True(masked.IsAt(MemoryMarshal.AsBytes(result.AsSpan()), 0), "the result is the typed passphrase");
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(result.AsSpan()));
        // Not only the whole passphrase: any 8 characters of it in a row are too many to leave behind.
        var fragments = Enumerable.Range(0, secret.Length - 7).Select(i => masked.Slice(2 * i, 16)).ToList();
        Assert.Equal(0, MemoryScan.CountCopies(fragments));
    }

    [Fact]
    public void PastItsCapacity_NothingMoreIsTaken()
    {
        using var buffer = new SecretChars(4);
        Assert.True("abcd".All(buffer.TryAppend));
        Assert.False(buffer.TryAppend('e'));
        Assert.Equal(4, buffer.Length);
        buffer.RemoveLast();
        Assert.True(buffer.TryAppend('z'));
        Assert.Equal("abcz", new string(buffer.ToPinnedArray()));
    }
}
