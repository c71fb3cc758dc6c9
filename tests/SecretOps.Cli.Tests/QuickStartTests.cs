using System.Diagnostics;

namespace SecretOps.Cli.Tests;

/// <summary>
/// README.md's quick start works as written (after its build step, which the test run has just done), with the
/// passphrase typed at its prompt rather than written into the command.
/// </summary>
public class QuickStartTests
{
    private const string Build = "dotnet build -c Release && ";

    [Fact]
    public async Task QuickStart_StoresAndReadsASecret_OnAFreshDefaultStore()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("The quick start is a bash line.");
        }

        var lines = QuickStartLines();
        Assert.Equal(2, lines.Count);
        Assert.StartsWith(Build, lines[0], StringComparison.Ordinal);
        // The second line is the test command, and CI runs exactly it.
        Assert.StartsWith("dotnet tool restore && dotnet test SecretOps.sln -c Release ", lines[1], StringComparison.Ordinal);
        Assert.Contains(lines[1], File.ReadAllLines(Path.Combine(Cli.RepoRoot, ".ci", "run")));

        // The passphrase is typed, never written into the command (shell history) nor given as an argument (process list).
        Assert.Contains("read -rsp", lines[0], StringComparison.Ordinal);
        Assert.DoesNotMatch("SECRETOPS_PASSPHRASE=|--value", lines[0]);

        using var home = CliStore.Empty();
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Cli.RepoRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(lines[0][Build.Length..]);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SECRETOPS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["HOME"] = home.Directory;
        start.Environment["XDG_DATA_HOME"] = Path.Combine(home.Directory, "data");
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(home.Directory, "config");
        start.Environment["DOTNET_CLI_HOME"] = home.Directory;
        using var bash = Process.Start(start)!;
        // What the person types at the passphrase prompt.
        await bash.StandardInput.WriteLineAsync("a long passphrase only you know");
        bash.StandardInput.Close();
        var cancel = TestContext.Current.CancellationToken;
        var stdout = bash.StandardOutput.ReadToEndAsync(cancel);
        var stderr = bash.StandardError.ReadToEndAsync(cancel);
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            timeout.CancelAfter(TimeSpan.FromMinutes(1));
            await bash.WaitForExitAsync(timeout.Token);
        }

        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}: {await stdout} {await stderr}");
        Assert.EndsWith("hunter2\n", await stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(home.Directory, "data", "secretops", "store.db")));
    }

    /// <summary>The lines of the first code block under "## Quick start".</summary>
    private static List<string> QuickStartLines()
    {
        var readme = File.ReadAllLines(Path.Combine(Cli.RepoRoot, "README.md"));
        var section = Array.IndexOf(readme, "## Quick start");
        Assert.True(section >= 0, "README.md has no '## Quick start' section.");
        var open = Array.FindIndex(readme, section, l => l.StartsWith("```", StringComparison.Ordinal));
        var close = Array.FindIndex(readme, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return readme[(open + 1)..close].Where(l => l.Trim().Length > 0).ToList();
    }
}
