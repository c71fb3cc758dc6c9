using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Tests.Store;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A temporary directory with a store in it, for one test. Every run gets <c>--store</c> there, SECRETOPS_CONFIG
/// and the XDG directories inside it (so neither the user's default store nor configuration is ever touched),
/// and the System client's passphrase in SECRETOPS_PASSPHRASE unless a test says otherwise.
/// </summary>
/// <remarks>
/// With SECRETOPS_TEST_HOSTED=1 (the README's test command sets it for the classes marked <c>[Trait("Hosted", "Also")]</c>)
/// the same scenarios run against a server: <see cref="Create"/> pushes the new store to a server of its own and
/// <see cref="StorePath"/> becomes the server's address; every client a run connects as is enrolled on first use and
/// signs with its own token, on one machine (one XDG_STATE_HOME).
/// </remarks>
internal sealed class CliStore : IDisposable
{
    /// <summary>Whether this run points the scenarios at a server.</summary>
    public static readonly bool Hosted = System.Environment.GetEnvironmentVariable("SECRETOPS_TEST_HOSTED") == "1";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> tokens = new(StringComparer.OrdinalIgnoreCase);
    private readonly object enrolling = new();
    private HostedServer? server;

    public const string Passphrase = "correct horse battery staple";

    /// <summary>Cheap Argon2 so tests stay fast; --weak-kdf allows it.</summary>
    public static readonly string[] WeakKdf = ["--kdf-memory", "1", "--kdf-iterations", "1", "--kdf-parallelism", "1", "--weak-kdf"];

