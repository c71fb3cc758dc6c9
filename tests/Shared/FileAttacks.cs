using System.Runtime.InteropServices;

namespace SecretOps.Tests.Shared;

/// <summary>
/// What someone who can write the store's directory (but is not the store's owner) does to it: plant side files
/// SQLite will adopt, and swap a file SecretOps has just created for a symbolic link to a place they can read.
/// </summary>
internal static class FileAttacks
{
    /// <summary>Creates <paramref name="path"/> with <paramref name="contents"/> and exactly <paramref name="mode"/> (whatever the umask).</summary>
    public static void Plant(string path, UnixFileMode mode, byte[] contents)
    {
        File.WriteAllBytes(path, contents);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    public const UnixFileMode WorldReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    public static bool IsRoot => !OperatingSystem.IsWindows() && GetEffectiveUserId() == 0;

    /// <summary>Gives <paramref name="path"/> (not following a link) to another user: needs root.</summary>
    public static void GiveTo(string path, uint uid)
    {
        if (LChown(path, uid, uid) != 0)
        {
            throw new IOException($"lchown {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The bytes an attacker reads from <paramref name="path"/>: empty when it does not exist.</summary>
    public static byte[] Read(string path) => File.Exists(path) ? File.ReadAllBytes(path) : [];

#pragma warning disable SYSLIB1054, CA2101 // DllImport, not LibraryImport: the CLI test project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
#pragma warning restore SYSLIB1054, CA2101
}

/// <summary>
/// Watches a path; the moment a regular file appears there, atomically renames a symbolic link to
/// <see cref="Target"/> over it (what an attacker with write access to the directory does between SecretOps
/// creating a file and opening it again by name). Runs on its own thread until disposed.
/// </summary>
internal sealed class SymlinkSwapper : IDisposable
{
    private readonly string path;
    private readonly string staging;
    private readonly Thread thread;
    private volatile bool armed;
    private volatile bool stopped;
    private int swaps;

    public SymlinkSwapper(string path, string target)
    {
        this.path = path;
        Target = target;
        staging = Path.Combine(Path.GetDirectoryName(target)!, "swap-" + Guid.NewGuid().ToString("N"));
        thread = new Thread(Run) { IsBackground = true, Priority = ThreadPriority.Highest };
        thread.Start();
    }

    /// <summary>Where the link points: a file the attacker reads.</summary>
    public string Target { get; }

    /// <summary>How many times a created file was swapped for the link.</summary>
    public int Swaps => Volatile.Read(ref swaps);

    /// <summary>Swaps the next file that appears at the path (once).</summary>
    public void Arm() => armed = true;

    public void Disarm() => armed = false;

    public void Dispose()
    {
        stopped = true;
        thread.Join();
    }

    private void Run()
    {
        while (!stopped)
        {
            if (!armed)
            {
                Thread.Sleep(1);
                continue;
            }

            var info = new FileInfo(path);
            if (info.Exists && info.LinkTarget is null)
            {
                try
                {
                    File.Delete(staging);
                    File.CreateSymbolicLink(staging, Target);
                    File.Move(staging, path, overwrite: true);
                    Interlocked.Increment(ref swaps);
                    armed = false;
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
