using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SecretOps.Tests.Concurrency;

namespace SecretOps.Cli.Tests;

/// <summary>
/// Real <c>secretops</c> processes on one store at once: writer loops (secrets of their own and one hot secret,
/// plain and with --expected-version), reader loops, and a loop revoking a client's namespace grant (rotating the
/// key) and granting it again while that client reads. Each loop runs one CLI process after another; the loops run
/// side by side. Afterwards, through the CLI: every acknowledged write is there with its value, versions run
/// 1..n, no process failed except the revoked client's AccessDenied, and the audit log is complete and verifies.
/// In WAL mode and in shared mode (SECRETOPS_SHARED=1: journal_mode=DELETE, no pooling).
/// </summary>
// Hundreds of CLI processes: the README's test command runs this class once, against the native CLI (Cli.cs).
[Trait("Workload", "Heavy")]
public class ConcurrencyTests(ITestOutputHelper output)
{
    private const string HotSecret = "hot";
    private const int RoundsPerWriter = 6;
    private const int SecretsPerWriter = 2;
    private const int MinGrantCycles = 2;
    private const int MaxCasAttempts = 50;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ParallelCliProcesses_LoseNoWrite_FailOnlyWhereDenied_AndKeepTheAuditChain(bool shared)
    {
        var seed = Random.Shared.Next();
        var journalMode = shared ? "delete" : "wal";
        var context = $"seed {seed}, journal_mode={journalMode}";
        using var store = CliStore.Create(shared);
        var run = new Workload(store, seed);
        var elapsed = Stopwatch.StartNew();
        run.Execute(e => e.Message, TimeSpan.FromMinutes(10));
        elapsed.Stop();
        var ledger = run.Ledger;
        var processes = run.Invocations;
        Assert.True(ledger.Failures.IsEmpty, $"{context}: {ledger.Failures.Count} failure(s):\n{string.Join("\n", ledger.Failures)}");

        Assert.Equal(journalMode, store.JournalMode());
        Assert.Equal(journalMode, store.Json("store", "info").GetProperty("journalMode").GetString());
        Assert.Equal(ledger.Names, store.Names().Order(StringComparer.Ordinal));
        foreach (var name in ledger.Names)
        {
            var versions = ledger.Versions(name);
            Assert.True(Enumerable.Range(1, versions.Count).SequenceEqual(versions), $"{context}: acknowledged versions of '{name}' are not 1..n: {string.Join(",", versions)}");
            Assert.Equal(versions, store.Json("secret", "history", name).EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        }

        // Before the checks below add reads of their own: the log holds exactly the run's writes, conflicts and reads.
        var sets = store.Json("audit", "list", "--action", "secret.set").EnumerateArray().ToList();
        Assert.Equal(ledger.Acknowledged.Keys.Order(),
                     sets.Where(e => e.GetProperty("outcome").GetString() == "ok").Select(e => (e.GetProperty("target").GetString()!, e.GetProperty("version").GetInt32())).Order());
        Assert.Equal(run.Conflicts, sets.Count(e => e.GetProperty("errorId").GetString() == "SecretOps.Conflict"));
        Assert.Equal(run.Reads + run.GranteeAllowed + run.GranteeDenied, store.Json("audit", "list", "--action", "secret.get").GetArrayLength());
        var writerProcesses = sets.Select(e => e.GetProperty("processId").GetInt32()).Distinct().Count();

        // Every value read mid-run is one the store holds for that secret (a failed CAS's value never shows up).
        var stored = ledger.Acknowledged.GroupBy(a => a.Key.Name).ToDictionary(g => g.Key, g => g.Select(a => a.Value).ToHashSet());
        foreach (var (name, value) in run.ReadValues)
        {
            Assert.True(stored[name].Contains(value), $"{context}: a read of '{name}' returned a value that is not one of its stored versions");
        }

        var wrong = new ConcurrentQueue<string>();
        Parallel.ForEach(ledger.Acknowledged, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentWorkload.Writers }, acknowledged =>
        {
            var ((name, version), value) = acknowledged;
            var read = store.Run("secret", "get", name, "--version", version.ToString(CultureInfo.InvariantCulture));
            if (read.ExitCode != 0 || read.Stdout != value)
            {
                wrong.Enqueue($"version {version} of '{name}': exit {read.ExitCode}{(read.ExitCode == 0 ? ", another value" : $", {read.Stderr.Trim()}")}");
            }
        });
        Assert.True(wrong.IsEmpty, $"{context}: acknowledged writes not read back:\n{string.Join("\n", wrong)}");

        store.Ok("store", "check");
        Assert.True(store.Json("audit", "verify").GetProperty("isValid").GetBoolean());
        output.WriteLine($"CLI concurrency, journal_mode={journalMode}{(shared ? " (SECRETOPS_SHARED=1)" : "")}: {ConcurrentWorkload.Writers} writer + {ConcurrentWorkload.Readers} reader + 1 grantee + 1 granter loops, "
                         + $"{processes} secretops processes side by side ({writerProcesses} of them wrote); {ledger.Acknowledged.Count} acknowledged writes "
                         + $"({run.Conflicts} CAS conflicts retried) to {ledger.Names.Count} secrets, {run.Reads} reads, "
                         + $"grantee reads {run.GranteeAllowed} allowed / {run.GranteeDenied} denied over {run.Grants.Cycles} revoke+grant cycles; "
                         + $"{elapsed.Elapsed.TotalSeconds:F1} s; seed {seed}");
    }

    /// <summary>The loops of one run, each running CLI processes one after another, and what they saw.</summary>
    private sealed class Workload : ConcurrentWorkload
    {
        private readonly CliStore store;
        private readonly int seed;
        private readonly Dictionary<string, string?> writer;
        private readonly Dictionary<string, string?> reader;
        private readonly Dictionary<string, string?> grantee;
        private int writersLeft = Writers;
        private int invocations;

