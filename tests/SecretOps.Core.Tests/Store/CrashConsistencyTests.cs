using System.Diagnostics;
using System.Globalization;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using SecretOps.CrashWorker;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// A writer killed with SIGKILL at random moments, many times over on the same store, never leaves it damaged:
/// after every kill the store passes Check(), every acknowledged operation is there with its values, every secret
/// reads back at every version, and a revocation, a namespace rotation or a client re-key either happened in full
/// or not at all. The writer is tests/SecretOps.CrashWorker, which loops over Core operations so that kills land
/// inside transactions; the CLI's own process is killed in SecretOps.Cli.Tests' CrashTests.
/// </summary>
/// <remarks>
/// Short by default (about 40 kills in all, for CI). SECRETOPS_CRASH_KILLS=500 gives a deeper run; the kills are
/// shared out between the operations in the same proportions. Every failure names the seed of its kill schedule;
/// SECRETOPS_CRASH_SEED=that seed replays the same delays and worker choices (timing still varies).
/// </remarks>
public class CrashConsistencyTests(CrashConsistencyTests.BulkStore bulk, ITestOutputHelper output) : IClassFixture<CrashConsistencyTests.BulkStore>
{
    private const string RotatorPassphraseA = "rotator passphrase A";
    private const string RotatorPassphraseB = "rotator passphrase B";

    [Theory]
    [InlineData(false, 0.40)]
    [InlineData(true, 0.10)]
    public void SetAndRemove_LoseNothingAcknowledged(bool shared, double share)
    {
        using var store = new TempStore(shared: shared);
        var reader = AddMember(store, "reader", CrashProtocol.SecretsNamespace);
        var versions = new Dictionary<string, int>();

        KillRepeatedly(store, CrashProtocol.SecretsMode, share, minimumWindowMs: 300, environment: null, verify: (run, context) =>
        {
            foreach (var ack in run.Acknowledged)
            {
                if (ack is ["set", var name, var version, ..])
                {
                    versions[name] = int.Parse(version, CultureInfo.InvariantCulture);
                }
                else
                {
                    versions.Remove(ack[1]);
                }
            }

            using var system = store.ConnectSystem();
            var actual = system.ListSecrets(CrashProtocol.SecretsNamespace, includeExpired: true).ToDictionary(e => e.Name, e => e.Version);
            foreach (var name in actual.Keys.Union(versions.Keys))
            {
                int? have = actual.TryGetValue(name, out var h) ? h : null;
                int? want = versions.TryGetValue(name, out var w) ? w : null;
                // The operation the kill interrupted may have committed; then the secret is exactly as it leaves it.
                var interrupted = run.InFlight switch
                {
                    ["set", var n, var version] when n == name => (true, (int?)int.Parse(version, CultureInfo.InvariantCulture)),
                    ["remove", var n] when n == name => (true, (int?)null),
                    _ => (false, (int?)null),
                };
                Assert.True(have == want || (interrupted.Item1 && have == interrupted.Item2),
                    $"{context}: secret '{name}' is at version {have?.ToString(CultureInfo.InvariantCulture) ?? "none"}; acknowledged: {want?.ToString(CultureInfo.InvariantCulture) ?? "none"}.");
            }

            versions = actual;
            ReadsEverything(system, CrashProtocol.SecretsNamespace, versions, context);
            using var member = Connect(store, reader);
            ReadsEverything(member, CrashProtocol.SecretsNamespace, versions, context);
        });
    }

