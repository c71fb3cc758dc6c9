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

    /// <summary>This machine's state (never shared): <c>$XDG_STATE_HOME/secretops</c>, or <c>%LOCALAPPDATA%\SecretOps</c>.</summary>
    internal static string DefaultStateDirectory() => OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SecretOps")
        : Path.Combine(XdgDirectory("XDG_STATE_HOME", ".local/state"), "secretops");

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
    public static PrivateDirectory CreatePrivateDirectory(string prefix = "secretops-") => new(Directory.CreateTempSubdirectory(prefix).FullName);

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
