using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Tests.Store;
using SecretOps.Tests.Files;

namespace SecretOps.Cli.Tests;

/// <summary>
/// The CLI's hostile-input corpus, run against one prepared store: every refused case exits with its specific
/// code and a message naming what is wrong, prints nothing on standard output, and leaves the store's rows
/// (all tables but the audit log, which records failures) and every file it was given exactly as they were.
/// Accepted-but-hostile names and values are stored literally and read back exactly.
/// Cases: 122 refused (13 names, 18 values, 8 metadata, 12 times to live, 6 versions, 16 key, secret and public key
/// files, 6 policy files, 15 configuration files and profiles, 12 environment variables, 16 store files and paths),
/// 8 accepted names, 5 byte values. Files that are not regular (/dev/zero, a FIFO nobody writes to, a directory),
/// too large or nested too deep are refused for every kind of input file.
/// </summary>
// Hundreds of CLI processes: the README's test command runs this class once, against the native CLI (Cli.cs).
[Trait("Workload", "Heavy")]
public sealed class HostileInputTests : IClassFixture<HostileInputTests.PreparedStore>
{
    private readonly PreparedStore prepared;

    public HostileInputTests(PreparedStore prepared) => this.prepared = prepared;

    private CliStore Store => prepared.Store;

    /// <summary>One refused input. "{dir}" in arguments and environment values is the store's directory.</summary>
    private sealed record Refusal(int Exit, string Message, string[] Arguments, byte[]? Stdin = null, Dictionary<string, string?>? Environment = null, string? NotCreated = null);

    private static Refusal Refused(int exit, string message, params string[] arguments) => new(exit, message, arguments);

    private static readonly Dictionary<string, string?> NoPassphrase = new() { ["SECRETOPS_PASSPHRASE"] = null };

    private static Dictionary<string, string?> With(string variable, string? value, bool keepPassphrase = true) =>
        keepPassphrase ? new() { [variable] = value } : new() { [variable] = value, ["SECRETOPS_PASSPHRASE"] = null };

