using System.CommandLine;

namespace SecretOps.Cli;

internal static class Program
{
    /// <summary>Exit code for a command line that does not parse.</summary>
    private const int UsageError = 2;

    private static int Main(string[] args)
    {
        var root = new RootCommand("SecretOps: team secret management on an encrypted SQLite store.");
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                Console.Error.WriteLine($"secretops: {error.Message}");
            }

            Console.Error.WriteLine("Run 'secretops --help' for usage.");
            return UsageError;
        }

        return parseResult.Invoke();
    }
}
