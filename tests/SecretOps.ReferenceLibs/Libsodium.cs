using System.Runtime.InteropServices;

namespace SecretOps.ReferenceLibs;

/// <summary>Debian's libsodium <c>crypto_pwhash</c> (Argon2id v1.3, one lane, AVX2 where available): the speed reference at p = 1.</summary>
public static unsafe class Libsodium
{
    private const string Library = "libsodium.so.23";
    private const int AlgorithmArgon2id13 = 2;
    private const int SaltLength = 16;

    private static readonly Lazy<string?> Unavailable = new(() =>
        !NativeLibrary.TryLoad(Library, out _) ? $"{Library} is not installed (Debian: apt-get install libsodium23)."
        : sodium_init() < 0 ? "sodium_init failed."
        : null);

    /// <summary>Null when the library loads; otherwise why it does not.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>Argon2id with one lane; <paramref name="salt"/> must be 16 bytes.</summary>
    public static byte[] Argon2id(int iterations, int memoryKiB, int tagLength, byte[] password, byte[] salt)
    {
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException($"libsodium's crypto_pwhash takes a {SaltLength}-byte salt.", nameof(salt));
        }

        if (UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var output = new byte[tagLength];
        fixed (byte* outPtr = output, pwd = password, saltPtr = salt)
        {
            var result = crypto_pwhash(outPtr, (ulong)tagLength, pwd, (ulong)password.Length, saltPtr,
                                       (ulong)iterations, (nuint)memoryKiB * 1024, AlgorithmArgon2id13);
            if (result != 0)
            {
                throw new InvalidOperationException("crypto_pwhash failed (out of memory or parameters out of range).");
            }
        }

        return output;
    }

    [DllImport(Library)]
    private static extern int sodium_init();

    [DllImport(Library)]
    private static extern int crypto_pwhash(byte* output, ulong outputLength, byte* password, ulong passwordLength, byte* salt,
                                            ulong opsLimit, nuint memLimit, int algorithm);
}
