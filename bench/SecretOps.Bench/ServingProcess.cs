using System.Collections.Concurrent;
using System.Diagnostics;

namespace SecretOps.Bench;

/// <summary>
/// A child process serving HTTPS on 127.0.0.1 (the real server or the floor endpoint): its output is drained as it
/// comes (the server logs a line per request, and a full pipe would stall it), the port is read from the line that
/// announces it, and the process is killed on dispose.
/// </summary>
internal sealed class ServingProcess : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly string name;
    private readonly Process process;
    private readonly ConcurrentQueue<string> errors = new();
    private readonly TaskCompletionSource<int> port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServingProcess(string name, Process process)
    {
        this.name = name;
        this.process = process;
    }

    /// <summary>
    /// Starts <paramref name="start"/>; <paramref name="portFromLine"/> reads the port from a line of standard output
    /// (null for any other line); <paramref name="eachLine"/>, when given, sees every line of standard output. Standard
    /// input stays open until dispose.
    /// </summary>
    public static ServingProcess Start(string name, ProcessStartInfo start, Func<string, int?> portFromLine, Action<string>? eachLine = null)
    {
        var serving = new ServingProcess(name, new Process { StartInfo = start, EnableRaisingEvents = true });
        serving.process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (!serving.port.Task.IsCompleted && portFromLine(e.Data) is { } found)
            {
                serving.port.TrySetResult(found);
            }

            eachLine?.Invoke(e.Data);
        };
        serving.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                serving.errors.Enqueue(e.Data);
            }
        };
        serving.process.Exited += (_, _) => serving.port.TrySetException(new BenchmarkFailedException($"{name} exited before listening."));
        if (!serving.process.Start())
        {
            throw new BenchmarkFailedException($"Could not start {name}.");
        }

        serving.process.BeginOutputReadLine();
        serving.process.BeginErrorReadLine();
        return serving;
    }

    /// <summary>The port it listens on; fails with its standard error when it exits first or takes longer than 90 s.</summary>
    public int WaitForPort()
    {
        try
        {
            return port.Task.WaitAsync(Patience).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is TimeoutException or BenchmarkFailedException)
        {
            // The exit may be seen before the last lines of standard error.
            process.WaitForExit(TimeSpan.FromSeconds(5));
            throw new BenchmarkFailedException($"{name} did not start listening ({e.Message}). Standard error:\n{string.Join('\n', errors)}", e);
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }
}