    private CliStore()
    {
        Directory = Path.Combine(Path.GetTempPath(), "secretops-cli-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        StorePath = Path.Combine(Directory, "store.db");
        Environment = new Dictionary<string, string?>
        {
            ["SECRETOPS_CONFIG"] = Path.Combine(Directory, "config.yaml"),
            ["XDG_DATA_HOME"] = Path.Combine(Directory, "data"),
            ["XDG_CONFIG_HOME"] = Path.Combine(Directory, "config"),
            ["SECRETOPS_PASSPHRASE"] = Passphrase,
        };
    }

    public string Directory { get; }

    public string StorePath { get; private set; }

    /// <summary>The environment every run gets (tests may change it).</summary>
    public Dictionary<string, string?> Environment { get; }

    /// <summary>
    /// A new directory with a passphrase store created through the CLI (<c>store init --passphrase-stdin</c>). When
    /// <paramref name="shared"/>, every run gets SECRETOPS_SHARED=1 (network-share mode: journal_mode=DELETE, no pooling).
    /// <paramref name="fileOnly"/> keeps it a file even in a hosted run (a test that pushes it itself).
    /// </summary>
    public static CliStore Create(bool shared = false, bool fileOnly = false)
    {
        var store = Empty();
        if (shared)
        {
            store.Environment["SECRETOPS_SHARED"] = "1";
        }

        store.Ok(["store", "init", "--passphrase-stdin", .. WeakKdf], stdin: Passphrase + "\n");
        if (Hosted && !fileOnly)
        {
            store.MoveToServer();
        }

        return store;
    }

    /// <summary>Pushes the store file to a server of its own; from then on every run reaches the store there.</summary>
    private void MoveToServer()
    {
        server = HostedServer.Start();
        Environment["XDG_STATE_HOME"] = Path.Combine(Directory, "state");
        var file = StorePath;
        var system = Cli.Run(["--store", file, "client", "show", "system", "--output", "json"], (byte[]?)null, Environment, prefix: null);
        var id = JsonDocument.Parse(system.Stdout).RootElement.GetProperty("id").GetString()!;
        tokens["system"] = tokens[id] = server.Enrol(id);
        var push = Cli.Run(["--store", file, "--token-file", tokens["system"], "store", "push", server.Store], (byte[]?)null, Environment, prefix: null);
        Assert.True(push.ExitCode == 0, $"store push: {push}");
        StorePath = server.Store;
    }

    /// <summary>
    /// The token file of the client a run connects as (--client, else SECRETOPS_CLIENT, else system), enrolling it on
    /// first use. A client the store does not hold gets the System client's token: the server lets the request in, and
    /// the store refuses the client, as it would refuse it in a file.
    /// </summary>
    private string TokenFor(string[] arguments, Dictionary<string, string?> environment)
    {
        // After `audit` or `permissions`, --client is their filter, not the client to connect as.
        var at = Array.IndexOf(arguments, "--client");
        var filtering = Array.FindIndex(arguments, argument => argument is "audit" or "permissions");
        var client = at >= 0 && at + 1 < arguments.Length && (filtering < 0 || at < filtering)
            ? arguments[at + 1]
            : environment.GetValueOrDefault("SECRETOPS_CLIENT") ?? "system";
        lock (enrolling)
        {
            if (ClientIdInReplica(client) is not { } id)
            {
                return tokens["system"];
            }

            return tokens.GetOrAdd(id.ToString(), key => server!.Enrol(key));
        }
    }

    /// <summary>
    /// A client's id, looked up in this machine's replica of the hosted store (current: every run syncs it) with SQL,
    /// so that the lookup adds nothing to the store's audit log as a connect would.
    /// </summary>
    private Guid? ClientIdInReplica(string client)
    {
        var replica = System.IO.Directory.GetDirectories(Path.Combine(Environment["XDG_STATE_HOME"]!, "secretops", "replicas")).Single();
        var id = RawDb.Scalar(Path.Combine(replica, "store.db"), "SELECT id FROM clients WHERE lower(name) = lower($c) OR hex(id) = upper(replace($c, '-', ''))", ("$c", client));
        return id is null ? null : RawDb.Uuid(id);
    }

    /// <summary>A new directory without a store.</summary>
    public static CliStore Empty() => new();

    /// <summary>Runs the CLI with <c>--store</c> (unless the arguments give one) and this store's environment.</summary>
    public CliResult Run(params string[] arguments) => Run(arguments, stdin: (byte[]?)null);

    public CliResult Run(string[] arguments, string? stdin, IDictionary<string, string?>? environment = null) =>
        Run(arguments, stdin is null ? null : Encoding.UTF8.GetBytes(stdin), environment);

    public CliResult Run(string[] arguments, byte[]? stdin, IDictionary<string, string?>? environment = null, IReadOnlyList<string>? prefix = null, string? cliAssembly = null) =>
        Cli.Run(WithStore(arguments), stdin, ForRun(arguments, environment), prefix, cliAssembly);

    /// <summary>Runs like <see cref="Run(string[], string, IDictionary{string, string})"/>, killing the CLI with SIGKILL after <paramref name="killAfter"/> unless it finished.</summary>
    public CliResult RunAndKill(string[] arguments, string? stdin, TimeSpan killAfter, IDictionary<string, string?>? environment = null) =>
        Cli.RunAndKill(WithStore(arguments), stdin is null ? null : Encoding.UTF8.GetBytes(stdin), ForRun(arguments, environment), killAfter);

    // A test that names another store gets that one.
    private string[] WithStore(string[] arguments) => arguments.Contains("--store") ? arguments : ["--store", StorePath, .. arguments];

    private Dictionary<string, string?> ForRun(string[] arguments, IDictionary<string, string?>? environment)
    {
        var merged = Merged(environment);
        if (server is not null && !merged.ContainsKey("SECRETOPS_TOKEN_FILE"))
        {
            merged["SECRETOPS_TOKEN_FILE"] = TokenFor(arguments, merged);
        }

        return merged;
    }

    private Dictionary<string, string?> Merged(IDictionary<string, string?>? environment)
    {
        var merged = new Dictionary<string, string?>(Environment);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            merged[name] = value;
        }

        return merged;
    }

    /// <summary>Runs and asserts success and a quiet standard error.</summary>
    public CliResult Ok(params string[] arguments) => Ok(arguments, stdin: null);

