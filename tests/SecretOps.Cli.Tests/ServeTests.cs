using System.Collections.Concurrent;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SecretOps.Cli.Tests;

/// <summary>
/// <c>secretops serve</c> runs the real server built in out/server/, found beside the CLI's own folder: the CLI assembled
/// in out/cli/ (run as <c>dotnet exec</c>, so the running program is dotnet and only the assembly's folder points to
/// out/server/), or the native one in out/cli-native/ when SECRETOPS_TEST_CLI_NATIVE names it. On Linux the server
/// replaces the CLI: the pid the test started is the server's.
/// </summary>
public sealed partial class ServeTests : IDisposable
{
    /// <summary>How long the server may take to start or stop on a loaded two-core machine.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string folder = Directory.CreateTempSubdirectory("secretops-serve-").FullName;

    /// <summary>The CLI as assembled in out/cli/, beside out/server/; null runs the native CLI when the run asks for it.</summary>
    private static string? AssembledCli => Cli.NativeExecutable is null ? Path.Combine(Cli.RepoRoot, "out", "cli", "SecretOps.Cli.dll") : null;

    private string DatabasePath => Path.Combine(folder, "server.db");

    [Fact]
    public async Task Serve_StartsTheServer_InPlaceOfTheCli_AndSigtermStopsItWithExitCode0()
    {
        using var process = Cli.StartWaiting(
            ["serve", "--insecure-http", "--listen", "127.0.0.1", "--port", "0", "--sqlite-path", DatabasePath], prefix: null, AssembledCli);
        process.StandardInput.Close();
        var output = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output.Enqueue(line);
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups["url"].Value));
                }
            }
        };
        process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync(TestContext.Current.CancellationToken);
            var first = await Task.WhenAny(listening.Task, exited).WaitAsync(Patience, TestContext.Current.CancellationToken);
            Assert.True(first == listening.Task, $"The server did not start listening:\n{string.Join('\n', output)}");
            var address = await listening.Task;
            Assert.Equal("http", address.Scheme);

            using (var client = new HttpClient { Timeout = Patience })
            using (var response = await client.GetAsync(new Uri(address, "/health"), TestContext.Current.CancellationToken))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
            }

            if (OperatingSystem.IsLinux())
            {
                // The pid that was the CLI now runs the server's launcher: exec replaced the program, not a child.
                var program = new FileInfo($"/proc/{process.Id}/exe").ResolveLinkTarget(returnFinalTarget: true)!.FullName;
                Assert.Equal(Path.Combine(Cli.RepoRoot, "out", "server", "SecretOps.Server"), program);
                var commandLine = (await File.ReadAllTextAsync($"/proc/{process.Id}/cmdline", TestContext.Current.CancellationToken)).Split('\0');
                Assert.DoesNotContain(commandLine, argument => argument.Contains("SecretOps.Cli", StringComparison.Ordinal) || argument == "serve");
                Assert.Equal(["--insecure-http", "--listen", "127.0.0.1"], commandLine[1..4]);

                const int sigterm = 15;
                Assert.Equal(0, SendSignal(process.Id, sigterm));
                await exited.WaitAsync(Patience, TestContext.Current.CancellationToken);
                Assert.Equal(0, process.ExitCode);
                Assert.Contains(output, line => line.Contains("\"Message\":\"Stopped\"", StringComparison.Ordinal));
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
        }
    }

    [Fact]
    public void ServeEnrol_HandsTheServerItsOwnClientOption_AndPrintsTheEnrolmentToken()
    {
        // --client is also a CLI option: only a 'serve' that leaves the arguments alone gets it to the server.
        var clientId = Guid.NewGuid().ToString("D");
        var result = Cli.Run(["serve", "enrol", "--client", clientId, "--sqlite-path", DatabasePath], stdin: null, environment: null, prefix: null, AssembledCli);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($"^secretops-enrol-v1:{clientId}:[A-Za-z0-9_-]{{43}}\n$", result.Stdout);
        Assert.Contains($"enrolled client {clientId}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ServeHelp_IsTheServersOwn_AndTheCliHelpListsServe()
    {
        var serve = Cli.Run(["serve", "--help"], stdin: null, environment: null, prefix: null, AssembledCli);
        Assert.True(serve.ExitCode == 0, serve.ToString());
        Assert.Contains("--insecure-http", serve.Stdout, StringComparison.Ordinal);
        Assert.Contains("--audit-retention-days", serve.Stdout, StringComparison.Ordinal);

        var root = Cli.Run(["--help"], stdin: null, environment: null, prefix: null, AssembledCli);
        Assert.Matches(@"\n\s+serve\b", root.Stdout);
    }

    [Fact]
    public void ServeWithNoServerWhereTheVariableSays_FailsWithExitCode3_NamingWhereItLookedAndTheFix()
    {
        var nowhere = Path.Combine(folder, "no-server-here");
        var result = Cli.Run(["serve", "--help"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_SERVER_PATH"] = nowhere }, prefix: null, AssembledCli);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains($"SECRETOPS_SERVER_PATH names '{nowhere}'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("dotnet build -c Release", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerPathNamingTheAssembly_RunsItUnderDotnet()
    {
        var assembly = Path.Combine(Cli.RepoRoot, "out", "server", "SecretOps.Server.dll");
        var result = Cli.Run(["serve", "--help"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_SERVER_PATH"] = assembly }, prefix: null, AssembledCli);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("--insecure-http", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ServerThatCannotBeExecuted_FailsWithExitCode1_NamingItAndWhy()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("execv is Linux's and macOS's.");
            return;
        }

        // A launcher without any execute bit: execv refuses it with EACCES, even for root.
        var launcher = Path.Combine(folder, "SecretOps.Server");
        File.WriteAllText(launcher, "not a program");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var result = Cli.Run(["serve", "--help"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_SERVER_PATH"] = folder }, prefix: null, AssembledCli);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"the SecretOps server '{launcher}' cannot be started: Permission denied", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CliOptionsBeforeServe_AreRefusedWithExitCode2()
    {
        var result = Cli.Run(["--store", DatabasePath, "serve", "--insecure-http"], stdin: null, environment: null, prefix: null, AssembledCli);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'serve' must be the first argument", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(DatabasePath));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    [GeneratedRegex("\"Message\":\"Listening on (?<url>https?://[^ \"]+)")]
    private static partial Regex ListeningLine();
}
