using System.Diagnostics;
using System.Globalization;
using IndependentReader;
using SecretOps.Server.Tests.Storage;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A hosted store under stress, through the real CLI and a real server process: several clients on several "machines"
/// writing at once, and the server killed with SIGKILL in the middle of writes and started again on the same port. What
/// the CLI acknowledged (exit 0) is never lost, what it did not is there whole or not at all, and the store passes its
/// check through the server and as a pulled file.
/// </summary>
public sealed class HostedReliabilityTests : IDisposable
{
    private const int Writers = 4;
    private const int SecretsPerWriter = 10;

    private readonly HostedClients clients = new();

    [Fact]
    public void FourMachinesWritingAtOnce_ThroughOneServer_LoseNothing_AndTheStoreChecksThroughTheServerAndPulled()
    {
        using var server = HostedServer.Start();
        var file = clients.File;
        var writerSecret = file.AddGenerated("writer");
        file.Ok("grant", "writer", "--namespace", "default", "--permissions", "read,write");
        var systemToken = server.Enrol(clients.ClientId("system"));
        var writerToken = server.Enrol(clients.ClientId("writer"));
        file.Ok(["store", "push", server.Store], stdin: null, clients.Machine(systemToken));

        // Two machines of each client, every one writing its own ten secrets while the others write theirs.
        var machines = Enumerable.Range(0, Writers)
            .Select(m => m % 2 == 0 ? clients.Machine(systemToken) : clients.Machine(writerToken, CliStore.As("writer", writerSecret)))
            .ToArray();
        var results = new CliResult[Writers, SecretsPerWriter];
        using (var start = new Barrier(Writers))
        {
            // A thread each (not the thread pool, which on two cores would start them one by one), released together.
            var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var writing = Enumerable.Range(0, Writers).Select(m => new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    for (var i = 0; i < SecretsPerWriter; i++)
                    {
                        results[m, i] = clients.Hosted(server, machines[m], "secret", "set", Name(m, i), "--value", Value(m, i));
                    }
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException)
                {
                    failures.Enqueue(e);
                }
            })).ToList();
            writing.ForEach(thread => thread.Start());
            writing.ForEach(thread => thread.Join());
            Assert.Empty(failures);
        }

        for (var m = 0; m < Writers; m++)
        {
            for (var i = 0; i < SecretsPerWriter; i++)
            {
                Assert.True(results[m, i].ExitCode == 0, $"set {Name(m, i)} on machine {m}: {results[m, i]}\nserver:\n{server.Output}");
            }
        }

        // A fifth machine sees every value, and the store passes its check through the server.
        var reader = clients.Machine(systemToken);
        var expected = Enumerable.Range(0, Writers).SelectMany(m => Enumerable.Range(0, SecretsPerWriter).Select(i => (Name: Name(m, i), Value: Value(m, i)))).ToList();
        Assert.Equal(expected.Select(e => e.Name).Order(StringComparer.Ordinal), clients.Names(server, reader).Order(StringComparer.Ordinal));
        AssertValues(expected, name => clients.Hosted(server, reader, "secret", "get", name));
        clients.HostedOk(server, reader, "store", "check");

        // So does the file a pull gives, every value read from it by the independent reader of the format.
        var pulled = Path.Combine(file.Directory, "pulled.db");
        file.Ok(["store", "pull", server.Store, pulled], stdin: null, reader);
        file.Ok(["--store", pulled, "store", "check"], stdin: null);
        Assert.All(expected, e => Assert.Equal(e.Value, FormatReader.Decrypt(pulled, "writer", writerSecret, "default", e.Name).Text));
    }

    [Fact]
    public void TheSqliteServer_KilledMidWrite_AndRestarted_KeepsEveryAcknowledgedWrite()
    {
        using var server = HostedServer.Start();
        clients.KillMidWrites(server, seed: 20261203);
    }

    /// <summary>Each value read back (in parallel: every read is a process of its own), equal to the one written.</summary>
    internal static void AssertValues(IReadOnlyList<(string Name, string Value)> expected, Func<string, CliResult> get)
    {
        var read = new CliResult[expected.Count];
        Parallel.For(0, expected.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => read[i] = get(expected[i].Name));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(read[i].ExitCode == 0 && read[i].Stdout == expected[i].Value, $"get {expected[i].Name}: expected '{expected[i].Value}'; {read[i]}");
        }
    }

    private static string Name(int machine, int i) => string.Create(CultureInfo.InvariantCulture, $"m{machine}-s{i}");

    private static string Value(int machine, int i) => string.Create(CultureInfo.InvariantCulture, $"value {i} from machine {machine}");

    public void Dispose() => clients.Dispose();
}

