using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SecretOps.Core.Configuration;
using SecretOps.Core.Crypto;
using SecretOps.Core.Policy;
using SecretOps.Core.Secrets;

namespace SecretOps.Core.Storage;

/// <summary>The kinds of file SecretOps reads on someone's say-so, each with the most it reads (<see cref="InputFile.Limit"/>).</summary>
public enum InputFileKind
{
    /// <summary>A secret's value (<c>secret set --file</c>): 1 MiB, the largest value.</summary>
    Value,

    /// <summary>A generated client secret (<c>--secret-file</c>, a profile's or vault's SecretFile): 64 KiB.</summary>
    ClientSecret,

    /// <summary>A client's PEM private key (<c>--key-file</c>, SECRETOPS_KEY_FILE, KeyFile): 64 KiB.</summary>
    PrivateKey,

    /// <summary>A PEM public key to register (<c>--public-key</c>, -PublicKeyPath): 64 KiB.</summary>
    PublicKey,

    /// <summary>A policy (<c>policy apply</c>, Import-SecretOpsPolicy): 1 MiB.</summary>
    Policy,

    /// <summary>The configuration file (SECRETOPS_CONFIG, config.yaml): 256 KiB.</summary>
    Configuration,

    /// <summary>A server enrolment token (SECRETOPS_TOKEN_FILE): 64 KiB.</summary>
    EnrolmentToken,
}

