using System.Runtime.InteropServices;

namespace SecretOps.Core;

/// <summary>
/// Keeps a process's memory, which holds unlocked keys and passphrases, out of core dumps and away from same-user
/// debuggers. For processes SecretOps owns (the CLI); never called inside someone else's process, such as pwsh.
/// </summary>
public static partial class ProcessProtection
{
    /// <summary>
    /// On Linux: prctl(PR_SET_DUMPABLE, 0), as ssh-agent does, so no core dump is written and other processes of the
    /// same user can neither ptrace this one nor read its /proc/&lt;pid&gt;/mem or environ (root still can); and
    /// setrlimit(RLIMIT_CORE, 0). Elsewhere nothing. True when both calls succeeded.
    /// </summary>
    public static bool MakeUndumpable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        const int SetDumpable = 4, CoreLimit = 4;
        var undumpable = Prctl(SetDumpable, 0, 0, 0, 0) == 0;
        var noCore = new ResourceLimit { Current = 0, Maximum = 0 };
        return SetResourceLimit(CoreLimit, ref noCore) == 0 && undumpable;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint argument2, nuint argument3, nuint argument4, nuint argument5);

    [LibraryImport("libc", EntryPoint = "setrlimit")]
    private static partial int SetResourceLimit(int resource, ref ResourceLimit limit);
}
