using System.Diagnostics;
using SecretOps.Tests.Processes;
using System.Reflection;
using System.Text;

namespace SecretOps.Cli.Tests;

/// <summary>Runs the built <c>secretops</c> CLI as a child process and captures what it printed.</summary>
internal static class Cli
{
    public static readonly string AssemblyPath = Metadata("CliAssembly");

    /// <summary>The repository root (README.md, out/).</summary>
    public static readonly string RepoRoot = Metadata("RepoRoot");

    /// <summary>
    /// The ahead-of-time compiled CLI, run instead of <c>dotnet exec</c> of the built assembly when
    /// <c>SECRETOPS_TEST_CLI_NATIVE</c> names it (a path relative to the repository root, as CI gives
    /// out/cli-native/secretops). Tests that run a copy of the CLI of their own still run the assembly.
    /// </summary>
    public static readonly string? NativeExecutable = Environment.GetEnvironmentVariable("SECRETOPS_TEST_CLI_NATIVE") is { Length: > 0 } native ? Path.GetFullPath(native, RepoRoot) : null;

    public static CliResult Run(params string[] arguments) => Run(arguments, stdin: null, environment: null);

    public static CliResult Run(IEnumerable<string> arguments, string? stdin, IDictionary<string, string?>? environment) =>
        Run(arguments, stdin is null ? null : Encoding.UTF8.GetBytes(stdin), environment, prefix: null);

    /// <summary>
    /// Runs <c>dotnet exec secretops.dll arguments</c> (after <paramref name="prefix"/>, e.g. setpriv, when given)
    /// with standard input <paramref name="stdin"/> (closed when null), and waits for it to finish.
    /// <paramref name="assemblyPath"/> names another copy of the CLI to run (default: the built one).
    /// </summary>
    public static CliResult Run(IEnumerable<string> arguments, byte[]? stdin, IDictionary<string, string?>? environment, IReadOnlyList<string>? prefix, string? assemblyPath = null)
    {
        var argumentList = arguments.ToList();
        using var process = Start(argumentList, environment, prefix, assemblyPath);
        var (stdout, stderr) = Communicate(process, stdin);
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"secretops {string.Join(' ', argumentList)} did not finish in 2 minutes.");
        }

        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Runs like <see cref="Run(IEnumerable{string}, byte[], IDictionary{string, string}, IReadOnlyList{string})"/>, but kills the
    /// process with SIGKILL once <paramref name="killAfter"/> has passed; <see cref="CliResult.Killed"/> tells whether it finished first.
    /// </summary>
    public static CliResult RunAndKill(IEnumerable<string> arguments, byte[]? stdin, IDictionary<string, string?>? environment, TimeSpan killAfter)
    {
        using var process = Start(arguments.ToList(), environment, prefix: null, assemblyPath: null);
        var (stdout, stderr) = Communicate(process, stdin);
        if (!process.WaitForExit(killAfter))
        {
            process.Kill();
        }

        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Starts the CLI and leaves it running with standard input open (a command that reads it then waits);
    /// the caller inspects it, then kills it.
    /// </summary>
    public static Process StartWaiting(IEnumerable<string> arguments, IReadOnlyList<string>? prefix, string? assemblyPath, IDictionary<string, string?>? environment = null) =>
        Start(arguments.ToList(), environment, prefix, assemblyPath);

    /// <summary>
    /// Starts <c>dotnet exec secretops.dll arguments</c> (after <paramref name="prefix"/>, e.g. setpriv, when given).
    /// Inherited SECRETOPS_* variables are removed so the user's own configuration never leaks in.
    /// </summary>
    private static Process Start(List<string> argumentList, IDictionary<string, string?>? environment, IReadOnlyList<string>? prefix, string? assemblyPath)
    {
        var command = new List<string>(prefix ?? []);
        if (assemblyPath is null && NativeExecutable is { } native)
        {
            command.Add(native);
        }
        else
        {
            command.AddRange(["dotnet", "exec", assemblyPath ?? AssemblyPath]);
        }

        command.AddRange(argumentList);
        var start = IsolatedProcess.StartInfo(command, environment);
        return Process.Start(start)!;
    }

    /// <summary>Collects what the process prints, and gives it <paramref name="stdin"/> (closed when null).</summary>
    private static (Task<byte[]> Stdout, Task<string> Stderr) Communicate(Process process, byte[]? stdin)
    {
        var stdout = CopyAsync(process.StandardOutput.BaseStream);
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                process.StandardInput.BaseStream.Write(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The CLI may exit without reading all of its input (an oversized value, an early error).
        }

        return (stdout, stderr);
    }

    private static async Task<byte[]> CopyAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static string Metadata(string key) => typeof(Cli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}

/// <summary>What a run of the CLI printed, and how it ended.</summary>
internal sealed record CliResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    /// <summary>Killed by <see cref="Cli.RunAndKill"/> before it finished.</summary>
    public bool Killed => ExitCode == CrashWorker.CrashProtocol.KilledExitCode;

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