    // In shared mode every read opens its own connection, which makes reading 2,000 secrets per kill slow:
    // shared mode is covered here by set/remove and client rotation, and by the CLI test's revocations.
    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void RevokeWithRotation_IsAllOrNothing()
    {
        using var store = TempStore.CopyOf(bulk.Template);
        var (keeper, leaver, versions) = (bulk.Keeper, bulk.Leaver, BulkStore.Versions());
        var (holds, generation) = (true, 1);

        KillRepeatedly(store, CrashProtocol.RevokeMode, 0.15, minimumWindowMs: 500, environment: null, verify: (run, context) =>
        {
            foreach (var ack in run.Acknowledged)
            {
                switch (ack)
                {
                    case ["grant", ..]:
                        holds = true;
                        break;
                    case ["revoke", var g, ..]:
                        (holds, generation) = (false, Generation(g));
                        break;
                    default:
                        versions[CrashProtocol.Marker] = int.Parse(ack[2], CultureInfo.InvariantCulture);
                        break;
                }
            }

            using var system = store.ConnectSystem();
            var actualGeneration = system.ListNamespaces().Single(n => n.Name == CrashProtocol.BulkNamespace).KeyGeneration;
            var actualMarker = system.GetEntry(CrashProtocol.BulkNamespace, CrashProtocol.Marker).Version;
            Assert.True(actualMarker == versions[CrashProtocol.Marker] || (run.InFlight is ["set", CrashProtocol.Marker, var v] && actualMarker == int.Parse(v, CultureInfo.InvariantCulture)),
                $"{context}: the marker is at version {actualMarker}; acknowledged: {versions[CrashProtocol.Marker]}.");
            versions[CrashProtocol.Marker] = actualMarker;

            var leaverHolds = LeaverReadsAllOrNothing(store, leaver, versions, context);
            var keyGenerationsHeld = LeaverNamespaceStanzas(store, leaver);
            Assert.True(keyGenerationsHeld == (leaverHolds ? actualGeneration : 0),
                $"{context}: the leaver {(leaverHolds ? "holds read" : "is revoked")} but has stanzas for {keyGenerationsHeld} of {actualGeneration} key generations.");

            // Committed: revoked and rotated together. Not committed: neither. A grant in flight may have landed.
            var allowed = new List<(bool, int)> { (holds, generation) };
            allowed.AddRange(run.InFlight switch
            {
                ["revoke"] => [(false, generation + 1)],
                ["grant"] => [(true, generation)],
                _ => [],
            });
            Assert.True(allowed.Contains((leaverHolds, actualGeneration)),
                $"{context}: leaver {(leaverHolds ? "holds read" : "revoked")} at key generation {actualGeneration}; acknowledged: {(holds ? "holds read" : "revoked")} at generation {generation}.");
            (holds, generation) = (leaverHolds, actualGeneration);

            ReadsEverything(system, CrashProtocol.BulkNamespace, versions, context);
            using var keeperSession = Connect(store, keeper);
            ReadsEverything(keeperSession, CrashProtocol.BulkNamespace, versions, context);
        });
    }

    [Fact]
    public void NamespaceRotation_IsAllOrNothing()
    {
        using var store = TempStore.CopyOf(bulk.Template);
        var versions = BulkStore.Versions();
        var generation = 1;

        KillRepeatedly(store, CrashProtocol.RotateNamespaceMode, 0.10, minimumWindowMs: 500, environment: null, verify: (run, context) =>
        {
            foreach (var ack in run.Acknowledged)
            {
                generation = Generation(ack[1]);
            }

            using var system = store.ConnectSystem();
            var actual = system.ListNamespaces().Single(n => n.Name == CrashProtocol.BulkNamespace).KeyGeneration;
            Assert.True(actual == generation || (run.InFlight is ["rotate-namespace"] && actual == generation + 1),
                $"{context}: the namespace is at key generation {actual}; acknowledged: {generation}.");
            generation = actual;
            ReadsEverything(system, CrashProtocol.BulkNamespace, versions, context);
            foreach (var holder in new[] { bulk.Keeper, bulk.Leaver })
            {
                using var session = Connect(store, holder);
                ReadsEverything(session, CrashProtocol.BulkNamespace, versions, context);
            }
        });
    }

    [Theory]
    [InlineData(false, 0.20)]
    [InlineData(true, 0.05)]
    public void ClientKeyRotation_IsAllOrNothing(bool shared, double share)
    {
        using var store = new TempStore(shared: shared);
        var readable = new Dictionary<string, Dictionary<string, int>>
        {
            [CrashProtocol.SecretsNamespace] = new() { ["db-password"] = 2, ["api-key"] = 1 },
            ["team"] = new() { ["solo"] = 3 },
        };
        using (var system = store.ConnectSystem())
        {
            system.CreateNamespace("team");
            system.AddClient(CrashProtocol.Rotator, new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = RotatorPassphraseA.AsMemory(), AllowWeakKdf = true });
            Populate(system, "team", new Dictionary<string, int> { ["solo"] = 3, ["not-shared"] = 1 });
            Populate(system, CrashProtocol.SecretsNamespace, readable[CrashProtocol.SecretsNamespace]);
            // Both kinds of stanza: the whole default namespace, and one secret of team.
            system.Grant(CrashProtocol.Rotator, CrashProtocol.SecretsNamespace, null, Permissions.Read);
            system.Grant(CrashProtocol.Rotator, "team", "solo", Permissions.Read);
        }

