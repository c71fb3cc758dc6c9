using System.Diagnostics;
using SecretOps.CrashWorker;

namespace SecretOps.Cli.Tests;

/// <summary>
/// The real <c>secretops</c> process killed with SIGKILL at a random moment of a write, again and again on one store:
/// after each kill <c>store check</c> passes, a command that exited 0 is there in full, one that was killed happened
/// in full or not at all (a revocation with its rotation, a namespace rotation, a client re-key), and every value
/// reads back. Startup dominates a CLI run, so fewer kills land inside the write itself than in SecretOps.Core.Tests'
/// CrashConsistencyTests, which kills a worker looping inside transactions; this test proves the shipped process.
/// </summary>
/// <remarks>
/// <see cref="CrashProtocol.TotalKills"/>: a fifth of SECRETOPS_CRASH_KILLS (8 by default, at least 5).
/// The last quarter of the kills run with SECRETOPS_SHARED=1, so the store is switched to journal_mode=DELETE under
/// them. SECRETOPS_CRASH_SEED replays a failure's schedule.
/// </remarks>
public class CrashTests(ITestOutputHelper output)
{
    private static readonly string[] Bulk = ["b1", "b2", "b3"];
    private static readonly string[] Operations = ["secret set", "revoke", "secret rm", "ns rotate", "client rotate"];
    private static readonly Dictionary<string, string> RotatorPassphrases = new() { ["A"] = "rotator passphrase A", ["B"] = "rotator passphrase B" };

    [Fact]
    public void KilledWrites_LeaveTheStoreWhole_AndAcknowledgedWritesKept()
    {
        var kills = Math.Max(5, CrashProtocol.TotalKills() / 5);
        var seed = CrashProtocol.ScheduleSeed();
        var random = new Random(seed);
        using var store = CliStore.Create();
        store.Ok("ns", "create", "bulk");
        foreach (var name in Bulk)
        {
            store.Set(name, CrashProtocol.ValueOf(name, 1), "-n", "bulk");
        }

        store.Set("pinned", CrashProtocol.ValueOf("pinned", 1));
        var keeper = CliStore.As("keeper", secret: store.AddGenerated("keeper"));
        var leaver = CliStore.As("leaver", secret: store.AddGenerated("leaver"));
        store.AddPassphrase("rotator", RotatorPassphrases["A"]);
        foreach (var (client, ns) in new[] { ("keeper", "bulk"), ("leaver", "bulk"), ("rotator", "default") })
        {
            store.Ok("grant", client, "--namespace", ns, "--permissions", "read");
        }

        // A plain run's length sets the kill window: the kill lands anywhere from startup to just after it would have finished.
        var clock = Stopwatch.StartNew();
        store.Ok("store", "check");
        var window = (int)(clock.ElapsedMilliseconds * 3 / 2);

        var versions = new Dictionary<string, int> { ["pinned"] = 1 };
        var (generation, leaverHolds, rotator) = (1, true, "A");
        // Per operation: finished before the kill; killed before its change committed; killed after (between commit and exit).
        var figures = Operations.ToDictionary(o => o, _ => new int[3]);
        clock.Restart();
        for (var kill = 1; kill <= kills; kill++)
        {
            var shared = kill > kills * 3 / 4;
            if (shared)
            {
                store.Environment["SECRETOPS_SHARED"] = "1";
            }

            var operation = Operations[(kill - 1) % Operations.Length];
            var delay = TimeSpan.FromMilliseconds(random.Next(window));
            var context = $"kill {kill} of {kills}{(shared ? " (shared)" : "")}, {operation} with a kill {delay.TotalMilliseconds} ms after start, seed {seed}";
            CliResult RunUntilKilled(string[] arguments, string? stdin = null, IDictionary<string, string?>? environment = null)
            {
                var result = store.RunAndKill(arguments, stdin, delay, environment);
                Assert.True(result.Killed || result.ExitCode == 0, $"{context}: secretops {string.Join(' ', arguments)} failed by itself: {result}");
                return result;
            }

            void Tally(CliResult result, bool committed) => figures[operation][!result.Killed ? 0 : committed ? 2 : 1]++;

            switch (operation)
            {
                case "secret set":
                {
                    var name = kill % 2 == 0 ? "pinned" : $"c{kill}";
                    var version = versions.GetValueOrDefault(name) + 1;
                    var result = RunUntilKilled(["secret", "set", name, "--value", CrashProtocol.ValueOf(name, version)]);
                    versions = ExpectOneChange(store, versions, name, result.Killed ? [version - 1, version] : [version], context);
                    Tally(result, versions.GetValueOrDefault(name) == version);
                    break;
                }

                case "secret rm":
                {
                    var name = $"doomed{kill}";
                    store.Set(name, CrashProtocol.ValueOf(name, 1));
                    var result = RunUntilKilled(["secret", "rm", name, "--yes"]);
                    versions[name] = 1;
                    versions = ExpectOneChange(store, versions, name, result.Killed ? [0, 1] : [0], context);
                    Tally(result, !versions.ContainsKey(name));
                    break;
                }

                case "revoke":
                {
                    if (!leaverHolds)
                    {
                        store.Ok("grant", "leaver", "--namespace", "bulk", "--permissions", "read");
                    }

                    var result = RunUntilKilled(["revoke", "leaver", "--namespace", "bulk", "--yes"]);
                    var now = (Holds: LeaverReadsAllOrNothing(store, leaver, context), Generation: Generation(store));
                    // Revoked and rotated together, or neither; a revoke that exited 0 did both.
                    var allowed = result.Killed ? new[] { (true, generation), (false, generation + 1) } : [(false, generation + 1)];
                    Assert.True(allowed.Contains(now), $"{context}: leaver {(now.Holds ? "holds read" : "revoked")} at key generation {now.Generation}, from generation {generation}.");
                    Tally(result, now.Generation > generation);
                    (leaverHolds, generation) = now;
                    ReadsBulk(store, keeper, context);
                    break;
                }

                case "ns rotate":
                {
                    var result = RunUntilKilled(["ns", "rotate", "bulk"]);
                    var now = Generation(store);
                    Assert.True(now == generation + 1 || (result.Killed && now == generation), $"{context}: key generation {now}, from generation {generation}.");
                    Tally(result, now > generation);
                    generation = now;
                    ReadsBulk(store, keeper, context);
                    break;
                }

                default:
                {
                    var next = rotator == "A" ? "B" : "A";
                    var result = RunUntilKilled(["client", "rotate", "--new-passphrase-stdin", "--weak-kdf"], RotatorPassphrases[next] + "\n", CliStore.As("rotator", passphrase: RotatorPassphrases[rotator]));
                    var working = RotatorPassphrases.Where(p => ReadsBack(store, "pinned", versions["pinned"], CliStore.As("rotator", passphrase: p.Value), context)).Select(p => p.Key).ToList();
                    Assert.True(working.Count == 1 && (working[0] == next || result.Killed), $"{context}: the rotator's passphrases that work: {string.Join(", ", working)}; it was re-keyed from {rotator} to {next}.");
                    Tally(result, working[0] == next);
                    rotator = working[0];
                    break;
                }
            }

            var stray = CrashProtocol.StrayFiles(store.StorePath);
            Assert.True(stray.Count == 0, $"{context}: stray files beside the store: {string.Join(", ", stray)}");
            var check = store.Run("store", "check");
            Assert.True(check.ExitCode == 0, $"{context}: store check fails: {check}");
        }

        output.WriteLine($"CLI: {kills} runs killed ({string.Join("; ", figures.Select(f => $"{f.Key}: {f.Value[0]} finished first, {f.Value[1]} killed before commit, {f.Value[2]} after"))}), " +
                         $"kill window {window} ms, {clock.Elapsed.TotalSeconds:F1} s, seed {seed}");
    }

