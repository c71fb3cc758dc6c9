using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace SecretOps.Core.Storage;

/// <summary>Where stores and configuration live, and creating them owner-only.</summary>
public static class StoreFiles
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerReadWrite | UnixFileMode.UserExecute;

    /// <summary>The default store: <c>$XDG_DATA_HOME/secretops/store.db</c>, or <c>%LOCALAPPDATA%\SecretOps\store.db</c>.</summary>
    public static string DefaultStorePath() => OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SecretOps", "store.db")
        : Path.Combine(XdgDirectory("XDG_DATA_HOME", ".local/share"), "secretops", "store.db");

    /// <summary>The configuration file: <c>$XDG_CONFIG_HOME/secretops/config.yaml</c>, or <c>%APPDATA%\SecretOps\config.yaml</c>.</summary>
    public static string DefaultConfigPath() => OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "SecretOps", "config.yaml")
        : Path.Combine(XdgDirectory("XDG_CONFIG_HOME", ".config"), "secretops", "config.yaml");

    /// <summary>
    /// Creates <paramref name="path"/> empty and owner-only (0600; on Windows an ACL for the current user
    /// alone), creating missing parent directories owner-only (0700), and returns the one handle to write it
    /// through. The creation is exclusive (O_CREAT|O_EXCL): it never opens an existing file and never follows a
    /// symbolic link, even a dangling one; either is refused as a <see cref="ConflictException"/>. Write through
    /// the handle: opening the path again would write wherever someone who can write the directory has since
    /// pointed it. An existing parent is left as it is.
    /// </summary>
    public static FileStream CreateOwnerOnlyFile(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                new DirectoryInfo(directory).Create(OwnerOnlyDirectorySecurity());
            }
            else
            {
                // One at a time: Directory.CreateDirectory(path, mode) gives the mode to the last directory only, and
                // a directory above it left to a permissive umask (0777) would let others rename the store's away.
                var missing = new Stack<string>();
                for (var parent = directory; parent is not null && !Directory.Exists(parent); parent = Path.GetDirectoryName(parent))
                {
                    missing.Push(parent);
                }

                while (missing.TryPop(out var parent))
                {
                    Directory.CreateDirectory(parent, OwnerAll);
                }
            }
        }

        try
        {
            return OperatingSystem.IsWindows()
                ? new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.FullControl, FileShare.None, 4096, FileOptions.None, OwnerOnlyFileSecurity())
                : new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerReadWrite });
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            throw new ConflictException($"'{path}' already exists (or is a link); SecretOps will not overwrite it or write through it.", path);
        }
    }

    /// <summary>Writes text to a new owner-only file (configuration, exported policy) through the handle that created it, replacing nothing.</summary>
    public static void WriteOwnerOnlyText(string path, string contents)
    {
        using var file = CreateOwnerOnlyFile(path);
        using var writer = new StreamWriter(file, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.Write(contents);
    }

    /// <summary>
    /// Copies <paramref name="source"/> to a new owner-only <paramref name="destination"/> through the handle that
    /// created it (see <see cref="CreateOwnerOnlyFile"/>), flushed to disk. A partial copy is removed.
    /// </summary>
    public static void CopyToNewOwnerOnlyFile(string source, string destination)
    {
        using var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read);
        var completed = false;
        var to = CreateOwnerOnlyFile(destination);
        try
        {
            from.CopyTo(to);
            to.Flush(flushToDisk: true);
            completed = true;
        }
        finally
        {
            to.Dispose();
            if (!completed)
            {
                File.Delete(destination);
            }
        }
    }

    /// <summary>
    /// A new directory only this user can enter (a fresh random name under the temporary directory, created 0700
    /// by mkdtemp), removed with everything in it on dispose. SQLite writes its files by name; written here, no one
    /// else can swap them for links. Only then are they copied into place through one handle.
    /// </summary>
    public static PrivateDirectory CreatePrivateDirectory() => new(Directory.CreateTempSubdirectory("secretops-").FullName);

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

    /// <summary>
    /// True when the path is on a network file system (SMB/CIFS/NFS), where SQLite's WAL mode is unsafe.
    /// Windows: UNC paths and network drives; elsewhere: the mount holding the path, as .NET reports it.
    /// </summary>
    public static bool IsOnNetworkShare(string path)
    {
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows() && full.StartsWith(@"\\", StringComparison.Ordinal))
        {
            return true;
        }

        try
        {
            var mount = DriveInfo.GetDrives()
                .Where(d => full.StartsWith(d.RootDirectory.FullName, StringComparison.Ordinal))
                .MaxBy(d => d.RootDirectory.FullName.Length);
            return mount?.DriveType == DriveType.Network;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string XdgDirectory(string variable, string fallbackUnderHome)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        return !string.IsNullOrEmpty(value) && Path.IsPathRooted(value)
            ? value
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), fallbackUnderHome);
    }

    [SupportedOSPlatform("windows")]
    private static FileSecurity OwnerOnlyFileSecurity()
    {
        var me = WindowsIdentity.GetCurrent().User!;
        var security = new FileSecurity();
        security.SetOwner(me);
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(me, FileSystemRights.FullControl, AccessControlType.Allow));
        return security;
    }

    [SupportedOSPlatform("windows")]
    private static DirectorySecurity OwnerOnlyDirectorySecurity()
    {
        // SQLite's -wal, -shm and -journal files inherit from the directory on Windows.
        var me = WindowsIdentity.GetCurrent().User!;
        var security = new DirectorySecurity();
        security.SetOwner(me);
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(me, FileSystemRights.FullControl,
            InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, PropagationFlags.None, AccessControlType.Allow));
        return security;
    }
}

/// <summary>A directory of <see cref="StoreFiles.CreatePrivateDirectory"/>: only this user can enter it; removed on dispose.</summary>
public sealed class PrivateDirectory : IDisposable
{
    internal PrivateDirectory(string path) => Path = path;

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>A file name inside it.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: it holds only what the store holds, in a directory no one else can enter.
        }
    }
}
