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
    /// alone), creating missing parent directories owner-only (0700). An existing parent is left as it is.
    /// </summary>
    public static void CreateOwnerOnlyFile(string path)
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

        if (OperatingSystem.IsWindows())
        {
            using var created = new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.FullControl, FileShare.None, 4096, FileOptions.None, OwnerOnlyFileSecurity());
        }
        else
        {
            using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerReadWrite });
        }
    }

    /// <summary>Writes text to a new owner-only file (configuration, exported secrets), replacing nothing.</summary>
    public static void WriteOwnerOnlyText(string path, string contents)
    {
        CreateOwnerOnlyFile(path);
        File.WriteAllText(path, contents);
    }

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
