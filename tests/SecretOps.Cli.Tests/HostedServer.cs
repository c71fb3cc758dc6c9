using System.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using SecretOps.Tests.Files;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A real server (<c>secretops serve</c>, the server built in out/server/) on 127.0.0.1 with its own SQLite database
/// (or a PostgreSQL database it is given), plain HTTP on loopback unless TLS files are given: what a hosted-store test
/// points the CLI at. The server's temporary folder (TMPDIR, where it keeps its replica) is inside <see cref="Folder"/>, so
/// the replicas a killed server leaves behind go with it.
/// </summary>
internal sealed partial class HostedServer : IDisposable
{
    /// <summary>How long the server may take to start on a loaded two-core machine.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>The server the build assembled, whichever CLI (JIT or native) runs <c>serve</c>.</summary>
    private static readonly Dictionary<string, string?> ServerPath = new() { ["SECRETOPS_SERVER_PATH"] = Path.Combine(Cli.RepoRoot, "out", "server") };

    private readonly ConcurrentQueue<string> output = new();
    private readonly string[] tlsArguments;
    private readonly string[] storageArguments;
    private readonly Dictionary<string, string?> environment;
    private Process? process;

    private HostedServer(string folder, string[] tlsArguments, string? postgresConnection)
    {
        Folder = folder;
        this.tlsArguments = tlsArguments;
        environment = new Dictionary<string, string?>(ServerPath);
        if (postgresConnection is null)
        {
            storageArguments = ["--sqlite-path", DatabasePath];
        }
        else
        {
            // The connection string has no flag (a command line is readable by every local user): only the variable or the configuration file.
            storageArguments = ["--storage", "postgres"];
            environment["SECRETOPS_SERVER_POSTGRES_CONNECTION"] = postgresConnection;
        }
    }

    /// <summary>The server's own folder (its database, tokens).</summary>
    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "server.db");

    /// <summary>Where it listens: http://127.0.0.1:port (https with TLS).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The address as a client names the store.</summary>
    public string Store => Address.GetLeftPart(UriPartial.Authority);

    /// <summary>Everything the server has printed (its JSON log lines).</summary>
    public string Output => string.Join('\n', output);

    /// <summary>
    /// Starts a server; with <paramref name="certificate"/> and <paramref name="key"/> (PEM files), on HTTPS; with
    /// <paramref name="postgresConnection"/>, on that PostgreSQL database (<c>--storage postgres</c>) instead of SQLite.
    /// </summary>
    public static HostedServer Start(string? certificate = null, string? key = null, string? postgresConnection = null)
    {
        var folder = Directory.CreateTempSubdirectory("secretops-hosted-").FullName;
        var server = new HostedServer(folder, certificate is null ? ["--insecure-http"] : ["--cert", certificate, "--key", key!], postgresConnection);
        server.Run(port: 0);
        return server;
    }

    /// <summary>Enrols <paramref name="clientId"/> and writes its token to an owner-only file; returns the file.</summary>
    public string Enrol(string clientId)
    {
        var result = Cli.Run(["serve", "enrol", "--client", clientId, .. storageArguments], stdin: (byte[]?)null, environment, prefix: null);
        Assert.True(result.ExitCode == 0, $"enrol: {result}");
        var file = Path.Combine(Folder, $"{clientId}.token");
        CredentialFile.Write(file, result.Stdout.Trim());

        return file;
    }

    /// <summary>Enrols <paramref name="clientId"/> with the key of the <paramref name="token"/> it derived (<c>enrol --token-file -</c>).</summary>
    public CliResult EnrolDerived(string clientId, string token) =>
        Cli.Run(["serve", "enrol", "--client", clientId, "--token-file", "-", .. storageArguments], stdin: Encoding.UTF8.GetBytes(token + "\n"), environment, prefix: null);

    /// <summary>The server's latest request audit rows (<c>serve audit</c>), newest first, one tab-separated line each.</summary>
    public string[] Audit(int count = 50)
    {
        var result = Cli.Run(["serve", "audit", "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), .. storageArguments], stdin: (byte[]?)null, environment, prefix: null);
        Assert.True(result.ExitCode == 0, $"audit: {result}");
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Kills the server with SIGKILL, as a crash or an OOM kill would.</summary>
    public void Kill()
    {
        process!.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
        process = null;
    }

    /// <summary>Starts the server again on the port it had, after <see cref="Kill"/>.</summary>
    public void Restart() => Run(Address.Port);

    public void Dispose()
    {
        if (process is not null)
        {
            Kill();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Run(int port)
    {
        var temporary = Directory.CreateDirectory(Path.Combine(Folder, "tmp")).FullName;
        var started = Cli.StartWaiting(
            ["serve", .. tlsArguments, "--listen", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. storageArguments],
            prefix: null, assemblyPath: null, new Dictionary<string, string?>(environment) { ["TMPDIR"] = temporary });
        started.StandardInput.Close();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        started.OutputDataReceived += (_, e) =>
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
        started.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;
        var exited = started.WaitForExitAsync();
        var first = Task.WhenAny(listening.Task, exited).WaitAsync(Patience).GetAwaiter().GetResult();
        Assert.True(first == listening.Task, $"The server did not start listening:\n{Output}");
        Address = listening.Task.Result;
    }

    [GeneratedRegex("\"Message\":\"Listening on (?<url>https?://[^ \"]+)")]
    private static partial Regex ListeningLine();
}
