using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>
/// What SQLite keeps beside a store file (its <c>-wal</c>, <c>-shm</c> and <c>-journal</c>) and in its header: checked
/// before every open, since SQLite adopts side files as it finds them.
/// </summary>
internal static class SqliteFiles
{
    /// <summary>
    /// Refuses to open the store at <paramref name="storePath"/> while a side file SQLite would adopt as it is (its
    /// <c>-wal</c>, <c>-shm</c> or <c>-journal</c>) is unsafe: a symbolic link or not a regular file, or (on Unix)
    /// owned by someone other than you or the store's owner, or allowing access the store file itself does not.
    /// Someone who can write the store's directory could plant one to read the store's pages. On Windows only links
    /// and non-files are checked (the directory's owner-only ACL is what protects side files there).
    /// </summary>
    public static void CheckSideFiles(string storePath)
    {
        // SQLite puts side files beside the file a linked store path finally points to. A path that cannot be resolved
        // (a link loop, a directory removed) is left to SQLite, which refuses to open it.
        string store;
        try
        {
            store = new FileInfo(storePath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? storePath;
        }
        catch (IOException)
        {
            return;
        }

        var storeStatus = (FileStatus?)null;
        foreach (var suffix in SideFileSuffixes)
        {
            var side = store + suffix;
            var problem = OperatingSystem.IsWindows() ? WindowsSideFileProblem(side) : UnixSideFileProblem(side, store, ref storeStatus);
            if (problem is not null)
            {
                throw new StoreUnavailableException(
                    $"'{side}' beside the store is unsafe: {problem}. Someone who can write the store's directory may have planted it to read or " +
                    "change the store's pages, so SecretOps will not open the store while it is there. Find out who created it before removing it " +
                    "(a -wal may hold the store's latest changes), and keep the store in a directory only you can write.", storePath, corrupt: true);
            }
        }
    }

    private static readonly string[] SideFileSuffixes = ["-wal", "-shm", "-journal"];

    private static string? WindowsSideFileProblem(string side)
    {
        var info = new FileInfo(side);
        if (info.LinkTarget is not null || (info.Exists && info.Attributes.HasFlag(FileAttributes.ReparsePoint)))
        {
            return "it is a symbolic link (or another reparse point)";
        }

        return Directory.Exists(side) ? "it is not a regular file" : null;
    }

    [UnsupportedOSPlatform("windows")]
    private static string? UnixSideFileProblem(string side, string store, ref FileStatus? storeStatus)
    {
        if (LStat(side) is not { } status)
        {
            return null;
        }

        if (status.Type == UnixFileType.SymbolicLink)
        {
            return "it is a symbolic link";
        }

        if (status.Type != UnixFileType.Regular)
        {
            return "it is not a regular file";
        }

        storeStatus ??= Stat(store) ?? throw new StoreUnavailableException($"'{store}' cannot be examined.", store);
        var me = GetEffectiveUserId();
        if (status.Uid != me && status.Uid != storeStatus.Value.Uid)
        {
            return $"it is owned by uid {status.Uid}, neither you (uid {me}) nor the store's owner (uid {storeStatus.Value.Uid})";
        }

        var beyond = status.Permissions & ~storeStatus.Value.Permissions;
        return beyond != 0
            ? $"it has mode {Octal(status.Permissions)}, which allows access the store file (mode {Octal(storeStatus.Value.Permissions)}) does not"
            : null;
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');

    private enum UnixFileType
    {
        Regular,
        SymbolicLink,
        Other,
    }

    /// <summary>What lstat/stat report: the file's type, permission bits (07777) and owner.</summary>
    private readonly record struct FileStatus(UnixFileType Type, int Permissions, uint Uid);

    [UnsupportedOSPlatform("windows")]
    private static FileStatus? LStat(string path) => Status(path, follow: false);

    [UnsupportedOSPlatform("windows")]
    private static FileStatus? Stat(string path) => Status(path, follow: true);

    // The .NET runtime's own native shim (libSystem.Native, shipped with every runtime) gives stat in one layout on
    // every Unix: Flags, Mode, Uid, Gid as the first four 32-bit fields (pal_io.h FileStatus, unchanged since .NET
    // Core 1.0). .NET has no public API for a file's owner. The buffer is larger than the structure.
    [UnsupportedOSPlatform("windows")]
    private static FileStatus? Status(string path, bool follow)
    {
        var buffer = new byte[512];
        if ((follow ? SystemNativeStat(path, buffer) : SystemNativeLStat(path, buffer)) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error is 2 or 20 ? null // ENOENT, ENOTDIR: there is nothing there
                : throw new StoreUnavailableException($"'{path}' cannot be examined (errno {error}).", path);
        }

        var mode = BitConverter.ToInt32(buffer, 4);
        var type = (mode & 0xF000) switch { 0x8000 => UnixFileType.Regular, 0xA000 => UnixFileType.SymbolicLink, _ => UnixFileType.Other };
        return new FileStatus(type, mode & 0xFFF, BitConverter.ToUInt32(buffer, 8));
    }

#pragma warning disable SYSLIB1054, CA2101, CA5392 // plain P/Invoke into libc and the runtime's shim, like Argon2Memory
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
    private static extern int SystemNativeLStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
#pragma warning restore SYSLIB1054, CA2101, CA5392

    /// <summary>
    /// True when the SQLite file at <paramref name="path"/> is in a rollback-journal mode (header byte 18 is 1), as
    /// a store used in shared mode is; false for WAL (2), or when the file is not a readable SQLite file.
    /// </summary>
    public static bool HasRollbackJournal(string path)
    {
        Span<byte> header = stackalloc byte[20];
        try
        {
            using var file = File.OpenRead(path);
            return file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length
                   && header[..16].SequenceEqual("SQLite format 3\0"u8) && header[18] == 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