        public Workload(CliStore store, int seed)
        {
            this.store = store;
            this.seed = seed;
            writer = CliStore.As("writer", secret: store.AddGenerated("writer"));
            reader = CliStore.As("reader", secret: store.AddGenerated("reader"));
            grantee = CliStore.As("grantee", secret: store.AddGenerated("grantee"));
            store.Ok("grant", "writer", "--namespace", "default", "--permissions", "read,write");
            store.Ok("grant", "reader", "--namespace", "default", "--permissions", "read");
            store.Ok("grant", "grantee", "--namespace", "default", "--permissions", "read");
        }

        /// <summary>Every value read mid-run, by readers and the grantee.</summary>
        public ConcurrentBag<(string Name, string Value)> ReadValues { get; } = [];

        public int Invocations => invocations;

        protected override void Writer(int index)
        {
            try
            {
                var random = new Random(seed + index);
                for (var round = 0; round < RoundsPerWriter; round++)
                {
                    Set(random, $"w{index}-{random.Next(SecretsPerWriter)}", expected: null);
                    if (round % 2 == 0)
                    {
                        Set(random, HotSecret, expected: null);
                    }
                    else
                    {
                        SetCompareAndSwap(random);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref writersLeft);
            }
        }

        /// <summary>Reads the hot secret's version and sets it with --expected-version; exit 6 means another writer was first: try again.</summary>
        private void SetCompareAndSwap(Random random)
        {
            for (var attempt = 1; attempt <= MaxCasAttempts; attempt++)
            {
                var listed = Must(writer, "secret", "list", HotSecret, "--output", "json");
                var current = JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray().Select(e => e.GetProperty("version").GetInt32()).SingleOrDefault();
                if (Set(random, HotSecret, current))
                {
                    return;
                }

                Interlocked.Increment(ref Conflicts);
            }

            Ledger.Fail($"a compare-and-swap of '{HotSecret}' lost {MaxCasAttempts} times in a row");
        }

        /// <summary>One <c>secret set</c>; false when it was refused as a conflict with the expected version.</summary>
        private bool Set(Random random, string name, int? expected)
        {
            var value = Ledger.NewValue(name, random);
            string[] arguments = ["secret", "set", name, "--value", value, "--output", "json", .. expected is { } v ? ["--expected-version", v.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>()];
            var result = Run(writer, arguments);
            if (result.ExitCode == 6 && expected is not null)
            {
                return false;
            }

            Expect(result, arguments);
            Ledger.Acknowledge(name, JsonDocument.Parse(result.Stdout).RootElement.GetProperty("version").GetInt32(), value);
            return true;
        }

        protected override void Reader(int index)
        {
            var random = new Random(seed + 100 + index);
            while (Volatile.Read(ref writersLeft) > 0)
            {
                if (Ledger.PickReadable(random) is { } name)
                {
                    Read(Must(reader, "secret", "get", name), name);
                    Interlocked.Increment(ref Reads);
                }
            }
        }

        /// <summary>Reads as the grantee while the granter revokes and grants: exit 0 with a right value, or exit 5; nothing else.</summary>
        protected override void GranteeReader()
        {
            try
            {
                var random = new Random(seed + 200);
                while (!Grants.Done)
                {
                    if (Ledger.PickReadable(random) is not { } name)
                    {
                        continue;
                    }

                    Grants.Observe($"the grantee's read of '{name}'", () =>
                    {
                        string[] arguments = ["secret", "get", name];
                        var result = Run(grantee, arguments);
                        if (result.ExitCode == 5)
                        {
                            Interlocked.Increment(ref GranteeDenied);
                            CliStore.AssertFailure(result, 5, arguments);
                            return false;
                        }

                        Expect(result, arguments);
                        Read(result, name);
                        Interlocked.Increment(ref GranteeAllowed);
                        return true;
                    });
                }
            }
            finally
            {
                Grants.ReaderStopped();
            }
        }

        /// <summary>As the System client: revokes the grantee's namespace grant (rotating the key) and grants it again, while writers run.</summary>
        protected override void Granter()
        {
            var system = new Dictionary<string, string?>();
            Grants.Run(
                () => Must(system, "revoke", "grantee", "--namespace", "default", "--yes"),
                () => Must(system, "grant", "grantee", "--namespace", "default", "--permissions", "read"),
                cycles => cycles < MinGrantCycles || Volatile.Read(ref writersLeft) > 0);
        }

        private void Read(CliResult result, string name)
        {
            Ledger.CheckRead(name, result.Stdout);
            ReadValues.Add((name, result.Stdout));
        }

        private CliResult Run(Dictionary<string, string?> client, string[] arguments)
        {
            Interlocked.Increment(ref invocations);
            return store.Run(arguments, stdin: (string?)null, client);
        }

        private CliResult Must(Dictionary<string, string?> client, params string[] arguments)
        {
            var result = Run(client, arguments);
            Expect(result, arguments);
            return result;
        }

        /// <summary>Exit 0 and a quiet standard error, or the loop ends with a failure naming the command (never a value) and its error.</summary>
        private static void Expect(CliResult result, string[] arguments)
        {
            if (result.ExitCode != 0 || result.Stderr.Length != 0)
            {
                var command = string.Join(' ', arguments.Select((a, i) => i > 0 && arguments[i - 1] == "--value" ? "***" : a));
                throw new InvalidOperationException($"secretops {command}: exit {result.ExitCode}: {result.Stderr.Trim()}");
            }
        }
    }
}
