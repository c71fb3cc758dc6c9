using System.CommandLine;
using SecretOps.Server.Configuration;
using SecretOps.Server.Hosting;

namespace SecretOps.Server;

/// <summary>
/// The server's entry point. Settings come from, later winning: defaults, the YAML file (<c>--config</c> or
/// SECRETOPS_SERVER_CONFIG), SECRETOPS_SERVER_* variables, then flags. A refusal to start is one line on standard
/// error, <c>secretops-server: &lt;message&gt;</c>, with the CLI's exit codes (<see cref="ServerExitCodes"/>).
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = ServerCommandLine.Build();
        root.Description = "SecretOps server (preview): HTTPS, configuration and health; the store API is not there yet.";
        root.SetAction((result, _) => RunAsync(result));

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
        return await parseResult.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null })
            .ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(ParseResult result)
    {
        try
        {
            var settings = LoadSettings(result);
            await ServerHost.RunAsync(settings).ConfigureAwait(false);
            return ServerExitCodes.Ok;
        }
        catch (Exception e) when (e is SecretOpsException or IOException or UnauthorizedAccessException or System.Data.Common.DbException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"secretops-server: {e.Message}").ConfigureAwait(false);
            return ServerExitCodes.For(e);
        }
    }

    private static ServerSettings LoadSettings(ParseResult result)
    {
        var merged = new ServerSettingsLayer();
        var configPath = result.GetValue(ServerCommandLine.Config) ?? Environment.GetEnvironmentVariable(ServerEnvironment.ConfigVariable);
        if (configPath is { Length: > 0 })
        {
            merged.Overlay(ServerConfigFile.Load(configPath));
        }

        merged.Overlay(ServerEnvironment.Read(Environment.GetEnvironmentVariables()));
        merged.Overlay(ServerCommandLine.Read(result));
        return ServerSettings.Resolve(merged, result.GetValue(ServerCommandLine.InsecureHttp));
    }
}
