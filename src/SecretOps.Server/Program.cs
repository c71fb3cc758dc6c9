using System.CommandLine;
using SecretOps.Server.Configuration;
using SecretOps.Server.Hosting;

namespace SecretOps.Server;

/// <summary>
/// The server's entry point: without a command it serves; <see cref="OperatorCommands"/> manage clients and read the
/// audit. Settings come from, later winning: defaults, the YAML file (<c>--config</c> or
/// SECRETOPS_SERVER_CONFIG), SECRETOPS_SERVER_* variables, then flags. A refusal to start is one line on standard
/// error, <c>secretops-server: &lt;message&gt;</c>, with the CLI's exit codes (<see cref="ServerExitCodes"/>).
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = ServerCommandLine.Build();
        root.Description = "SecretOps server (preview): HTTPS, signed requests, enrolment and audit; the store API is not there yet.";
        root.SetAction((result, _) => RunAsync(result));
        foreach (var command in OperatorCommands.Build(result => ServerSettings.ResolveStorage(LoadLayer(result))))
        {
            root.Subcommands.Add(command);
        }

        // '@file' arguments are paths, never response files.
        var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await Console.Error.WriteLineAsync($"secretops-server: {error.Message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("Run with --help for usage.").ConfigureAwait(false);
            return ServerExitCodes.Usage;
        }

        // The host handles SIGTERM and Ctrl-C itself (a graceful stop); System.CommandLine must not cut it short.
        try
        {
            return await parseResult.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null })
                .ConfigureAwait(false);
        }
        catch (Exception e) when (IsReportable(e))
        {
            await Console.Error.WriteLineAsync($"secretops-server: {e.Message}").ConfigureAwait(false);
            return ServerExitCodes.For(e);
        }
    }

    private static async Task<int> RunAsync(ParseResult result)
    {
        await ServerHost.RunAsync(ServerSettings.Resolve(LoadLayer(result), result.GetValue(ServerCommandLine.InsecureHttp))).ConfigureAwait(false);
        return ServerExitCodes.Ok;
    }

    /// <summary>What stops a command with one line on standard error rather than a stack trace.</summary>
    private static bool IsReportable(Exception e) =>
        e is SecretOpsException or IOException or UnauthorizedAccessException or System.Data.Common.DbException or InvalidOperationException
            or Storage.StorageUnavailableException;

    private static ServerSettingsLayer LoadLayer(ParseResult result)
    {
        var merged = new ServerSettingsLayer();
        var configPath = result.GetValue(ServerCommandLine.Config) ?? Environment.GetEnvironmentVariable(ServerEnvironment.ConfigVariable);
        if (configPath is { Length: > 0 })
        {
            merged.Overlay(ServerConfigFile.Load(configPath));
        }

        merged.Overlay(ServerEnvironment.Read(Environment.GetEnvironmentVariables()));
        merged.Overlay(ServerCommandLine.Read(result));
        return merged;
    }
}
