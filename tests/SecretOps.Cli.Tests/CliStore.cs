using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A temporary directory with a store in it, for one test. Every run gets <c>--store</c> there, SECRETOPS_CONFIG
/// and the XDG directories inside it (so neither the user's default store nor configuration is ever touched),
/// and the System client's passphrase in SECRETOPS_PASSPHRASE unless a test says otherwise.
/// </summary>
internal sealed class CliStore : IDisposable
{
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

    public string StorePath { get; }

    /// <summary>The environment every run gets (tests may change it).</summary>
    public Dictionary<string, string?> Environment { get; }

    /// <summary>
    /// A new directory with a passphrase store created through the CLI (<c>store init --passphrase-stdin</c>). When
    /// <paramref name="shared"/>, every run gets SECRETOPS_SHARED=1 (network-share mode: journal_mode=DELETE, no pooling).
    /// </summary>
    public static CliStore Create(bool shared = false)
    {
        var store = Empty();
        if (shared)
        {
            store.Environment["SECRETOPS_SHARED"] = "1";
        }

        store.Ok(["store", "init", "--passphrase-stdin", .. WeakKdf], stdin: Passphrase + "\n");
        return store;
    }

    /// <summary>A new directory without a store.</summary>
    public static CliStore Empty() => new();

    /// <summary>Runs the CLI with <c>--store</c> (unless the arguments give one) and this store's environment.</summary>
    public CliResult Run(params string[] arguments) => Run(arguments, stdin: (byte[]?)null);

    public CliResult Run(string[] arguments, string? stdin, IDictionary<string, string?>? environment = null) =>
        Run(arguments, stdin is null ? null : Encoding.UTF8.GetBytes(stdin), environment);

    public CliResult Run(string[] arguments, byte[]? stdin, IDictionary<string, string?>? environment = null, IReadOnlyList<string>? prefix = null, string? cliAssembly = null) =>
        Cli.Run(WithStore(arguments), stdin, Merged(environment), prefix, cliAssembly);

    /// <summary>Runs like <see cref="Run(string[], string, IDictionary{string, string})"/>, killing the CLI with SIGKILL after <paramref name="killAfter"/> unless it finished.</summary>
    public CliResult RunAndKill(string[] arguments, string? stdin, TimeSpan killAfter, IDictionary<string, string?>? environment = null) =>
        Cli.RunAndKill(WithStore(arguments), stdin is null ? null : Encoding.UTF8.GetBytes(stdin), Merged(environment), killAfter);

    // A test that names another store gets that one.
    private string[] WithStore(string[] arguments) => arguments.Contains("--store") ? arguments : ["--store", StorePath, .. arguments];

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