    /// <summary>
    /// Checks that only <paramref name="name"/> changed, to one of <paramref name="allowed"/> versions (0: gone), and that its
    /// current value reads back; returns the secrets and versions the store now holds.
    /// </summary>
    private static Dictionary<string, int> ExpectOneChange(CliStore store, Dictionary<string, int> before, string name, int[] allowed, string context)
    {
        var now = store.Json("secret", "list").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("version").GetInt32());
        var version = now.GetValueOrDefault(name);
        Assert.True(allowed.Contains(version), $"{context}: '{name}' is at version {version} (0: gone); expected {string.Join(" or ", allowed)}.");
        static IEnumerable<KeyValuePair<string, int>> Others(Dictionary<string, int> versions, string name) =>
            versions.Where(p => p.Key != name).OrderBy(p => p.Key, StringComparer.Ordinal);
        Assert.True(Others(now, name).SequenceEqual(Others(before, name)),
            $"{context}: other secrets changed: {string.Join(", ", now.Where(p => p.Key != name))}.");
        Assert.True(version == 0 || ReadsBack(store, name, version, null, context), $"{context}: '{name}' version {version} does not read back.");
        return now;
    }

    /// <summary>True when <paramref name="name"/> reads back with its value as the client of <paramref name="environment"/>; false when its credential is refused.</summary>
    private static bool ReadsBack(CliStore store, string name, int version, IDictionary<string, string?>? environment, string context, string ns = "default")
    {
        var result = store.Run(["secret", "get", name, "-n", ns], stdin: (string?)null, environment);
        Assert.True(result.ExitCode is 0 or 4, $"{context}: reading '{ns}/{name}' fails: exit {result.ExitCode}: {result.Stderr}");
        Assert.True(result.ExitCode != 0 || result.Stdout == CrashProtocol.ValueOf(name, version), $"{context}: '{ns}/{name}' does not hold version {version}'s value.");
        return result.ExitCode == 0;
    }

    private static void ReadsBulk(CliStore store, IDictionary<string, string?> client, string context)
    {
        foreach (var name in Bulk)
        {
            Assert.True(ReadsBack(store, name, 1, client, context, "bulk"), $"{context}: the keeper cannot read 'bulk/{name}'.");
        }
    }

    /// <summary>Whether the leaver reads every bulk secret (exit 0) or none (exit 5, denied); fails on anything in between.</summary>
    private static bool LeaverReadsAllOrNothing(CliStore store, IDictionary<string, string?> leaver, string context)
    {
        var exits = Bulk.Select(name => store.Run(["secret", "get", name, "-n", "bulk"], stdin: (string?)null, leaver).ExitCode).ToList();
        Assert.True(exits.All(e => e == 0) || exits.All(e => e == 5), $"{context}: the leaver's reads of the bulk secrets exit {string.Join(", ", exits)}; all 0 or all 5.");
        return exits[0] == 0;
    }

    private static int Generation(CliStore store) =>
        store.Json("ns", "list").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "bulk").GetProperty("keyGeneration").GetInt32();
}
