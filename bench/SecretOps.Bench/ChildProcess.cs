using System.Diagnostics;
using SecretOps.Tests.Processes;

namespace SecretOps.Bench;

/// <summary>What a finished child process printed, and how it ended.</summary>
internal sealed record ProcessOutput(int ExitCode, string Stdout, string Stderr);

/// <summary>Starts child processes with a controlled environment (<see cref="IsolatedProcess"/>): inherited SECRETOPS_* variables never leak in.</summary>
internal static class ChildProcess
{
    /// <summary>A start description for <paramref name="command"/> (program first) with every stream redirected.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyList<string> command, IReadOnlyDictionary<string, string?>? environment = null) =>
        IsolatedProcess.StartInfo(command, environment);

    /// <summary>Runs the process to its end, writing <paramref name="stdin"/> (then closing it) and reading all output.</summary>
    public static ProcessOutput Run(ProcessStartInfo start, string? stdin = null)
    {
        using var process = Process.Start(start) ?? throw new BenchmarkFailedException($"Could not start {start.FileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new BenchmarkFailedException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in 5 minutes.");
        }

        return new ProcessOutput(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    /// <summary>The command that runs this harness again: its native launcher, or <c>dotnet exec</c> of its assembly.</summary>
    public static List<string> Self()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? [host, "exec", typeof(ChildProcess).Assembly.Location]
            : [host];
    }
}