/// <summary>
/// Reads a file someone else may have named or written: only a regular file (on Linux the type is checked on the
/// opened descriptor, and a FIFO is opened without waiting for a writer), and never more than its kind's limit plus
/// one byte, however large the file or endless the device. Every refusal is an <see cref="InvalidParameterException"/>
/// naming the file (and the limit, when that is the reason); the read bytes stay in pinned memory and are wiped.
/// </summary>
public static partial class InputFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The most SecretOps reads from a file of <paramref name="kind"/>, in bytes.</summary>
    public static int Limit(InputFileKind kind) => kind switch
    {
        InputFileKind.Value => SecretValue.MaxSize,
        InputFileKind.ClientSecret or InputFileKind.PrivateKey or InputFileKind.PublicKey or InputFileKind.EnrolmentToken => PemKeyReader.MaxPemLength,
        InputFileKind.Policy => PolicyDocument.MaxLength,
        InputFileKind.Configuration => ConfigFile.MaxLength,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>How a file of <paramref name="kind"/> is named in messages ("key file").</summary>
    public static string Describe(InputFileKind kind) => kind switch
    {
        InputFileKind.Value => "value file",
        InputFileKind.ClientSecret => "secret file",
        InputFileKind.PrivateKey => "key file",
        InputFileKind.PublicKey => "public key file",
        InputFileKind.Policy => "policy file",
        InputFileKind.Configuration => "configuration file",
        InputFileKind.EnrolmentToken => "enrolment token file",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A limit as people read it: "1 MiB (1048576 bytes)".</summary>
    public static string DescribeLimit(int limit) =>
        (limit % (1024 * 1024) == 0 ? $"{limit / (1024 * 1024)} MiB" : limit % 1024 == 0 ? $"{limit / 1024} KiB" : $"{limit} bytes") + $" ({limit} bytes)";

    /// <summary>The file's bytes, in a pinned array the caller wipes.</summary>
    public static byte[] ReadBytes(string path, InputFileKind kind)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var label = $"The {Describe(kind)} '{full}'";
        using var stream = OpenRegularFile(full, label, Parameter(kind));
        try
        {
            return ReadStream(stream, Limit(kind), label, Parameter(kind));
        }
        catch (IOException e)
        {
            throw new InvalidParameterException(Parameter(kind), $"{label} cannot be read: {e.Message}");
        }
    }

    /// <summary>The file as strict UTF-8 text; anything that is not text is refused.</summary>
    public static string ReadText(string path, InputFileKind kind)
    {
        var bytes = ReadBytes(path, kind);
        try
        {
            return DecodeText(bytes, $"The {Describe(kind)} '{Path.GetFullPath(path)}'", Parameter(kind));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Decodes strict UTF-8; <paramref name="source"/> ("The policy file '…'") names it if it is not text.</summary>
    public static string DecodeText(ReadOnlySpan<byte> bytes, string source, string parameter)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidParameterException(parameter, $"{source} is not UTF-8 text; nothing was changed.");
        }
    }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end (standard input, or an opened file), refusing it as soon as it holds
    /// more than <paramref name="limit"/> bytes. The result is a pinned array the caller wipes; nothing else keeps a copy.
    /// </summary>
    public static byte[] ReadStream(Stream stream, int limit, string source, string parameter)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = GC.AllocateUninitializedArray<byte>(limit + 1, pinned: true);
        var length = 0;
        try
        {
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }

            if (length > limit)
            {
                throw new InvalidParameterException(parameter, $"{source} is larger than {DescribeLimit(limit)}, the most SecretOps reads there; nothing was changed.");
            }

            var result = GC.AllocateUninitializedArray<byte>(length, pinned: true);
            buffer.AsSpan(0, length).CopyTo(result);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static string Parameter(InputFileKind kind) => kind switch
    {
        InputFileKind.Value => "file",
        InputFileKind.ClientSecret => "secret file",
        InputFileKind.PrivateKey => "key file",
        InputFileKind.PublicKey => "public key",
        InputFileKind.Policy => "policy",
        InputFileKind.EnrolmentToken => "token",
        _ => "config",
    };

    /// <summary>Opens <paramref name="full"/> for reading without buffering (no stray copy of its bytes), if it is a regular file.</summary>
    private static FileStream OpenRegularFile(string full, string label, string parameter)
    {
        if (Directory.Exists(full))
        {
            throw new InvalidParameterException(parameter, $"{label} is a directory.");
        }

        try
        {
            if (!OperatingSystem.IsLinux())
            {
                if (!File.Exists(full))
                {
                    throw new InvalidParameterException(parameter, $"{label} does not exist.");
                }

                return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            }

            var handle = LinuxFile.OpenForReading(full, out var error);
            if (handle is null)
            {
                throw new InvalidParameterException(parameter, error == LinuxFile.NoSuchFile
                    ? $"{label} does not exist."
                    : $"{label} cannot be read: {Marshal.GetPInvokeErrorMessage(error)}.");
            }

            // The type of what was opened, not of what the name pointed to a moment earlier.
            if (LinuxFile.TypeOf(handle) is { } type && type != LinuxFile.Regular)
            {
                handle.Dispose();
                throw new InvalidParameterException(parameter, type == LinuxFile.Directory
                    ? $"{label} is a directory."
                    : $"{label} is not a regular file (it is a {LinuxFile.Name(type)}); SecretOps reads only regular files here; nothing was changed.");
            }

            return new FileStream(handle, FileAccess.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidParameterException(parameter, $"{label} cannot be read: {e.Message}");
        }
    }

    /// <summary>open(2) with O_NONBLOCK (a FIFO with no writer must not hang the caller) and statx(2) on the descriptor.</summary>
    private static partial class LinuxFile
    {
        public const int NoSuchFile = 2; // ENOENT
        public const int Regular = 0x8000, Directory = 0x4000;

        // Flag values shared by every Linux architecture .NET runs on (x64, x86, arm64, arm).
        private const int ReadOnly = 0, NoControllingTerminal = 0x100, NonBlocking = 0x800, CloseOnExec = 0x80000;
        private const int EmptyPath = 0x1000, StatxType = 0x1, StatxSize = 256, StatxModeOffset = 0x1C;

        public static SafeFileHandle? OpenForReading(string path, out int error)
        {
            var descriptor = Open(path, ReadOnly | NoControllingTerminal | NonBlocking | CloseOnExec);
            error = descriptor < 0 ? Marshal.GetLastPInvokeError() : 0;
            return descriptor < 0 ? null : new SafeFileHandle(descriptor, ownsHandle: true);
        }

        /// <summary>The S_IFMT bits of the open file; null where statx is missing (the bounded read still applies).</summary>
        public static int? TypeOf(SafeFileHandle handle)
        {
            var buffer = new byte[StatxSize];
            try
            {
                var added = false;
                handle.DangerousAddRef(ref added);
                try
                {
                    if (Statx((int)handle.DangerousGetHandle(), "", EmptyPath, StatxType, buffer) != 0)
                    {
                        throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
                    }
                }
                finally
                {
                    if (added)
                    {
                        handle.DangerousRelease();
                    }
                }

                return BitConverter.ToUInt16(buffer, StatxModeOffset) & 0xF000;
            }
            catch (EntryPointNotFoundException)
            {
                return null;
            }
        }

        public static string Name(int type) => type switch
        {
            0x1000 => "FIFO, a named pipe",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => "special file",
        };

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int Statx(int directory, string path, int flags, uint mask, [Out] byte[] buffer);
    }
}
