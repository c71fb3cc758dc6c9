using System.CommandLine;
using System.CommandLine.Help;
using SecretOps.Core;

namespace SecretOps.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        // First, before any credential is read: no core dumps, no same-user ptrace (Linux).
        ProcessProtection.MakeUndumpable();

        // Everything after 'serve' is the server's, untouched by the CLI's parser (ServeCommand).
        if (args is [ServeCommand.Name, .. var serverArguments])
        {
            return ServeCommand.Run(serverArguments);
        }

        var root = BuildCommand();

        // '@file' arguments are names and values, never response files.
        var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                Console.Error.WriteLine($"secretops: {Redact(parseResult, error.Message)}");
            }

            Console.Error.WriteLine("Run 'secretops --help' for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return parseResult.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        finally
        {
            // Close kept connections so SQLite checkpoints the WAL and leaves a self-contained file.
            SecretStore.ReleaseConnections();
        }
    }

    /// <summary>
    /// The command tree. The root is a plain command named "secretops" (a RootCommand takes its name from
    /// the assembly, SecretOps.Cli) with RootCommand's help and version options.
    /// </summary>
    internal static Command BuildCommand()
    {
        var root = new Command("secretops",
            "SecretOps: team secret management on an encrypted SQLite store.\n"
            + "Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, 4 authentication failed, 5 access denied, 6 conflict, 7 tampered or corrupt, 8 expired.")
        {
            new HelpOption(),
            new VersionOption(),
            StoreCommands.Create(),
            SecretCommands.Create(),
            NamespaceCommands.Create(),
            ClientCommands.Create(),
            AuditCommands.Create(),
            PolicyCommands.Create(),
            ServeCommand.Create(),
        };
        foreach (var command in PermissionCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        foreach (var option in GlobalOptions.All)
        {
            root.Options.Add(option);
        }

        return root;
    }

    /// <summary>
    /// One line per error. A mistyped 'secret set' (a value given as a second argument) must not echo the
    /// value: its parse errors do not show arguments the parser could not place.
    /// </summary>
    private static string Redact(ParseResult parseResult, string message)
    {
        if (parseResult.CommandResult.Command.Name == "set")
        {
            foreach (var token in parseResult.UnmatchedTokens.Where(t => t.Length > 0))
            {
                message = message.Replace($"'{token}'", "(an argument not shown, in case it is a value)", StringComparison.Ordinal);
            }
        }

        return string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
