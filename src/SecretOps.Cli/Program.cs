using System.CommandLine;

namespace SecretOps.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("SecretOps: team secret management on an encrypted SQLite store.");
        return root.Parse(args).Invoke();
    }
}