        var current = "A";
        var environment = new Dictionary<string, string>
        {
            [CrashProtocol.RotatorPassphraseAVariable] = RotatorPassphraseA,
            [CrashProtocol.RotatorPassphraseBVariable] = RotatorPassphraseB,
        };
        KillRepeatedly(store, CrashProtocol.RotateClientMode, share, minimumWindowMs: 300, environment, verify: (run, context) =>
        {
            current = run.Acknowledged.Select(ack => ack[1]).LastOrDefault(current);
            var working = new[] { ("A", RotatorPassphraseA), ("B", RotatorPassphraseB) }.Where(p => Works(store, p.Item2)).Select(p => p.Item1).ToList();
            Assert.True(working.Count == 1, $"{context}: {working.Count} of the rotator's two passphrases work ({string.Join(", ", working)}); exactly one must.");
            Assert.True(working[0] == current || (run.InFlight is ["rotate-client", var next] && working[0] == next),
                $"{context}: passphrase {working[0]} works; acknowledged: {current}.");
            current = working[0];

            using var rotator = TryConnect(store, current == "A" ? RotatorPassphraseA : RotatorPassphraseB)!;
            var check = rotator.Check();
            Assert.True(check.IsHealthy && check.KeysChecked > 0, $"{context}: the rotator's check fails: {Describe(check)}");
            foreach (var (ns, versions) in readable)
            {
                ReadsEverything(rotator, ns, versions, context);
            }
        });
    }

    /// <summary>
    /// Runs the worker in <paramref name="mode"/> and kills it, again and again, each time a random delay after it
    /// connected; after each kill checks the files, runs Check() and then <paramref name="verify"/>. The delay is
    /// drawn from a window that starts at <paramref name="minimumWindowMs"/>, covers one and a half times the longest
    /// operation seen, and widens whenever a run acknowledged nothing: kills land inside operations and between
    /// them however slow the machine is.
    /// </summary>
    private void KillRepeatedly(TempStore store, string mode, double share, int minimumWindowMs, IDictionary<string, string>? environment, Action<WorkerRun, string> verify)
    {
        var kills = Math.Max(1, (int)Math.Round(CrashProtocol.TotalKills() * share));
        var seed = CrashProtocol.ScheduleSeed();
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var (acknowledged, longest, window) = (0, 0, minimumWindowMs);
        var inside = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var kill = 1; kill <= kills; kill++)
        {
            var delay = random.Next(window);
            var run = CrashWorkerProcess.RunAndKill(store, mode, random.Next(), TimeSpan.FromMilliseconds(delay), environment);
            var context = $"{mode}{(store.Shared ? " (shared)" : "")}, kill {kill} of {kills}, {delay} ms after connecting, " +
                          $"{(run.InFlight is { } op ? "inside '" + string.Join(' ', op) + "'" : "between operations")}, seed {seed}";
            var stray = CrashProtocol.StrayFiles(store.Path);
            Assert.True(stray.Count == 0, $"{context}: stray files beside the store: {string.Join(", ", stray)}");
            using (var system = store.ConnectSystem())
            {
                var check = system.Check();
                Assert.True(check.IsHealthy, $"{context}: store check fails: {Describe(check)}");
            }

            verify(run, context);
            var landed = run.InFlight?[0] ?? "between operations";
            inside[landed] = inside.GetValueOrDefault(landed) + 1;
            acknowledged += run.Acknowledged.Count();
            longest = Math.Max(longest, run.LongestMilliseconds);
            window = run.Acknowledged.Any() ? Math.Max(window, longest * 3 / 2) : window * 3 / 2;
        }

        // "Inside" an operation: the worker printed its begin and not its ack.
        output.WriteLine($"{mode}{(store.Shared ? " (shared)" : "")}: {kills} kills, landed inside: {string.Join(", ", inside.Select(p => $"{p.Key} {p.Value}"))}; " +
                         $"{acknowledged} operations acknowledged, longest {longest} ms, {clock.Elapsed.TotalSeconds:F1} s, seed {seed}");
    }

    private static string Describe(StoreCheckResult check) =>
        $"integrity {check.IntegrityCheck}; {string.Join("; ", check.KeyProblems)}; audit {(check.Audit.IsValid ? "valid" : check.Audit.Problem)}";

    /// <summary>Reads every version of every secret in <paramref name="versions"/> and compares it with the value the worker wrote.</summary>
    private static void ReadsEverything(Session session, string ns, IReadOnlyDictionary<string, int> versions, string context)
    {
        foreach (var (name, current) in versions)
        {
            for (var version = 1; version <= current; version++)
            {
                using var read = session.GetSecret(ns, name, version);
                Assert.True(read.Value.GetString() == CrashProtocol.ValueOf(name, version),
                    $"{context}: '{ns}/{name}' version {version} read by {session.ClientName} holds another version's value.");
            }
        }

        session.FlushAudit();
    }

    /// <summary>Whether the leaver reads every secret of the bulk namespace; fails when it reads some but not all.</summary>
    private static bool LeaverReadsAllOrNothing(TempStore store, ClientCreated leaver, Dictionary<string, int> versions, string context)
    {
        using var session = Connect(store, leaver);
        var readable = 0;
        foreach (var name in versions.Keys)
        {
            try
            {
                using var read = session.GetSecret(CrashProtocol.BulkNamespace, name);
                readable++;
            }
            catch (AccessDeniedException)
            {
            }
        }

        session.FlushAudit();
        Assert.True(readable == 0 || readable == versions.Count, $"{context}: the leaver reads {readable} of {versions.Count} secrets; all or none.");
        return readable == versions.Count;
    }

    /// <summary>How many of the bulk namespace's key generations are wrapped to the leaver, from the file itself.</summary>
    private static long LeaverNamespaceStanzas(TempStore store, ClientCreated leaver) =>
        (long)RawDb.Scalar(store.Path,
            "SELECT count(*) FROM stanzas s JOIN namespaces n ON n.id = s.scope_id WHERE s.scope_kind = 1 AND n.name = $ns AND s.client_id = $client",
            ("$ns", CrashProtocol.BulkNamespace), ("$client", RawDb.Uuid(leaver.Client.Id)))!;

    private static void Populate(Session session, string ns, IReadOnlyDictionary<string, int> versions)
    {
        foreach (var (name, count) in versions)
        {
            for (var version = 1; version <= count; version++)
            {
                using var value = SecretValue.FromString(CrashProtocol.ValueOf(name, version));
                session.SetSecret(ns, name, value);
            }
        }
    }

    /// <summary>A member with a generated secret and read on <paramref name="ns"/>.</summary>
    private static ClientCreated AddMember(TempStore store, string name, string ns)
    {
        using var system = store.ConnectSystem();
        var created = system.AddClient(name, new ClientCredentialSpec { Kind = ClientKind.Generated });
        system.Grant(name, ns, null, Permissions.Read);
        return created;
    }

    private static Session Connect(TempStore store, ClientCreated client)
    {
        using var credential = ClientCredential.FromGeneratedSecret(client.ClientSecret!);
        return store.Connect(client.Client.Name, credential);
    }

    private static Session? TryConnect(TempStore store, string rotatorPassphrase)
    {
        using var credential = ClientCredential.FromPassphrase(rotatorPassphrase);
        try
        {
            return store.Connect(CrashProtocol.Rotator, credential);
        }
        catch (AuthenticationFailedException)
        {
            return null;
        }
    }

    private static bool Works(TempStore store, string rotatorPassphrase)
    {
        using var session = TryConnect(store, rotatorPassphrase);
        return session is not null;
    }

    private static int Generation(string word) => int.Parse(word["generation=".Length..], CultureInfo.InvariantCulture);

    /// <summary>
    /// A store whose bulk namespace holds 2,000 secrets (enough that a rotation takes a while) and the marker, read
    /// by the keeper and the leaver. Filled once, on first use (a few seconds); each test works on its own copy.
    /// </summary>
    public sealed class BulkStore : IDisposable
    {
        private const int Secrets = 2000;
        private readonly Lazy<(TempStore Store, ClientCreated Keeper, ClientCreated Leaver)> filled = new(() =>
        {
            var store = new TempStore();
            using (var system = store.ConnectSystem())
            {
                system.CreateNamespace(CrashProtocol.BulkNamespace);
                Populate(system, CrashProtocol.BulkNamespace, Versions());
            }

            return (store, AddMember(store, CrashProtocol.Keeper, CrashProtocol.BulkNamespace), AddMember(store, CrashProtocol.Leaver, CrashProtocol.BulkNamespace));
        });

        public TempStore Template => filled.Value.Store;

        public ClientCreated Keeper => filled.Value.Keeper;

        public ClientCreated Leaver => filled.Value.Leaver;

        public void Dispose()
        {
            if (filled.IsValueCreated)
            {
                filled.Value.Store.Dispose();
            }
        }

        /// <summary>Every secret of the bulk namespace and its version in the template.</summary>
        public static Dictionary<string, int> Versions()
        {
            var versions = Enumerable.Range(0, Secrets).ToDictionary(i => $"b{i:D4}", _ => 1);
            versions[CrashProtocol.Marker] = 1;
            return versions;
        }
    }
}
