using System.Runtime.InteropServices;

namespace SecretOps.ReferenceLibs;

/// <summary>
/// Debian's libargon2 (the phc-winner-argon2 reference), called through <c>argon2_ctx</c> so secret and
/// associated data are covered. The oracle for our Argon2 and its speed reference.
/// </summary>
public static unsafe class Libargon2
{
    private const string Library = "libargon2.so.1";

    private static readonly Lazy<string?> Unavailable = new(() =>
        NativeLibrary.TryLoad(Library, out _) ? null : $"{Library} is not installed (Debian: apt-get install libargon2-1).");

    /// <summary>Null when the library loads; otherwise why it does not.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>
    /// Computes Argon2 with libargon2. <paramref name="type"/>: 0 = d, 1 = i, 2 = id;
    /// <paramref name="version"/>: 0x10 or 0x13. Threads equal lanes, as the argon2 CLI does.
    /// </summary>
    public static byte[] Hash(int type, int version, int iterations, int memoryKiB, int parallelism, int tagLength,
                              byte[] password, byte[] salt, byte[]? secret = null, byte[]? associatedData = null)
    {
        if (UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var output = new byte[tagLength];
        secret ??= [];
        associatedData ??= [];
        fixed (byte* outPtr = output, pwd = password, saltPtr = salt, secretPtr = secret, ad = associatedData)
        {
            var context = new Argon2Context
            {
                Out = outPtr,
                OutLength = (uint)tagLength,
                Password = pwd,
                PasswordLength = (uint)password.Length,
                Salt = saltPtr,
                SaltLength = (uint)salt.Length,
                Secret = secret.Length == 0 ? null : secretPtr,
                SecretLength = (uint)secret.Length,
                AssociatedData = associatedData.Length == 0 ? null : ad,
                AssociatedDataLength = (uint)associatedData.Length,
                TimeCost = (uint)iterations,
                MemoryCost = (uint)memoryKiB,
                Lanes = (uint)parallelism,
                Threads = (uint)parallelism,
                Version = (uint)version,
            };
            var result = argon2_ctx(&context, type);
            if (result != 0)
            {
                throw new InvalidOperationException($"argon2_ctx failed: {Marshal.PtrToStringAnsi(argon2_error_message(result))} ({result})");
            }
        }

        return output;
    }

    [DllImport(Library)]
    private static extern int argon2_ctx(Argon2Context* context, int type);

    [DllImport(Library)]
    private static extern IntPtr argon2_error_message(int errorCode);

    [StructLayout(LayoutKind.Sequential)]
    private struct Argon2Context
    {
        public byte* Out;
        public uint OutLength;
        public byte* Password;
        public uint PasswordLength;
        public byte* Salt;
        public uint SaltLength;
        public byte* Secret;
        public uint SecretLength;
        public byte* AssociatedData;
        public uint AssociatedDataLength;
        public uint TimeCost;
        public uint MemoryCost;
        public uint Lanes;
        public uint Threads;
        public uint Version;
        public IntPtr AllocateCallback;
        public IntPtr FreeCallback;
        public uint Flags;
    }
}
