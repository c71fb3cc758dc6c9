using System.Globalization;

namespace SecretOps.CrashWorker;

/// <summary>
/// What the crash worker and the tests that kill it (or the CLI) agree on; this file is compiled into all of them:
/// the modes, the lines the worker prints, the names it uses, the value every version holds, and the run settings.
/// </summary>
/// <remarks>
/// The worker prints <c>ready</c> once connected, then for every operation <c>begin OP ARGS</c> before it and
/// <c>ack OP ARGS</c> after it returned, each line flushed. An operation with an ack must survive a kill; one
/// with only a begin may have happened or not, but never in part.
/// </remarks>
internal static class CrashProtocol
{
    /// <summary>New secrets, new versions and removals in <see cref="SecretsNamespace"/>.</summary>
    public const string SecretsMode = "secrets";

    /// <summary>Grants <see cref="Leaver"/> read on <see cref="BulkNamespace"/> and revokes it with rotation, over and over.</summary>
    public const string RevokeMode = "revoke";

    /// <summary>Rotates <see cref="BulkNamespace"/>'s key over and over.</summary>
    public const string RotateNamespaceMode = "rotate-namespace";

    /// <summary><see cref="Rotator"/> re-keys itself, alternating between passphrases A and B.</summary>
    public const string RotateClientMode = "rotate-client";

    public const string SecretsNamespace = "default";

    public const string BulkNamespace = "bulk";

    /// <summary>A secret in <see cref="BulkNamespace"/> that gets a new version after every revocation: versions under every key generation.</summary>
    public const string Marker = "marker";

    /// <summary>Holds read on <see cref="BulkNamespace"/> throughout.</summary>
    public const string Keeper = "keeper";

    /// <summary>Granted and revoked in <see cref="RevokeMode"/>.</summary>
    public const string Leaver = "leaver";

    /// <summary>Re-keyed in <see cref="RotateClientMode"/>.</summary>
    public const string Rotator = "rotator";

    /// <summary>The System client's passphrase.</summary>
    public const string PassphraseVariable = "SECRETOPS_PASSPHRASE";

    /// <summary>The rotator's two passphrases (A, B); the worker prints only the labels.</summary>
    public const string RotatorPassphraseAVariable = "CRASH_ROTATOR_PASSPHRASE_A";

    public const string RotatorPassphraseBVariable = "CRASH_ROTATOR_PASSPHRASE_B";

    /// <summary>The value of version <paramref name="version"/> of <paramref name="name"/>: a wrong or stale value shows.</summary>
    public static string ValueOf(string name, int version) => $"value of {name} version {version}";

    /// <summary>How a process killed by the tests exits: 128 + SIGKILL on Unix; Windows' TerminateProcess gives -1.</summary>
    public static int KilledExitCode => OperatingSystem.IsWindows() ? -1 : 137;

    /// <summary>
    /// How many kills the Core worker tests make in all: SECRETOPS_CRASH_KILLS (e.g. 500 for a deep run), or 40, the
    /// short run for CI. The CLI test makes a fifth as many.
    /// </summary>
    public static int TotalKills() =>
        Environment.GetEnvironmentVariable("SECRETOPS_CRASH_KILLS") is { Length: > 0 } kills ? int.Parse(kills, CultureInfo.InvariantCulture) : 40;

    /// <summary>The seed of a kill schedule: SECRETOPS_CRASH_SEED to replay a failure's delays and choices, or a fresh one.</summary>
    public static int ScheduleSeed() =>
        Environment.GetEnvironmentVariable("SECRETOPS_CRASH_SEED") is { Length: > 0 } seed ? int.Parse(seed, CultureInfo.InvariantCulture) : Random.Shared.Next();

    /// <summary>Files beside the store other than the store itself and SQLite's -wal, -shm and -journal: what a kill must never leave.</summary>
    public static List<string> StrayFiles(string storePath)
    {
        var store = Path.GetFileName(storePath);
        string[] expected = [store, store + "-wal", store + "-shm", store + "-journal"];
        return Directory.GetFiles(Path.GetDirectoryName(storePath)!).Select(f => Path.GetFileName(f)).Except(expected).ToList();
    }
}
