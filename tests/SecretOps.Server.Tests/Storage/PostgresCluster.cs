using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace SecretOps.Server.Tests.Storage;

/// <summary>
/// A throwaway PostgreSQL cluster for one test class: <c>initdb</c> in a temporary folder, <c>pg_ctl start</c> on a
/// free port of 127.0.0.1 only (its Unix socket in the same folder, so nothing touches the machine's own clusters),
/// one database, and on dispose <c>pg_ctl stop</c> and the folder deleted, whether the tests passed or not.
/// PostgreSQL refuses to run as root, so under root (CI) the folder is given to 'nobody' and every PostgreSQL command
/// runs as 'nobody' through setpriv. Binaries come from <c>pg_config --bindir</c>, else the newest
/// /usr/lib/postgresql/*/bin. Without them <see cref="UnavailableReason"/> says so and <see cref="Require"/> skips the
/// test, or fails it in CI.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const int Nobody = 65534;
    private const string Database = "secretops_tests";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private readonly string? binDirectory = FindBinDirectory();
    private string folder = "";
    private int port;
    private int databases;

    /// <summary>Null when the cluster runs; otherwise why there is none.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>The test database's connection string (trust authentication, loopback only).</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = port, Database = Database, Username = "postgres", Timeout = 10, CommandTimeout = 30,
    }.ConnectionString;

    /// <summary>Skips the test when there is no PostgreSQL, or fails it in CI.</summary>
    public void Require() => ExternalRequirement.Require(UnavailableReason);

    /// <summary>Creates another empty database in the cluster, for a test that needs tables no other test has written; returns its connection string.</summary>
    public string NewDatabase()
    {
        Require();
        var name = $"{Database}_{Interlocked.Increment(ref databases)}";
        // Unpooled: a pooled connection would be a dead one after a test's Stop and Start.
        using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask InitializeAsync()
    {
        if (binDirectory is null)
        {
            UnavailableReason = "PostgreSQL's server binaries (initdb, pg_ctl) were not found by pg_config --bindir or in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)";
            return;
        }

        folder = Directory.CreateTempSubdirectory("secretops-pg-").FullName;
        try
        {
            if (IsRoot())
            {
                Run("chown", [$"{Nobody}:{Nobody}", folder]);
            }

            RunPostgres("initdb", ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
            StartOnFreePort();
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres" }.ConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch
        {
            // A half-made cluster is stopped and deleted here too, not left running as 'nobody'.
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the cluster again after <see cref="Stop"/>, on the same port.</summary>
    public void Start() =>
        RunPostgres("pg_ctl", ["start", "-w", "-t", "120", "-D", DataDirectory, "-l", Path.Combine(folder, "server.log"),
            "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"]);

    /// <summary>The first start: another process may take the free port between our look and PostgreSQL's bind, so try a few.</summary>
    private void StartOnFreePort()
    {
        for (var attempt = 1; ; attempt++)
        {
            port = FreeLoopbackPort();
            try
            {
                Start();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Port taken: pick another.
            }
        }
    }

    /// <summary>Stops the cluster (fast shutdown: open connections are ended), as when the database goes down.</summary>
    public void Stop() => RunPostgres("pg_ctl", ["stop", "-w", "-t", "120", "-m", "fast", "-D", DataDirectory]);

    public ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (folder.Length > 0)
        {
            try
            {
                if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                {
                    RunPostgres("pg_ctl", ["stop", "-w", "-t", "120", "-m", "immediate", "-D", DataDirectory]);
                }
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
                folder = "";
            }
        }

        return ValueTask.CompletedTask;
    }

    private string DataDirectory => Path.Combine(folder, "data");

    private void RunPostgres(string tool, IReadOnlyList<string> arguments)
    {
        var program = Path.Combine(binDirectory!, tool);
        if (IsRoot())
        {
            Run("setpriv", [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", program, .. arguments]);
        }
        else
        {
            Run(program, arguments);
        }
    }

    private void Run(string program, IReadOnlyList<string> arguments)
    {
        // The folder as working directory: 'nobody' may not be able to enter the checkout.
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder.Length > 0 ? folder : Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in {CommandTimeout}.");
        }

        if (process.ExitCode != 0)
        {
            var log = Path.Combine(folder, "server.log");
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {output.Result}{error.Result}"
                + (File.Exists(log) ? $"\nserver.log:\n{File.ReadAllText(log)}" : ""));
        }
    }

    private static string? FindBinDirectory()
    {
        try
        {
            using var pgConfig = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var bin = pgConfig.StandardOutput.ReadToEnd().Trim();
            pgConfig.WaitForExit();

            // Debian's pg_config may belong to libpq's version, with no server installed there.
            if (pgConfig.ExitCode == 0 && File.Exists(Path.Combine(bin, "initdb")))
            {
                return bin;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config on PATH: look where Debian installs the server.
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
                .FirstOrDefault()
            : null;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";
}
