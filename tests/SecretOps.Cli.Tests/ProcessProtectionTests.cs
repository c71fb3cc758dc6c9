namespace SecretOps.Cli.Tests;

/// <summary>
/// The CLI holds passphrases and unlocked keys in memory: on Linux it makes itself non-dumpable and gives itself no
/// core-file limit before it reads anything. A non-dumpable process writes no core dump, cannot be ptraced or have
/// its /proc/&lt;pid&gt;/mem read by other processes of its user, and the kernel shows that by giving its
/// /proc/&lt;pid&gt; files to root. The check runs the CLI as another user than root ('nobody', when the tests run
/// as root), since root owns a root process's /proc files either way.
/// </summary>
public class ProcessProtectionTests
{
    private static readonly TimeSpan Runaway = TimeSpan.FromSeconds(30);

    [Fact]
    public void TheCliProcess_IsNotDumpable_AndWritesNoCoreFile_WhileItWaitsForInput()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("PR_SET_DUMPABLE is Linux's.");
            return;
        }

        using var home = CliStore.Empty();
        IReadOnlyList<string>? prefix = null;
        string? assembly = null;
        var uid = GetUid();
        if (uid == 0)
        {
            if (!File.Exists(OtherUser.SetPriv))
            {
                Assert.Skip("Running as root without setpriv: root owns a root process's /proc files whether it is dumpable or not.");
            }

            File.SetUnixFileMode(home.Directory, (UnixFileMode)Convert.ToInt32("777", 8));
            prefix = OtherUser.Prefix(home.Directory);
            assembly = OtherUser.ReadableCli(home.Directory);
            uid = OtherUser.Nobody;
        }

        // 'policy apply -' reads all of standard input before it does anything else: the process waits there.
        using var cli = Cli.StartWaiting(["policy", "apply", "-", "--dry-run"], prefix, assembly);
        try
        {
            var limits = $"/proc/{cli.Id}/limits";
            var deadline = DateTime.UtcNow + Runaway;
            string? coreLimit = null;
            while (DateTime.UtcNow < deadline && !cli.HasExited)
            {
                coreLimit = File.ReadLines(limits).FirstOrDefault(l => l.StartsWith("Max core file size", StringComparison.Ordinal));
                if (coreLimit is not null && coreLimit.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4..6].SequenceEqual(["0", "0"]))
                {
                    break;
                }

                Thread.Sleep(50);
            }

            Assert.False(cli.HasExited, "The CLI exited instead of waiting for standard input.");
            Assert.True(coreLimit is not null && coreLimit.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4..6].SequenceEqual(["0", "0"]),
                $"The core file limit is not 0 after {Runaway.TotalSeconds} s: '{coreLimit}'.");

            // The process runs as 'uid'; only a non-dumpable one has its /proc files owned by root.
            Assert.Equal(uid, UidOf($"/proc/{cli.Id}/status"));
            Assert.Equal(0, OwnerOf($"/proc/{cli.Id}/environ"));
            Assert.Equal(0, OwnerOf($"/proc/{cli.Id}/mem"));
        }
        finally
        {
            cli.Kill(entireProcessTree: true);
            cli.WaitForExit();
        }
    }

    private static int GetUid() => UidOf("/proc/self/status");

    /// <summary>The real uid in a /proc/&lt;pid&gt;/status file.</summary>
    private static int UidOf(string status) =>
        int.Parse(File.ReadLines(status).First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1],
                  System.Globalization.CultureInfo.InvariantCulture);

    private static int OwnerOf(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return int.Parse(owner, System.Globalization.CultureInfo.InvariantCulture);
    }
}