/// <summary>The SIGKILL test of <see cref="HostedReliabilityTests"/> with the server's database on PostgreSQL.</summary>
public sealed class HostedReliabilityPostgresTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>, IDisposable
{
    private readonly HostedClients clients = new();

    [Fact]
    public void ThePostgresServer_KilledMidWrite_AndRestarted_KeepsEveryAcknowledgedWrite()
    {
        cluster.Require();
        using var server = HostedServer.Start(postgresConnection: cluster.NewDatabase());
        clients.KillMidWrites(server, seed: 20261204);
    }

    public void Dispose() => clients.Dispose();
}

/// <summary>A file store made through the CLI (to push), and the clients' "machines" (state folders) that use a server.</summary>
internal sealed class HostedClients : IDisposable
{
    /// <summary>How many times the kill test kills the server.</summary>
    private const int Kills = 3;

    public CliStore File { get; } = CliStore.Create();

    /// <summary>A client's environment on a machine of its own: its token, and a state folder no other machine shares.</summary>
    public Dictionary<string, string?> Machine(string tokenFile, Dictionary<string, string?>? client = null) =>
        new(client ?? new Dictionary<string, string?>())
        {
            ["SECRETOPS_TOKEN_FILE"] = tokenFile,
            ["XDG_STATE_HOME"] = Directory.CreateDirectory(Path.Combine(File.Directory, "machine-" + Guid.NewGuid().ToString("N")[..8])).FullName,
        };

    public string ClientId(string name) => File.Json("client", "show", name).GetProperty("id").GetString()!;

    /// <summary>Runs the CLI on the hosted store from <paramref name="machine"/>, whatever its exit code.</summary>
    public CliResult Hosted(HostedServer server, Dictionary<string, string?> machine, params string[] arguments) =>
        File.Run(["--store", server.Store, .. arguments], stdin: (string?)null, machine);

    public CliResult HostedOk(HostedServer server, Dictionary<string, string?> machine, params string[] arguments) =>
        File.Ok(["--store", server.Store, .. arguments], stdin: null, machine);

    public List<string> Names(HostedServer server, Dictionary<string, string?> machine) =>
        File.Json(machine, ["--store", server.Store, "secret", "list"]).EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    /// <summary>
    /// One machine sets <c>k-0</c>, <c>k-1</c>, … one CLI process at a time; <see cref="Kills"/> times the server gets
    /// SIGKILL from another thread at a random moment (from <paramref name="seed"/>) while writes go on, and is started
    /// again on its port (rebuilding its replica from the log, in a new temporary folder). Then every acknowledged write
    /// reads back, every failed one is there with its value or absent, nothing else is there, and the store checks.
    /// </summary>
    public void KillMidWrites(HostedServer server, int seed)
    {
        var random = new Random(seed);
        var readerSecret = File.AddGenerated("reader");
        File.Ok("grant", "reader", "--namespace", "default", "--permissions", "read");
        var machine = Machine(server.Enrol(ClientId("system")));
        File.Ok(["store", "push", server.Store], stdin: null, machine);
        var writes = new List<(string Name, string Value, CliResult Result)>();
        var acknowledgedTimes = new List<double>();
        var inFlightKills = 0;
        var aroundKills = new List<string>();
        var restarting = TimeSpan.Zero;

        (long Started, long Ended) Write()
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"k-{writes.Count}");
            var value = string.Create(CultureInfo.InvariantCulture, $"value of {name}, {random.Next():x8}");
            var started = Stopwatch.GetTimestamp();
            var result = Hosted(server, machine, "secret", "set", name, "--value", value);
            var ended = Stopwatch.GetTimestamp();
            writes.Add((name, value, result));
            if (result.ExitCode == 0)
            {
                acknowledgedTimes.Add(Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds);
            }

