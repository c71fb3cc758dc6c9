using System.Runtime.Versioning;

namespace SecretOps.Cli.Tests;

/// <summary>
/// Running the CLI as user 'nobody' (65534) when the tests run as root, for checks that root would pass anyway:
/// a copy of the built CLI everyone can read, and the setpriv prefix that drops to 'nobody'.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class OtherUser
{
    public const string SetPriv = "/usr/bin/setpriv";
    public const int Nobody = 65534;

    public static bool IsRoot() => File.Exists("/proc/self/status")
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";

    /// <summary>The command prefix that runs what follows as 'nobody', with <paramref name="home"/> as its home.</summary>
    public static IReadOnlyList<string> Prefix(string home) =>
        [SetPriv, $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "env", $"HOME={home}", $"DOTNET_CLI_HOME={home}"];

    /// <summary>
    /// A copy of the built CLI under <paramref name="directory"/> that 'nobody' can read (the checkout may sit where it
    /// cannot: under /root, or a 0700 temporary folder); returns the copied assembly's path.
    /// </summary>
    public static string ReadableCli(string directory)
    {
        var copy = CopyReadableByEveryone(Path.GetDirectoryName(Cli.AssemblyPath)!, Path.Combine(directory, "cli"));
        return Path.Combine(copy, Path.GetFileName(Cli.AssemblyPath));
    }

    public static void Chown(string path, int uid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path])!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    /// <summary>Copies a folder tree to <paramref name="destination"/> with folders 0755 and files 0644; returns the destination.</summary>
    private static string CopyReadableByEveryone(string source, string destination)
    {
        var folderMode = (UnixFileMode)Convert.ToInt32("755", 8);
        Directory.CreateDirectory(destination, folderMode);
        File.SetUnixFileMode(destination, folderMode);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            var copy = Path.Combine(destination, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, (UnixFileMode)Convert.ToInt32("644", 8));
        }

        foreach (var folder in Directory.EnumerateDirectories(source))
        {
            CopyReadableByEveryone(folder, Path.Combine(destination, Path.GetFileName(folder)));
        }

        return destination;
    }
}