    // Keyed by label: xunit serialises theory data, and these arguments must reach the CLI exactly as written.
    private static readonly Dictionary<string, Refusal> RefusedCases = new()
    {
        // Names.
        ["name: empty"] = Refused(2, "cannot be empty", "secret", "set", "", "--value", "v"),
        ["name: 257 characters"] = Refused(2, "at most 256 characters; this one has 257", "secret", "set", new string('n', 257), "--value", "v"),
        ["name: U+0001"] = Refused(2, "control characters (U+0001", "secret", "set", "a\u0001b", "--value", "v"),
        ["name: ANSI escape"] = Refused(2, "control characters (U+001B", "secret", "get", "\u001b[2Jx"),
        ["name: newline"] = Refused(2, "control characters (U+000A", "secret", "rm", "a\nb", "--yes"),
        ["name: trailing space"] = Refused(2, "white space", "secret", "set", "name ", "--value", "v"),
        ["name: right-to-left override"] = Refused(2, "bidirectional formatting characters (U+202E", "secret", "set", "invoice\u202Efdp.exe", "--value", "v"),
        ["namespace: path traversal"] = Refused(2, "namespace name", "secret", "set", "x", "--value", "v", "-n", "../etc"),
        ["namespace: SQL quote"] = Refused(2, "namespace name", "secret", "get", "x", "-n", "default'--"),
        ["namespace: fullwidth letters"] = Refused(2, "namespace name", "ns", "create", "\uFF50\uFF52\uFF4F\uFF44"),
        ["namespace: does not exist"] = Refused(3, "Namespace 'nowhere' does not exist", "secret", "set", "x", "--value", "v", "-n", "nowhere"),
        ["client: SQL in the name"] = Refused(2, "client name", "client", "add", "x'; DROP TABLE clients;--", "--generate-secret"),
        ["client: Cyrillic lookalike of system"] = Refused(2, "client name", "client", "add", "\u0455ystem", "--generate-secret"),

        // Values.
        ["value: invalid UTF-8 on stdin as text"] = new(2, "not valid UTF-8 text; store it with --type bytes", ["secret", "set", "x", "--stdin"], Stdin: [0x61, 0xFF, 0xFE, 0x80]),
        ["value: invalid UTF-8 file as text"] = Refused(2, "not valid UTF-8 text; store it with --type bytes", "secret", "set", "x", "--file", "{dir}/invalid-utf8.bin"),
        ["value: invalid UTF-8 credential password"] = Refused(2, "not valid UTF-8 text", "secret", "set", "x", "--type", "credential", "--username", "u", "--file", "{dir}/invalid-utf8.bin"),
        ["value: over 1 MiB on stdin"] = new(2, "larger than 1 MiB (1048576 bytes)", ["secret", "set", "x", "--stdin", "--type", "bytes"], Stdin: new byte[SecretOpsLimits.MaxValue + 1]),
        ["value: over 1 MiB file"] = Refused(2, "over-1mib.bin' is larger than 1 MiB (1048576 bytes)", "secret", "set", "x", "--file", "{dir}/over-1mib.bin", "--type", "bytes"),
        ["value: endless file"] = Refused(2, "'/dev/zero' is not a regular file (it is a character device)", "secret", "set", "x", "--file", "/dev/zero", "--type", "bytes"),
        ["value: file is a FIFO"] = Refused(2, "a-fifo' is not a regular file (it is a FIFO", "secret", "set", "x", "--file", "{dir}/a-fifo"),
        ["value: file is a directory"] = Refused(2, "is a directory", "secret", "set", "x", "--file", "{dir}/a-directory"),
        ["value: file does not exist"] = Refused(2, "does not exist", "secret", "set", "x", "--file", "{dir}/absent.bin"),
        ["value: file is a symlink loop"] = Refused(2, "cannot be read", "secret", "set", "x", "--file", "{dir}/loop-a"),
        ["value: given two ways"] = new(2, "Give the value one way", ["secret", "set", "x", "--value", "v", "--stdin"], Stdin: "w"u8.ToArray()),
        ["value: --stdin and --passphrase-stdin"] = new(2, "both read standard input", ["secret", "set", "x", "--stdin", "--passphrase-stdin"], Stdin: "pass\nvalue"u8.ToArray()),
        ["value: none given"] = Refused(2, "Give the value with --value, --stdin or --file", "secret", "set", "x"),
        ["value: unknown type"] = Refused(2, "'nope' not recognized", "secret", "set", "x", "--value", "v", "--type", "nope"),
        ["value: credential without user name"] = Refused(2, "A credential needs --username", "secret", "set", "x", "--value", "v", "--type", "credential"),
        ["value: user name without credential"] = Refused(2, "--username is only for --type credential", "secret", "set", "x", "--value", "v", "--username", "u"),
        // Not echoed: a misplaced argument may be a value.
        ["value: unknown option"] = Refused(2, "Unrecognized command or argument (an argument not shown", "secret", "set", "x", "--valeu", "v"),
        ["value: extra argument"] = Refused(2, "Unrecognized command or argument (an argument not shown", "secret", "set", "x", "extra", "--value", "v"),

        // Metadata.
        ["meta: no '='"] = Refused(2, "'novalue' is not key=value", "secret", "set", "existing", "--value", "v", "--meta", "novalue"),
        ["meta: empty key"] = Refused(2, "'=v' is not key=value", "secret", "set", "existing", "--value", "v", "--meta", "=v"),
        ["meta: key with a space"] = Refused(2, "Metadata key 'bad key'", "secret", "set", "existing", "--value", "v", "--meta", "bad key=v"),
        ["meta: 65-character key"] = Refused(2, "Metadata key", "secret", "set", "existing", "--value", "v", "--meta", new string('k', 65) + "=v"),
        ["meta: 1025-character value"] = Refused(2, "longer than 1024 characters", "secret", "set", "existing", "--value", "v", "--meta", "note=" + new string('x', 1025)),
        ["meta: 33 entries"] = Refused(2, "at most 32", ["secret", "set", "existing", "--value", "v", .. Enumerable.Range(0, 33).SelectMany(i => new[] { "--meta", $"k{i}={i}" })]),
        ["meta: control character in the value"] = Refused(2, "contains control characters", "secret", "set", "existing", "--value", "v", "--meta", "note=a\u0007b"),
        ["meta: key twice, ignoring case"] = Refused(2, "given twice", "secret", "set", "existing", "--value", "v", "--meta", "Env=a", "--meta", "env=b"),

        // Times to live.
        ["ttl: negative"] = Refused(2, "'-5m' is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "-5m"),
        ["ttl: zero"] = Refused(2, "must be positive", "secret", "set", "existing", "--value", "v", "--ttl", "0s"),
        ["ttl: bare number"] = Refused(2, "'300' is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "300"),
        ["ttl: empty"] = Refused(2, "'' is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", ""),
        ["ttl: fraction"] = Refused(2, "'1.5h' is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "1.5h"),
        ["ttl: unknown unit"] = Refused(2, "'1y' is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "1y"),
        ["ttl: upper-case unit"] = Refused(2, "'5M' is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "5M"),
        ["ttl: space inside"] = Refused(2, "'5 m' is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "5 m"),
        ["ttl: Arabic-Indic digits"] = Refused(2, "is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "\u0661\u0662s"),
        ["ttl: over 100 years"] = Refused(2, "at most 100 years", "secret", "set", "existing", "--value", "v", "--ttl", "36526d"),
        ["ttl: amount out of range"] = Refused(2, "'9999999999w' is out of range", "secret", "set", "existing", "--value", "v", "--ttl", "9999999999w"),
        ["ttl: 20 digits"] = Refused(2, "is not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "99999999999999999999s"),

        // Versions.
        ["expected version: not a number"] = Refused(2, "Cannot parse argument 'abc' for option '--expected-version'", "secret", "set", "existing", "--value", "v", "--expected-version", "abc"),
        ["expected version: negative"] = Refused(2, "cannot be negative", "secret", "set", "existing", "--value", "v", "--expected-version", "-1"),
        ["expected version: beyond int"] = Refused(2, "Cannot parse argument '99999999999'", "secret", "set", "existing", "--value", "v", "--expected-version", "99999999999"),
        ["expected version: stale"] = Refused(6, "not the expected 5", "secret", "set", "existing", "--value", "v", "--expected-version", "5"),
        ["version: zero"] = Refused(2, "start at 1", "secret", "get", "existing", "--version", "0"),
        ["version: beyond the last"] = Refused(3, "no version 99", "secret", "get", "existing", "--version", "99"),

        // Key files (PEM).
        ["key file: empty"] = Refused(2, "not a PEM key file", "secret", "get", "existing", "--client", "laptop", "--key-file", "{dir}/empty.pem"),
        ["key file: enormous"] = Refused(2, "larger than 64 KiB", "secret", "get", "existing", "--client", "laptop", "--key-file", "{dir}/enormous.pem"),
        ["key file: binary"] = Refused(2, "is not UTF-8 text", "secret", "get", "existing", "--client", "laptop", "--key-file", "{dir}/invalid-utf8.bin"),
        ["key file: truncated PEM"] = Refused(2, "incomplete or damaged", "secret", "get", "existing", "--client", "laptop", "--key-file", "{dir}/truncated.pem"),
        ["key file: a directory"] = Refused(2, "is a directory", "secret", "get", "existing", "--client", "laptop", "--key-file", "{dir}/a-directory"),
        ["public key: enormous"] = Refused(2, "enormous.pem' is larger than 64 KiB (65536 bytes)", "client", "add", "laptop2", "--public-key", "{dir}/enormous.pem"),
        ["public key: binary"] = Refused(2, "not UTF-8", "client", "add", "laptop2", "--public-key", "{dir}/invalid-utf8.bin"),
        ["key file: /dev/zero"] = Refused(2, "key file '/dev/zero' is not a regular file (it is a character device)", "secret", "get", "existing", "--client", "laptop", "--key-file", "/dev/zero"),
        ["key file: a FIFO"] = Refused(2, "a-fifo' is not a regular file (it is a FIFO", "secret", "get", "existing", "--client", "laptop", "--key-file", "{dir}/a-fifo"),
        ["secret file: /dev/zero"] = Refused(2, "secret file '/dev/zero' is not a regular file (it is a character device)", "secret", "list", "--client", "ci", "--secret-file", "/dev/zero"),
        ["secret file: a FIFO"] = Refused(2, "a-fifo' is not a regular file (it is a FIFO", "secret", "list", "--client", "ci", "--secret-file", "{dir}/a-fifo"),
        ["secret file: a directory"] = Refused(2, "a-directory' is a directory", "secret", "list", "--client", "ci", "--secret-file", "{dir}/a-directory"),
        ["secret file: enormous"] = Refused(2, "over-1mib.bin' is larger than 64 KiB (65536 bytes)", "secret", "list", "--client", "ci", "--secret-file", "{dir}/over-1mib.bin"),
        ["public key: /dev/zero"] = Refused(2, "public key file '/dev/zero' is not a regular file (it is a character device)", "client", "add", "laptop2", "--public-key", "/dev/zero"),
        ["public key: a FIFO"] = Refused(2, "a-fifo' is not a regular file (it is a FIFO", "client", "add", "laptop2", "--public-key", "{dir}/a-fifo"),
        ["public key: truncated PEM"] = Refused(2, "incomplete or damaged", "client", "add", "laptop2", "--public-key", "{dir}/truncated.pem"),

        // Policy files.
        ["policy: /dev/zero"] = Refused(2, "policy file '/dev/zero' is not a regular file (it is a character device)", "policy", "apply", "/dev/zero", "--yes"),
        ["policy: a FIFO"] = Refused(2, "a-fifo' is not a regular file (it is a FIFO", "policy", "apply", "{dir}/a-fifo", "--yes"),
        ["policy: a directory"] = Refused(2, "a-directory' is a directory", "policy", "apply", "{dir}/a-directory", "--yes"),
        ["policy: enormous"] = Refused(2, "over-1mib.bin' is larger than 1 MiB (1048576 bytes)", "policy", "apply", "{dir}/over-1mib.bin", "--yes"),
        ["policy: 1 MiB of '[' nesting"] = Refused(2, "nested more than 64 deep", "policy", "apply", "{dir}/nested-flow.yaml", "--yes"),
        ["policy: block lists nested 512 Ki deep"] = Refused(2, "nested more than 64 deep", "policy", "apply", "{dir}/nested-block.yaml", "--yes"),

        // Configuration files (SECRETOPS_CONFIG) and profiles.
        ["config: /dev/zero"] = new(2, "configuration file '/dev/zero' is not a regular file (it is a character device)", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "/dev/zero")),
        ["config: a FIFO"] = new(2, "a-fifo' is not a regular file (it is a FIFO", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/a-fifo")),
        ["config: 256 KiB of '[' nesting"] = new(2, "nested more than 64 deep", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/nested-config.yaml")),
        ["profile: its secret file is /dev/zero"] = new(2, "secret file '/dev/zero' is not a regular file", ["secret", "list", "--profile", "zero-secret"], Environment: new() { ["SECRETOPS_CONFIG"] = "{dir}/config-profiles.yaml", ["SECRETOPS_PASSPHRASE"] = null }),
        ["profile: its key file is a FIFO"] = new(2, "a-fifo' is not a regular file (it is a FIFO", ["secret", "list", "--profile", "fifo-key"], Environment: new() { ["SECRETOPS_CONFIG"] = "{dir}/config-profiles.yaml", ["SECRETOPS_PASSPHRASE"] = null }),
        ["config: unknown key"] = new(2, "surprise", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/config-unknown.yaml")),
        ["config: wrong type"] = new(2, "a value has the wrong type", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/config-wrong-type.yaml")),
        ["config: list where a value belongs"] = new(2, "a value has the wrong shape", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/config-wrong-shape.yaml")),
        ["config: not UTF-8"] = new(2, "is not UTF-8 text", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/invalid-utf8.bin")),
        ["config: enormous"] = new(2, "over-1mib.bin' is larger than 256 KiB (262144 bytes)", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/over-1mib.bin")),
        ["config: a directory"] = new(2, "is a directory", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/a-directory")),
        ["config: default profile missing"] = new(2, "not one of the profiles", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/config-no-default.yaml")),
        ["config: unterminated"] = new(2, "line 2", ["secret", "list"], Environment: With("SECRETOPS_CONFIG", "{dir}/config-unterminated.yaml")),
        ["profile: not in the file"] = new(2, "There is no profile 'nope'", ["secret", "list", "--profile", "nope"], Environment: With("SECRETOPS_CONFIG", "{dir}/config-profiles.yaml")),
        ["profile: its key file is missing"] = new(2, "does not exist", ["secret", "list", "--profile", "missing-key"], Environment: new() { ["SECRETOPS_CONFIG"] = "{dir}/config-profiles.yaml", ["SECRETOPS_PASSPHRASE"] = null }),

        // Environment variables.
        ["env: SECRETOPS_SHARED=maybe"] = new(2, "SECRETOPS_SHARED is 'maybe'; use 1, 0, true or false", ["secret", "list"], Environment: With("SECRETOPS_SHARED", "maybe")),
        ["env: SECRETOPS_CLIENT_SECRET not a secret"] = new(2, "not a SecretOps client secret", ["secret", "list"], Environment: With("SECRETOPS_CLIENT_SECRET", "hunter2", keepPassphrase: false)),
        ["env: SECRETOPS_CLIENT_SECRET truncated"] = new(2, "client secret", ["secret", "list"], Environment: With("SECRETOPS_CLIENT_SECRET", "secretops_AAAA", keepPassphrase: false)),
        ["env: SECRETOPS_KEY_FILE missing"] = new(2, "does not exist", ["secret", "list"], Environment: With("SECRETOPS_KEY_FILE", "{dir}/absent.pem", keepPassphrase: false)),
        ["env: SECRETOPS_NAMESPACE invalid"] = new(2, "namespace name", ["secret", "list"], Environment: With("SECRETOPS_NAMESPACE", "bad ns")),
        ["env: SECRETOPS_PROFILE unknown"] = new(2, "There is no profile 'ghost'", ["secret", "list"], Environment: With("SECRETOPS_PROFILE", "ghost")),
        ["env: SECRETOPS_CLIENT unknown"] = new(4, "There is no client 'ghost'", ["secret", "list"], Environment: With("SECRETOPS_CLIENT", "ghost")),
        ["env: SECRETOPS_PASSPHRASE wrong"] = new(4, "Wrong passphrase for client 'system'", ["secret", "list"], Environment: With("SECRETOPS_PASSPHRASE", "wrong")),
        ["env: SECRETOPS_SYSTEM_CLIENT_ID not a UUID"] = new(2, "SECRETOPS_SYSTEM_CLIENT_ID is not a UUID", ["--store", "{dir}/new.db", "store", "init"],
            Environment: new() { ["SECRETOPS_SYSTEM_CLIENT_ID"] = "not-a-uuid", ["SECRETOPS_SYSTEM_CLIENT_SECRET"] = "secretops_x" }, NotCreated: "{dir}/new.db"),
        ["env: SECRETOPS_SYSTEM_CLIENT_ID alone"] = new(2, "Set both SECRETOPS_SYSTEM_CLIENT_ID and SECRETOPS_SYSTEM_CLIENT_SECRET", ["--store", "{dir}/new.db", "store", "init"],
            Environment: With("SECRETOPS_SYSTEM_CLIENT_ID", "5b0f3c8e-4a55-4d1e-9a4e-0d8c2f1e7a6b"), NotCreated: "{dir}/new.db"),
        ["env: SECRETOPS_KEY_FILE /dev/zero"] = new(2, "key file '/dev/zero' is not a regular file", ["secret", "list"], Environment: With("SECRETOPS_KEY_FILE", "/dev/zero", keepPassphrase: false)),
        ["env: SECRETOPS_KEY_FILE a directory"] = new(2, "is a directory", ["secret", "list"], Environment: With("SECRETOPS_KEY_FILE", "{dir}/a-directory", keepPassphrase: false)),

        // Store files and paths.
        ["store: a directory"] = Refused(2, "is a directory, not a store file", "--store", "{dir}/a-directory", "secret", "list"),
        ["store: a symlink loop"] = Refused(1, "cannot be opened", "--store", "{dir}/loop-a", "secret", "list"),
        ["store: empty path"] = Refused(2, "The store path is empty", "--store", "", "secret", "list"),
        ["store: in a missing directory"] = Refused(3, "There is no store", "--store", "{dir}/absent/store.db", "secret", "list"),
        ["store: zero-length file"] = Refused(7, "is empty", "--store", "{dir}/empty.db", "secret", "list"),
        ["store: text file"] = Refused(7, "is not a SQLite database", "--store", "{dir}/text.db", "secret", "list"),
        ["store: truncated to 100 bytes"] = Refused(7, "damaged", "--store", "{dir}/truncated.db", "secret", "list"),
        ["store: another application's database"] = Refused(1, "is a SQLite database but not a SecretOps store", "--store", "{dir}/other-app.db", "store", "info"),
        ["store: wrong application_id"] = Refused(1, "is a SQLite database but not a SecretOps store", "--store", "{dir}/wrong-app-id.db", "secret", "list"),
        ["store: newer format"] = Refused(1, "store format 3", "--store", "{dir}/newer-format.db", "secret", "list"),
        ["store: init over an existing store"] = Refused(6, "already exists; SecretOps will not overwrite it", "store", "init"),
        ["store: init onto a directory"] = Refused(2, "is a directory", "--store", "{dir}/a-directory", "store", "init"),
        ["store: backup onto an existing file"] = Refused(6, "already exists", "store", "backup", "{dir}/text.db"),
        ["store: backup into a symlink loop"] = Refused(6, "already exists; SecretOps will not overwrite it", "store", "backup", "{dir}/loop-a"),
        ["store: restore from a text file"] = Refused(7, "is not a SQLite database", "store", "restore", "{dir}/text.db", "--yes"),
        ["store: restore from a directory"] = Refused(2, "is a directory", "store", "restore", "{dir}/a-directory", "--yes"),
    };

    public static TheoryData<string> RefusedInputs() => new(RefusedCases.Keys);

    [Theory]
    [MemberData(nameof(RefusedInputs))]
    public void HostileInput_IsRefusedWithItsOwnErrorAndMessage_AndChangesNothing(string label)
    {
        var refusal = RefusedCases[label];
        string Expand(string text) => text.Replace("{dir}", Store.Directory, StringComparison.Ordinal);
        var arguments = refusal.Arguments.Select(Expand).ToArray();
        var environment = refusal.Environment?.ToDictionary(e => e.Key, e => e.Value is null ? null : Expand(e.Value));
        var givenFiles = arguments.Concat(environment?.Values.OfType<string>() ?? []).Where(IsPreparedFile).Distinct().ToList();

        var rows = RawDb.Fingerprint(Store.StorePath, "audit");
        var files = givenFiles.ToDictionary(f => f, Hash);
        var result = Store.Run(arguments, refusal.Stdin, environment);

        CliStore.AssertFailure(result, refusal.Exit, arguments);
        Assert.True(result.Stderr.Contains(refusal.Message, StringComparison.Ordinal), $"{label}: {result}");
        Assert.Equal("", result.Stdout);
        Assert.Equal(rows, RawDb.Fingerprint(Store.StorePath, "audit"));
        Assert.All(files, f => Assert.True(f.Value == Hash(f.Key), $"{label}: {f.Key} was changed"));
        if (refusal.NotCreated is { } path)
        {
            Assert.False(File.Exists(Expand(path)), $"{label}: {Expand(path)} was created");
        }
    }

    // Accepted names, each beside its twin: stored literally, listed as given, and never read as the other.
    private static readonly Dictionary<string, (string Name, string Twin)> AcceptedNameCases = new()
    {
        ["SQL quote and comment"] = ("x'; DROP TABLE secrets;--", "x"),
        ["SQL LIKE wildcards"] = ("100%_done", "1000done"),
        ["path traversal"] = ("../../etc/passwd", "passwd"),
        ["Windows path"] = ("C:\\Windows\\win.ini", "win.ini"),
        ["Cyrillic а for Latin a"] = ("\u0430pple", "apple"),
        ["NFD é against NFC é"] = ("cafe\u0301", "caf\u00E9"),
        ["shell metacharacters"] = ("$(id); | & > < \"$HOME\"", "id-shell"),
        ["option lookalike after --"] = ("--value", "value"),
    };

    public static TheoryData<string> AcceptedNames() => new(AcceptedNameCases.Keys);

    [Theory]
    [MemberData(nameof(AcceptedNames))]
    public void HostileButValidName_RoundTripsThroughTheCli_AndNeverMeetsItsTwin(string label)
    {
        var (name, twin) = AcceptedNameCases[label];
        Store.Ok("secret", "set", "--value", "twin of " + label, "--", twin);
        Store.Ok("secret", "set", "--value", "hostile " + label, "--", name);
        Assert.Equal("hostile " + label, Store.Ok("secret", "get", "--", name).Stdout);
        Assert.Equal("twin of " + label, Store.Ok("secret", "get", "--", twin).Stdout);
        Assert.Contains(name, Store.Names());
        Assert.Contains(twin, Store.Names());
        var history = JsonDocument.Parse(Store.Ok("secret", "history", "-o", "json", "--", name).Stdout).RootElement;
        Assert.Equal(1, history.GetArrayLength());
        Store.Ok("secret", "rm", "--yes", "--", name);
        Assert.Equal("twin of " + label, Store.Ok("secret", "get", "--", twin).Stdout);
        Store.Fails(3, "secret", "get", "--", name);
    }

    public static TheoryData<string> ByteValues() => ["empty", "invalid UTF-8", "NUL and CR LF", "UTF-16 with BOM", "largest allowed, random"];

    [Theory]
    [MemberData(nameof(ByteValues))]
    public void AnyBytes_RoundTripExactly_ThroughStdinAndFile(string label)
    {
        var seed = Random.Shared.Next();
        byte[] bytes = label switch
        {
            "empty" => [],
            "invalid UTF-8" => [0x61, 0xFF, 0xFE, 0x80, 0xC0, 0x80],
            "NUL and CR LF" => [0x00, 0x0D, 0x0A, 0x00, 0x0A],
            "UTF-16 with BOM" => [0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00],
            _ => RandomBytes(seed, SecretOpsLimits.MaxValue - 2),
        };
        var file = Path.Combine(Store.Directory, "value.bin");
        File.WriteAllBytes(file, bytes);
        Store.Ok("secret", "set", "from-file", "--file", file, "--type", "bytes");
        var fromStdin = Store.Run(["secret", "set", "from-stdin", "--stdin", "--type", "bytes"], bytes);
        Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
        foreach (var name in new[] { "from-file", "from-stdin" })
        {
            var read = Store.Run("secret", "get", name);
            Assert.True(bytes.AsSpan().SequenceEqual(read.StdoutBytes), $"{label} via {name} did not round-trip (seed {seed})");
        }
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The FIFO the fixture makes (no writer, ever).</summary>
    private const string FifoName = "a-fifo";

    /// <summary>A file the fixture wrote (not /dev/zero, not a link, not the FIFO): its bytes must not change.</summary>
    private bool IsPreparedFile(string path) =>
        path.StartsWith(Store.Directory, StringComparison.Ordinal) && File.Exists(path) && new FileInfo(path).LinkTarget is null && Path.GetFileName(path) != FifoName;

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Limits the CLI tests state in their own terms (SecretValue.MaxSize: the serialised form).</summary>
    private static class SecretOpsLimits
    {
        public const int MaxValue = 1024 * 1024;
    }

    /// <summary>
    /// One store for the whole corpus (the cases run one after another in this class), with the files the cases
    /// name: hostile values, key files, configurations and things that are not stores.
    /// </summary>
    public sealed class PreparedStore : IDisposable
    {
        public PreparedStore()
        {
            Store = CliStore.Create();
            Store.Set("existing", "v1", "--meta", "owner=ops");
            Store.AddGenerated("ci");
            using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var publicKey = File(("laptop.pub", Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem())));
            Store.Ok("client", "add", "laptop", "--public-key", publicKey);
            Store.Ok("grant", "laptop", "-n", "default", "--permissions", "read");

            // A client used in the last minute is not written again; far in the future, never: no case moves "last used".
            using (var connection = new SqliteConnection($"Data Source={Store.StorePath};Pooling=False"))
            {
                connection.Open();
                RawDb.Execute(connection, "UPDATE clients SET last_used_at = $far", ("$far", DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()));
            }

            var truncatedPem = key.ExportPkcs8PrivateKeyPem();
            File(("invalid-utf8.bin", [0x2D, 0xFF, 0xFE, 0x80, 0x00, 0x0A]),
                ("over-1mib.bin", new byte[SecretOpsLimits.MaxValue + 1]),
                ("empty.pem", []),
                ("empty.db", []),
                ("enormous.pem", Encoding.ASCII.GetBytes("-----BEGIN PRIVATE KEY-----\n" + new string('A', 70 * 1024) + "\n-----END PRIVATE KEY-----\n")),
                ("truncated.pem", Encoding.ASCII.GetBytes(truncatedPem[..(truncatedPem.Length / 2)])),
                ("text.db", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("not a database\n", 400)))),
                ("truncated.db", System.IO.File.ReadAllBytes(Store.StorePath)[..100]),
                ("config-unknown.yaml", "surprise: true\n"u8.ToArray()),
                ("config-wrong-type.yaml", "profiles:\n  a:\n    idleTimeoutMinutes: soon\n"u8.ToArray()),
                ("config-wrong-shape.yaml", "profiles:\n  a:\n    store: [x, y]\n"u8.ToArray()),
                ("config-no-default.yaml", "defaultProfile: gone\nprofiles: {}\n"u8.ToArray()),
                ("config-unterminated.yaml", "profiles:\n  a: [x\n"u8.ToArray()),
                ("config-profiles.yaml", Encoding.UTF8.GetBytes($"profiles:\n  missing-key:\n    keyFile: '{Path.Combine(Store.Directory, "absent.pem")}'\n"
                    + $"  zero-secret:\n    client: ci\n    secretFile: /dev/zero\n  fifo-key:\n    client: laptop\n    keyFile: '{Path.Combine(Store.Directory, FifoName)}'\n")),
                ("nested-flow.yaml", Encoding.ASCII.GetBytes(new string('[', 1024 * 1024))),
                ("nested-block.yaml", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("- ", 512 * 1024)))),
                ("nested-config.yaml", Encoding.ASCII.GetBytes(new string('[', 256 * 1024))));
            Directory.CreateDirectory(Path.Combine(Store.Directory, "a-directory"));
            if (!OperatingSystem.IsWindows())
            {
                // Nobody ever writes to it: opening it for reading the ordinary way would wait forever.
                using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(Store.Directory, FifoName)]);
                mkfifo.WaitForExit();
            }

            if (!OperatingSystem.IsWindows())
            {
                System.IO.File.CreateSymbolicLink(Path.Combine(Store.Directory, "loop-a"), Path.Combine(Store.Directory, "loop-b"));
                System.IO.File.CreateSymbolicLink(Path.Combine(Store.Directory, "loop-b"), Path.Combine(Store.Directory, "loop-a"));
            }

            Database("other-app.db", "CREATE TABLE things (id INTEGER PRIMARY KEY); INSERT INTO things DEFAULT VALUES;");
            System.IO.File.Copy(Store.StorePath, Path.Combine(Store.Directory, "wrong-app-id.db"));
            Database("wrong-app-id.db", "PRAGMA application_id = 12345;");
            System.IO.File.Copy(Store.StorePath, Path.Combine(Store.Directory, "newer-format.db"));
            Database("newer-format.db", "PRAGMA user_version = 3;");
        }

        internal CliStore Store { get; }

        private string File(params (string Name, byte[] Content)[] files)
        {
            foreach (var (name, content) in files)
            {
                // Owner-only, so a key file is refused for its content, not for its permissions.
                CredentialFile.Write(Path.Combine(Store.Directory, name), content);
            }

            return Path.Combine(Store.Directory, files[^1].Name);
        }

        private void Database(string name, string sql)
        {
            using var connection = new SqliteConnection($"Data Source={Path.Combine(Store.Directory, name)};Pooling=False");
            connection.Open();
            RawDb.Execute(connection, sql);
        }

        public void Dispose() => Store.Dispose();
    }
}
