using System.Runtime.InteropServices;

namespace SecretOps.Cli;

/// <summary>
/// Replaces this process with another program (execv, Linux and macOS): the same pid, so whoever started this one
/// (systemd, a shell, a test) signals, waits for and gets the exit code of the new program itself.
/// </summary>
internal static partial class ProcessReplacement
{
    /// <summary>ENOENT: the program, or the interpreter or loader it names, does not exist.</summary>
    public const int NoSuchFile = 2;

    /// <summary>
    /// Runs <paramref name="program"/> (a full path) with <paramref name="arguments"/> in place of this process, with its
    /// environment and open standard streams. Returns only when that failed: the errno of execv.
    /// </summary>
    public static int Execute(string program, IReadOnlyList<string> arguments)
    {
        // argv: the program's path, the arguments, then a null pointer; UTF-8 strings the caller frees, as execv returns only on failure.
        var argv = new nint[arguments.Count + 2];
        try
        {
            argv[0] = Marshal.StringToCoTaskMemUTF8(program);
            for (var i = 0; i < arguments.Count; i++)
            {
                argv[i + 1] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            }

            Execv(argv[0], argv);
            return Marshal.GetLastPInvokeError();
        }
        finally
        {
            foreach (var pointer in argv)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true)]
    private static partial int Execv(nint path, [In] nint[] argv);
}