            return (started, ended);
        }

        void Acknowledged(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Write();
                Assert.True(writes[^1].Result.ExitCode == 0, $"set {writes[^1].Name} (seed {seed}): {writes[^1].Result}\nserver:\n{server.Output}");
            }
        }

        for (var kill = 0; kill < Kills; kill++)
        {
            Acknowledged(1 + random.Next(2));

            // The kill lands somewhere in the life of the next write or so (a CLI process spends most of it starting and
            // syncing; the later part is the request), from another thread; writes go on until it has happened.
            var delay = TimeSpan.FromMilliseconds(acknowledgedTimes.Average() * (0.3 + (0.8 * random.NextDouble())));
            var killed = Task.Factory.StartNew(() =>
            {
                Thread.Sleep(delay);
                var at = Stopwatch.GetTimestamp();
                server.Kill();
                return at;
            }, TaskCreationOptions.LongRunning);
            var during = new List<(long Started, long Ended)>();
            do
            {
                during.Add(Write());
                aroundKills.Add(writes[^1].Name);
            }
            while (!killed.IsCompleted);

            var killedAt = killed.GetAwaiter().GetResult();
            inFlightKills += during.Any(w => w.Started <= killedAt && killedAt <= w.Ended) ? 1 : 0;
            var restart = Stopwatch.StartNew();
            server.Restart();
            restarting += restart.Elapsed;
        }

        // Writes go on after the last restart, and are acknowledged.
        Acknowledged(2);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"seed {seed}: {writes.Count} writes, {writes.Count(w => w.Result.ExitCode != 0)} failed, {inFlightKills} of {Kills} kills while a write was in flight, "
            + $"{acknowledgedTimes.Average() / 1000:0.0} s an acknowledged write, {restarting.TotalSeconds:0.0} s restarting");

        var present = Names(server, machine).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(writes.Select(w => w.Name).ToHashSet(StringComparer.Ordinal), present);
        var expected = writes.Where(w => w.Result.ExitCode == 0 || present.Contains(w.Name)).Select(w => (w.Name, w.Value)).ToList();
        Assert.All(writes.Where(w => w.Result.ExitCode == 0), w => Assert.Contains(w.Name, present));
        Assert.All(writes.Where(w => w.Result.ExitCode != 0), w =>
        {
            // Refused the way any command is refused: one line, no crash.
            Assert.StartsWith("secretops: ", w.Result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(" at SecretOps.", w.Result.Stderr, StringComparison.Ordinal);
        });
        HostedOk(server, machine, "store", "check");

        // The writes a kill came during, read through the server; every one read from a pulled file by the independent
        // reader of the format (a CLI process each would make the test minutes long on a loaded machine).
        HostedReliabilityTests.AssertValues(expected.Where(e => aroundKills.Contains(e.Name)).ToList(), name => Hosted(server, machine, "secret", "get", name));
        var pulled = Path.Combine(File.Directory, "pulled.db");
        File.Ok(["store", "pull", server.Store, pulled], stdin: null, machine);
        File.Ok(["--store", pulled, "store", "check"], stdin: null);
        Assert.All(expected, e => Assert.Equal(e.Value, FormatReader.Decrypt(pulled, "reader", readerSecret, "default", e.Name).Text));
    }

    public void Dispose() => File.Dispose();
}
