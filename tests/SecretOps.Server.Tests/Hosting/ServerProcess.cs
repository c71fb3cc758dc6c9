using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SecretOps.Tests.Processes;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// The real built server (<c>dotnet SecretOps.Server.dll</c>) as a child process, with its output collected. Tests wait
/// for its "Listening on" log line or its exit, with timeouts generous enough for a loaded two-core machine, and it
/// is killed on dispose if it still runs.
/// </summary>
internal sealed partial class ServerProcess : IDisposable
{
    /// <summary>How long a start or a stop may take before the test fails: the machine may be busy with other builds.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly Process process;
    private readonly ConcurrentQueue<string> stdout = new();
    private readonly ConcurrentQueue<string> stderr = new();
    private readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process)
    {
        this.process = process;
    }

    /// <summary>The built server's assembly (set by the project file).</summary>
    public static string AssemblyPath { get; } = typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ServerAssembly").Value!;

    /// <summary>Everything the server wrote to standard output (its JSON log lines).</summary>
    public string Output => string.Join('\n', stdout);

    /// <summary>Everything the server wrote to standard error (its refusals).</summary>
    public string Errors => string.Join('\n', stderr);

    /// <summary>Starts the server with <paramref name="arguments"/>; only <paramref name="environment"/>'s SECRETOPS_ variables reach it.</summary>
    public static ServerProcess Start(IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string?>>? environment = null)
    {
        var start = IsolatedProcess.StartInfo(["dotnet", AssemblyPath, .. arguments], environment);
        var server = new ServerProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        server.process.OutputDataReceived += (_, e) => server.OnOutput(e.Data);
        server.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                server.stderr.Enqueue(e.Data);
            }
        };
        server.process.Exited += (_, _) => server.listening.TrySetException(new InvalidOperationException("The server exited before listening."));
        server.process.Start();
        server.process.StandardInput.Close();
        server.process.BeginOutputReadLine();
        server.process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The address from the server's "Listening on" line; fails with its output if it exits or takes too long.</summary>
    public async Task<Uri> WaitUntilListeningAsync()
    {
        try
        {
            return await listening.Task.WaitAsync(Patience);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"The server did not start listening ({e.Message}).\nstdout:\n{Output}\nstderr:\n{Errors}", e);
        }
    }

    /// <summary>The exit code, once the process has exited and its output is read to the end.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The server did not exit within {Patience}.\nstdout:\n{Output}\nstderr:\n{Errors}");
        }

        return process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as systemd or docker stop does (through libc: a minimal Debian has no kill command).</summary>
    public void Terminate()
    {
        const int sigterm = 15;
        Assert.Equal(0, SendSignal(process.Id, sigterm));
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        stdout.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            listening.TrySetResult(new Uri(match.Groups["url"].Value));
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    [GeneratedRegex("\"Message\":\"Listening on (?<url>https?://[^ \"]+)")]
    private static partial Regex ListeningLine();
}