    public CliResult Ok(string[] arguments, string? stdin, IDictionary<string, string?>? environment = null)
    {
        var result = Run(arguments, stdin, environment);
        Assert.True(result.ExitCode == 0, $"secretops {string.Join(' ', arguments)}: {result}");
        Assert.Equal("", result.Stderr);
        return result;
    }

    /// <summary>Runs, asserting the exit code and that standard error is one line starting "secretops: ".</summary>
    public CliResult Fails(int exitCode, params string[] arguments) => Fails(exitCode, arguments, stdin: null);

    public CliResult Fails(int exitCode, string[] arguments, string? stdin, IDictionary<string, string?>? environment = null)
    {
        var result = Run(arguments, stdin, environment);
        AssertFailure(result, exitCode, arguments);
        return result;
    }

    public static void AssertFailure(CliResult result, int exitCode, string[] arguments)
    {
        Assert.True(result.ExitCode == exitCode, $"secretops {string.Join(' ', arguments)}: expected exit {exitCode}; {result}");
        Assert.StartsWith("secretops: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(" at SecretOps.", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Stores a text value with <c>--value</c>.</summary>
    public void Set(string name, string value, params string[] more) => Ok(["secret", "set", name, "--value", value, .. more]);

    /// <summary>The value <c>secret get</c> prints, as text.</summary>
    public string Get(string name, params string[] more) => Ok(["secret", "get", name, .. more]).Stdout;

    /// <summary>Parses the JSON a command prints with <c>--output json</c>.</summary>
    public JsonElement Json(params string[] arguments) => JsonDocument.Parse(Ok([.. arguments, "--output", "json"]).Stdout).RootElement.Clone();

    /// <summary>Parses the JSON a command prints with <c>--output json</c>, run with extra environment (another client).</summary>
    public JsonElement Json(IDictionary<string, string?> environment, params string[] arguments) =>
        JsonDocument.Parse(Ok([.. arguments, "--output", "json"], stdin: null, environment).Stdout).RootElement.Clone();

    /// <summary>
    /// The environment that connects as <paramref name="client"/> (SECRETOPS_CLIENT) with one credential: a generated
    /// secret, a passphrase or a key file. The System client's passphrase is removed.
    /// </summary>
    public static Dictionary<string, string?> As(string client, string? secret = null, string? passphrase = null, string? keyFile = null) => new()
    {
        ["SECRETOPS_CLIENT"] = client,
        ["SECRETOPS_CLIENT_SECRET"] = secret,
        ["SECRETOPS_PASSPHRASE"] = passphrase,
        ["SECRETOPS_KEY_FILE"] = keyFile,
    };

    /// <summary>Creates a client with a generated secret (as the System client unless <paramref name="by"/>) and returns the secret.</summary>
    public string AddGenerated(string name, IDictionary<string, string?>? by = null, params string[] more) =>
        Json(by ?? new Dictionary<string, string?>(), ["client", "add", name, "--generate-secret", .. more]).GetProperty("clientSecret").GetString()!;

    /// <summary>Creates a passphrase client, the passphrase on standard input (as the System client unless <paramref name="by"/>).</summary>
    public void AddPassphrase(string name, string passphrase, IDictionary<string, string?>? by = null, params string[] more) =>
        Ok(["client", "add", name, "--new-passphrase-stdin", "--weak-kdf", .. more], passphrase + "\n", by);

    /// <summary>Secret names listed (JSON), in order.</summary>
    public List<string> Names(params string[] arguments) =>
        Json(["secret", "list", .. arguments]).EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    /// <summary>Entries in the audit log, from <c>store info</c> (which needs no session and adds none).</summary>
    public long AuditEntries() => Json("store", "info").GetProperty("auditEntries").GetInt64();

    /// <summary>The journal mode recorded in the store file, read with SQLite beside the CLI.</summary>
    public string JournalMode()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StorePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>The newest audit entry.</summary>
    public JsonElement LastAuditEntry() => Json("audit", "list", "--last", "1")[0];

    public void Dispose()
    {
        server?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the temp directory is cleaned by the system eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
