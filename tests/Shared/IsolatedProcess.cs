using System.Diagnostics;

namespace SecretOps.Tests.Processes;

/// <summary>
/// How tests and benchmarks start a child process (linked into both): every stream redirected, and inherited
/// SECRETOPS_* variables removed so the user's own configuration never leaks in; only <c>environment</c> is set.
/// </summary>
internal static class IsolatedProcess
{
    /// <summary>A start description for <paramref name="command"/> (program first).</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyList<string> command, IEnumerable<KeyValuePair<string, string?>>? environment = null)
    {
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

        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        return start;
    }
}
