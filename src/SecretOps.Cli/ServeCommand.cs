using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace SecretOps.Cli;

/// <summary>
/// <c>secretops serve [server arguments…]</c>: runs the SecretOps server (<see cref="ServerProgram"/>) with every argument
/// after <c>serve</c>, unchanged, so the server's own parser and help are the only ones. On Linux and macOS the server
/// replaces this process (<see cref="ProcessReplacement"/>): systemd's SIGTERM and the exit code are the server's own.
/// On Windows it runs as a child on the same console and standard streams, and its exit code is returned.
/// </summary>
/// <remarks>
/// <see cref="Program"/> dispatches <c>serve</c> before the CLI parses anything, so the CLI's options, several of which the
/// server has too (<c>--client</c>), never take the server's arguments; <c>serve</c> must therefore come first. The command
/// in the tree is there for <c>secretops --help</c>, and to refuse CLI options given before <c>serve</c>.
/// </remarks>
internal static class ServeCommand
{
    public const string Name = "serve";

    public static Command Create()
    {
        var command = new Command(Name,
            "Run the SecretOps server (preview) in place of this process. Every argument after 'serve' is the server's ('secretops serve --help' lists them); "
            + $"'serve' comes first, with no CLI option before it. The server is in ../server/ beside the CLI's folder, or where {ServerProgram.PathVariable} says.")
        {
            new Argument<string[]>("server-arguments") { Arity = ArgumentArity.ZeroOrMore, Description = "The server's options and command, e.g. --config FILE, or enrol --client UUID." },
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("secretops: 'serve' must be the first argument: the CLI's options (--store, --client, --output…) do not apply to the server. "
                + "Give the server's options after it, e.g. 'secretops serve --config /etc/secretops/server.yaml'.");
            return ExitCodes.Usage;
        });
        return command;
    }

    /// <summary>
    /// Starts the server with <paramref name="serverArguments"/>. On Linux and macOS returns only when it could not be
    /// started: <see cref="ExitCodes.NotFound"/> when it is not there, <see cref="ExitCodes.Other"/> when exec failed.
    /// </summary>
    public static int Run(IReadOnlyList<string> serverArguments)
    {
        ServerProgram server;
        try
        {
            server = ServerProgram.Locate(Environment.GetEnvironmentVariable(ServerProgram.PathVariable), AppContext.BaseDirectory);
        }
        catch (NotFoundException e)
        {
            Console.Error.WriteLine($"secretops: {e.Message}");
            return ExitCodes.NotFound;
        }

        string[] arguments = [.. server.LeadingArguments, .. serverArguments];
        if (OperatingSystem.IsWindows())
        {
            return RunAsChild(server.Program, arguments);
        }

        // Nothing written may be left in a buffer that the new program would drop.
        Console.Out.Flush();
        Console.Error.Flush();
        var error = ProcessReplacement.Execute(server.Program, arguments);
        ReportCannotStart(server.Program, Marshal.GetPInvokeErrorMessage(error));
        return error == ProcessReplacement.NoSuchFile ? ExitCodes.NotFound : ExitCodes.Other;
    }

    private static void ReportCannotStart(string program, string reason) =>
        Console.Error.WriteLine($"secretops: the SecretOps server '{program}' cannot be started: {reason}. "
            + $"Build it again ('dotnet build -c Release' assembles out/server/), or set {ServerProgram.PathVariable} to a server that runs.");

    [SupportedOSPlatform("windows")]
    private static int RunAsChild(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Ctrl-C reaches the server too (the same console): wait for its graceful stop rather than die before it.
        ConsoleCancelEventHandler keepWaiting = (_, e) => e.Cancel = true;
        Console.CancelKeyPress += keepWaiting;
        try
        {
            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (Win32Exception e)
        {
            ReportCannotStart(program, e.Message);
            return ExitCodes.Other;
        }
        finally
        {
            Console.CancelKeyPress -= keepWaiting;
        }
    }
}
