using System.Diagnostics;
using System.Reflection;

namespace SecretOps.Cli.Tests;

/// <summary>Runs the built <c>secretops</c> CLI as a child process and captures what it printed.</summary>
internal static class Cli
{
    public static readonly string AssemblyPath = typeof(Cli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CliAssembly").Value!;

    public static CliResult Run(params string[] arguments) => Run(arguments, stdin: null, environment: null);

    public static CliResult Run(IEnumerable<string> arguments, string? stdin, IDictionary<string, string?>? environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"secretops {string.Join(' ', arguments)} did not finish in 2 minutes.");
        }

        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);
