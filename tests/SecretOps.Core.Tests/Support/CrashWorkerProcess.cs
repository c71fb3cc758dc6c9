using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using SecretOps.CrashWorker;

namespace SecretOps.Core.Tests.Support;

/// <summary>
/// Runs the crash worker (tests/SecretOps.CrashWorker) on a store and kills it with SIGKILL a given time after it
/// connected; returns every line it printed, including those still in the pipe when it died.
/// </summary>
internal static class CrashWorkerProcess
{
    public static readonly string AssemblyPath = typeof(CrashWorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CrashWorkerAssembly").Value!;

    public static WorkerRun RunAndKill(TempStore store, string mode, int seed, TimeSpan killAfterReady, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "exec", AssemblyPath, mode, store.Path, store.Shared ? "1" : "0", seed.ToString(CultureInfo.InvariantCulture) },
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SECRETOPS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment[CrashProtocol.PassphraseVariable] = TempStore.Passphrase;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var lines = new List<string>();
        var ready = new TaskCompletionSource();
        var stdout = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }

                if (line == "ready")
                {
                    ready.TrySetResult();
                }
            }

            ready.TrySetResult();
        });
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (!ready.Task.Wait(TimeSpan.FromMinutes(2)))
            {
                throw new TimeoutException($"The crash worker ({mode}) did not connect within 2 minutes.");
            }

            Thread.Sleep(killAfterReady);
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }

        stdout.Wait();
        // Any other exit means the worker stopped by itself: it failed, and says why on stderr.
        Assert.True(process.ExitCode == CrashProtocol.KilledExitCode && lines.Contains("ready"), $"The crash worker ({mode}, seed {seed}) stopped by itself with exit {process.ExitCode}: {stderr.Result}");
        return new WorkerRun(lines);
    }
}

/// <summary>What a killed worker printed: the operations it acknowledged, and the one it had begun when it died, if any.</summary>
internal sealed record WorkerRun(IReadOnlyList<string> Lines)
{
    /// <summary>The acknowledged operations in order, each as its words after "ack" (e.g. ["set", "s1", "2", "ms=4"]).</summary>
    public IEnumerable<string[]> Acknowledged => Lines.Where(l => l.StartsWith("ack ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1..]);

    /// <summary>The operation begun and not acknowledged: the kill landed inside it. Null when it landed between operations.</summary>
    public string[]? InFlight => Lines[^1].StartsWith("begin ", StringComparison.Ordinal) ? Lines[^1].Split(' ')[1..] : null;

    /// <summary>The longest acknowledged operation, from the worker's own clock.</summary>
    public int LongestMilliseconds => Acknowledged.Select(a => int.Parse(a[^1]["ms=".Length..], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
}
