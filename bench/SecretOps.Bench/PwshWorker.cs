using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace SecretOps.Bench;

/// <summary>
/// A pwsh process running <c>Peer/PeerWorker.ps1</c> (the <c>peer</c> benchmark's PowerShell side): commands go to its
/// standard input as one JSON object per line, and each is answered by one standard-output line starting with
/// <see cref="ResultPrefix"/>. Other output (warnings the host prints) is ignored; standard error is kept for messages.
/// </summary>
internal sealed class PwshWorker : IDisposable
{
    public const string ResultPrefix = "@@peer ";

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    private readonly Process process;
    private readonly BlockingCollection<string> results = [];
    private readonly StringBuilder stderr = new();
    private readonly string description;

    private PwshWorker(Process process, string description)
    {
        this.process = process;
        this.description = description;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                results.CompleteAdding();
            }
            else if (e.Data.StartsWith(ResultPrefix, StringComparison.Ordinal))
            {
                results.Add(e.Data[ResultPrefix.Length..]);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts the process; <paramref name="description"/> names it in failures.</summary>
    public static PwshWorker Start(ProcessStartInfo start, string description)
    {
        var process = Process.Start(start) ?? throw new BenchmarkFailedException($"Could not start {start.FileName}.");
        return new PwshWorker(process, description);
    }

    /// <summary>Waits for the next result line and parses it; a result with ok = false, an exit or the deadline throw.</summary>
    public JsonElement Receive()
    {
        string? line;
        try
        {
            if (!results.TryTake(out line, Deadline))
            {
                throw new BenchmarkFailedException($"{description}: no answer within {Deadline.TotalMinutes:0} minutes. {StandardError()}");
            }
        }
        catch (InvalidOperationException)
        {
            line = null;
        }

        if (line is null)
        {
            process.WaitForExit(5000);
            throw new BenchmarkFailedException($"{description}: the process ended{(process.HasExited ? $" with exit code {process.ExitCode}" : string.Empty)} without an answer. {StandardError()}");
        }

        var result = JsonDocument.Parse(line).RootElement.Clone();
        if (result.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.False)
        {
            throw new BenchmarkFailedException($"{description}: {(result.TryGetProperty("failure", out var failure) ? failure.GetString() : "failed")} {StandardError()}");
        }

        return result;
    }

    /// <summary>Sends one command (serialised as JSON) and waits for its answer.</summary>
    public JsonElement Send(object command)
    {
        Post(command);
        return Receive();
    }

    /// <summary>Sends one command without waiting (for several workers to start at once); <see cref="Receive"/> collects the answer.</summary>
    public void Post(object command)
    {
        process.StandardInput.WriteLine(JsonSerializer.Serialize(command));
        process.StandardInput.Flush();
    }

    /// <summary>Asks the worker to quit and waits for it; kills it when it does not.</summary>
    public void Quit()
    {
        if (process.HasExited)
        {
            return;
        }

        try
        {
            Post(new { op = "quit" });
            process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
        results.Dispose();
    }

    private string StandardError()
    {
        lock (stderr)
        {
            var text = stderr.ToString().Trim();
            return text.Length == 0 ? string.Empty : "Standard error: " + (text.Length > 2000 ? text[..2000] + " …" : text);
        }
    }
}
