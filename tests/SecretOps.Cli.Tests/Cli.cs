using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace SecretOps.Cli.Tests;

/// <summary>Runs the built <c>secretops</c> CLI as a child process and captures what it printed.</summary>
internal static class Cli
{
    public static readonly string AssemblyPath = Metadata("CliAssembly");

    /// <summary>The repository root (README.md, out/).</summary>
    public static readonly string RepoRoot = Metadata("RepoRoot");

    public static CliResult Run(params string[] arguments) => Run(arguments, stdin: null, environment: null);

    public static CliResult Run(IEnumerable<string> arguments, string? stdin, IDictionary<string, string?>? environment) =>
        Run(arguments, stdin is null ? null : Encoding.UTF8.GetBytes(stdin), environment, prefix: null);

    /// <summary>
    /// Runs <c>dotnet exec secretops.dll arguments</c> (after <paramref name="prefix"/>, e.g. setpriv, when given)
    /// with standard input <paramref name="stdin"/> (closed when null). Inherited SECRETOPS_* variables are
    /// removed so the user's own configuration never leaks in.
    /// </summary>
    public static CliResult Run(IEnumerable<string> arguments, byte[]? stdin, IDictionary<string, string?>? environment, IReadOnlyList<string>? prefix)
    {
        var argumentList = arguments.ToList();
        var command = new List<string>(prefix ?? []) { "dotnet", "exec", AssemblyPath };
        command.AddRange(argumentList);
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SECRETOPS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
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

        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"secretops {string.Join(' ', argumentList)} did not finish in 2 minutes.");
        }

        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
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

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
