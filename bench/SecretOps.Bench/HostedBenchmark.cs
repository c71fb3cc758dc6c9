using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.ReferenceLibs;
using SecretOps.Core.Remote;
using SecretOps.Core.Storage.Sqlite;

namespace SecretOps.Bench;

/// <summary>
/// <c>hosted</c>: a warm get and a warm set on a store the real server hosts (out/server/, HTTPS on 127.0.0.1, SQLite
/// in a temporary folder and, with <c>--postgres</c>, PostgreSQL), for issue 16. A store file is made, its clients
/// enrolled with the server's operator command and the file pushed; then up to 16 in-process clients, each a real
/// <see cref="Session"/> on a <see cref="RemoteStoreBackend"/> with its own replica (its own state directory), each
/// connected once. A get is <see cref="Session.GetSecret"/> and <see cref="Session.FlushAudit"/> (what a warm
/// <c>Get-Secret</c> costs: the value read and its audit entry committed at the server); a set is
/// <see cref="Session.SetSecret"/> of a new version. The floor is bare Kestrel (<see cref="FloorEndpoint"/>) answering
/// the same round trips, of the same sizes, that a get and a set make when no other client writes between them. The
/// endpoints take turns round by round with the first one rotating, as in <see cref="ServerBenchmark"/>.
/// </summary>
internal sealed partial class HostedBenchmark : IBenchmark
{
    private const int DefaultOperations = 800;
    private const int QuickOperations = 240;
    private const double TargetRatio = 2.0;
    private const string FloorName = "bare Kestrel";
    private const string PostgresVariable = "SECRETOPS_SERVER_POSTGRES_CONNECTION";
    private const string Namespace = SecretStore.DefaultNamespace;
    private const string ReadName = "db-password";
    private const string ReadValue = "a warm read of a 32-char secret.";

    private static readonly int[] ClientCounts = [1, 4, 16];
    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");

    private string postgresNote = "not measured (no --postgres)";

    internal enum Operation
    {
        Get,
        Set,
    }

    /// <summary>One client's part of an operation at an endpoint; throws when it fails.</summary>
    private interface ITarget : IDisposable
    {
        string Name { get; }

        /// <summary>What the server logged about the store API so far (null for the floor).</summary>
        RouteTally? Tally { get; }

        void Run(int client, Operation operation);
    }

    public string Name => "hosted";

    public string Description => "warm get and set on a store the server hosts, 16 real sessions on their own replicas vs bare Kestrel, 1/4/16 clients (--quick, --requests, --postgres)";

    public string Title => "Hosted store: warm get and set";

    public int DefaultRuns => 4;

    /// <summary>Not part of <c>all</c>: it runs the server built separately into out/server/ and needs openssl.</summary>
    public bool InSuite => false;

    public IReadOnlyList<(string Label, string Value)> MachineNotes()
    {
        var server = ServerBenchmark.ServerAssembly(Harness.RepoRoot());
        return
        [
            ("Server", File.Exists(server)
                ? $"{server}, built {File.GetLastWriteTimeUtc(server):yyyy-MM-dd HH:mm} UTC; default settings (log level Information: one JSON line per request)"
                : $"{server} (missing)"),
            ("Temporary folder (the server's SQLite database, its replica, every client's replica)", $"{Path.GetTempPath()} on {ServerBenchmark.FileSystemOf(Path.GetTempPath())}"),
            ("PostgreSQL", postgresNote),
            ("openssl", OpenSsl.UnavailableReason ?? OpenSsl.Run("version").Trim()),
        ];
    }

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var serverAssembly = ServerBenchmark.ServerAssembly(Harness.RepoRoot());
        if (!File.Exists(serverAssembly))
        {
            throw new BenchmarkFailedException($"{serverAssembly} does not exist; build it first (dotnet build src/SecretOps.Server -c Release).");
        }

        if (OpenSsl.UnavailableReason is { } noOpenSsl)
        {
            throw new BenchmarkFailedException(noOpenSsl);
        }

        var operations = options.Requests ?? (options.Quick ? QuickOperations : DefaultOperations);
        var work = Directory.CreateTempSubdirectory("secretops-bench-hosted-").FullName;
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var processes = new List<ServingProcess>();
        var targets = new List<ITarget>();
        try
        {
            // Local heads and the like go to the work folder, not this user's state.
            Environment.SetEnvironmentVariable("XDG_STATE_HOME", Path.Combine(work, "xdg-state"));
            var tls = ServerBenchmark.MakeCertificate(work);
            var clientCount = ClientCounts.Max();
            progress.WriteLine($"hosted: creating a store file with {clientCount} clients (Read and Write on '{Namespace}')");
            var source = CreateStore(Path.Combine(work, "source.db"), clientCount);

            var storages = new List<(string Name, string[] Flags, Dictionary<string, string?> Environment)>
            {
                ("SQLite", ["--sqlite-path", Path.Combine(work, "server.db")], new()),
            };
            if (options.PostgresConnection is { } postgres)
            {
                storages.Add(("PostgreSQL", ["--storage", "postgres"], new() { [PostgresVariable] = postgres }));
                postgresNote = "measured, on the database given with --postgres (it must hold no hosted store yet)";
            }

            Sizes? sizes = null;
            foreach (var (storageName, flags, environment) in storages)
            {
                progress.WriteLine($"hosted: enrolling {clientCount + 1} clients and starting the server on {storageName}");
                var systemToken = ServerBenchmark.Enrol(serverAssembly, source.SystemId, flags, environment);
                var tokens = source.Clients.Select(c => ServerBenchmark.Enrol(serverAssembly, c.Id, flags, environment)).ToList();
                var tally = new RouteTally();
                var server = ServingProcess.Start($"the server on {storageName}", ChildProcess.StartInfo(
                    [ServerBenchmark.DotnetHost(), serverAssembly, "--listen", "127.0.0.1", "--port", "0", "--cert", tls.CertificatePath, "--key", tls.KeyPath, .. flags], environment),
                    line => ServerBenchmark.ListeningLine().Match(line) is { Success: true } match ? int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture) : null,
                    tally.Observe);
                processes.Add(server);
                var address = $"https://127.0.0.1:{server.WaitForPort().ToString(CultureInfo.InvariantCulture)}";

                progress.WriteLine($"hosted: pushing the store to the server on {storageName}, connecting {clientCount} sessions (each its own replica)");
                var copy = Path.Combine(work, $"push-{storageName}.db");
                SqliteBackend.CopyFile(source.Path, copy);
                RemoteStoreBackend.Open(address, systemToken, tls.CertificatePath, Path.Combine(work, $"state-{storageName}-push")).Push(copy);
                var hosted = new HostedTarget(storageName, tally);
                targets.Add(hosted);
                for (var i = 0; i < clientCount; i++)
                {
                    var backend = RemoteStoreBackend.Open(address, tokens[i], tls.CertificatePath, Path.Combine(work, $"state-{storageName}-{i:D2}"));
                    hosted.Add(SecretStore.OpenOver(backend), source.Clients[i]);
                }

                // A get and a set each, untimed: the sizes of their requests are what the floor is given.
                sizes ??= MeasureSizes(hosted, address, systemToken, tls);
            }

            File.WriteAllBytes(Path.Combine(work, "get.bin"), sizes!.ChangesAnswer);
            File.WriteAllBytes(Path.Combine(work, "post.json"), sizes.WriteAnswer);
            progress.WriteLine("hosted: starting the bare Kestrel endpoint");
            var floorProcess = ServingProcess.Start(FloorName, ChildProcess.StartInfo(
                [.. ChildProcess.Self(), FloorEndpoint.Command, tls.CertificatePath, tls.KeyPath, Path.Combine(work, "get.bin"), Path.Combine(work, "post.json")]),
                line => line.StartsWith(FloorEndpoint.ListeningPrefix, StringComparison.Ordinal)
                    ? int.Parse(line[FloorEndpoint.ListeningPrefix.Length..], CultureInfo.InvariantCulture)
                    : null);
            processes.Add(floorProcess);
            var floorEndpoint = new ServerBenchmark.Endpoint(FloorName, floorProcess.WaitForPort(), tls.Hash, token: null);
            targets.Insert(0, new FloorTarget(floorEndpoint, clientCount, sizes));

            var cells = Measure(targets, operations, options.Runs, progress);
            var losses = targets.OfType<HostedTarget>().ToDictionary(t => t.Name, t =>
            {
                progress.WriteLine($"hosted: reading back every acknowledged set on {t.Name}");
                return t.CheckSets();
            }, StringComparer.Ordinal);
            var servers = targets.Skip(1).Select(t => t.Name).ToList();
            return new BenchmarkResult(Body(cells, losses, sizes, servers, options.Runs, operations), Targets(cells, losses, servers));
        }
        finally
        {
            targets.ForEach(t => t.Dispose());
            processes.ForEach(p => p.Dispose());
            SecretStore.ReleaseConnections();
            Environment.SetEnvironmentVariable("XDG_STATE_HOME", stateHome);
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>A store file with its System client and <paramref name="count"/> member clients that may read and write the namespace, and the secret every get reads.</summary>
    private static SourceStore CreateStore(string path, int count)
    {
        var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true });
        using var credential = ClientCredential.FromGeneratedSecret(created.ClientSecret!);
        var clients = new List<ClientSecret>();
        using (var system = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential))
        {
            for (var i = 0; i < count; i++)
            {
                var name = $"bench-{i:D2}";
                var added = system.AddClient(name, new ClientCredentialSpec { Kind = ClientKind.Generated });
                system.Grant(name, Namespace, null, Permissions.Read | Permissions.Write);
                clients.Add(new ClientSecret(added.Client.Id, name, added.ClientSecret!));
            }

            using var value = SecretValue.FromString(ReadValue);
            system.SetSecret(Namespace, ReadName, value);
        }

        SecretStore.ReleaseConnections();
        return new SourceStore(path, created.ClientId, clients);
    }

    /// <summary>
    /// The sizes of a warm get's and a warm set's requests, from the log itself: one of each by the first client, then
    /// the entries they became read back with a signed <c>GET</c>.
    /// </summary>
    private static Sizes MeasureSizes(HostedTarget hosted, string address, string systemToken, ServerBenchmark.TlsFiles tls)
    {
        var port = new Uri(address).Port;
        using var endpoint = new ServerBenchmark.Endpoint("sizes", port, tls.Hash, systemToken);
        using var client = endpoint.NewClient();
        StoreChanges Changes(long after)
        {
            using var response = client.GetAsync($"{StorePaths.Changes}?after={after.ToString(CultureInfo.InvariantCulture)}").GetAwaiter().GetResult();
            response.EnsureSuccessStatusCode();
            return StoreChanges.Decode(response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult());
        }

        hosted.Run(0, Operation.Get);
        var head = Changes(1).Head;
        var getBatch = Changes(head - 1).Entries.Single().Content.Length;
        hosted.Run(0, Operation.Set);
        var afterSet = Changes(head).Entries.Single();
        var upToDate = Changes(afterSet.Revision).Encode();
        var written = Encoding.UTF8.GetBytes($"{{\"revision\":{(afterSet.Revision + 1).ToString(CultureInfo.InvariantCulture)}}}");
        return new Sizes(upToDate, written, getBatch, afterSet.Content.Length);
    }

    private static Dictionary<(string Target, Operation Operation, int Clients), Cell> Measure(IReadOnlyList<ITarget> targets, int operations, int rounds, TextWriter progress)
    {
        var cells = new Dictionary<(string, Operation, int), Cell>();
        progress.WriteLine("hosted: letting the JIT settle (untimed operations at every endpoint, three times)");
        var settling = targets.ToDictionary(t => t.Name, _ => new Cell(), StringComparer.Ordinal);
        foreach (var pause in new[] { 200, 500, 500 })
        {
            foreach (var target in targets)
            {
                foreach (var operation in Enum.GetValues<Operation>())
                {
                    RunRound(target, operation, 4, 10, settling[target.Name], timed: false);
                }
            }

            Thread.Sleep(pause);
        }

        foreach (var clientCount in ClientCounts)
        {
            var perClient = Math.Max(1, (int)Math.Ceiling(operations / (double)(rounds * clientCount)));
            foreach (var operation in Enum.GetValues<Operation>())
            {
                foreach (var target in targets)
                {
                    var cell = cells[(target.Name, operation, clientCount)] = new Cell();
                    if (settling.Remove(target.Name, out var settled))
                    {
                        // The first cell carries the errors made while the JIT settled.
                        cell.Sent += settled.Sent;
                        cell.Errors += settled.Errors;
                        cell.FirstError ??= settled.FirstError;
                    }

                    // Every client's replica brought up to date and this many clients' paths warmed, untimed.
                    RunRound(target, operation, clientCount, Math.Max(3, 40 / clientCount), cell, timed: false);
                }

                for (var round = 0; round < rounds; round++)
                {
                    for (var k = 0; k < targets.Count; k++)
                    {
                        var target = targets[(round + k) % targets.Count];
                        Harness.FullGc();
                        RunRound(target, operation, clientCount, perClient, cells[(target.Name, operation, clientCount)], timed: true);
                    }
                }

                progress.WriteLine($"  {operation.ToString().ToLowerInvariant()}, {Clients(clientCount)}: " + string.Join("; ", targets.Select(t =>
                {
                    var cell = cells[(t.Name, operation, clientCount)];
                    return $"{t.Name} p50 {ServerBenchmark.FormatMs(cell.P50)} ms, {cell.PerSecond:0} ops/s, {cell.Errors} errors{RoundTrips(cell)}";
                })));
            }
        }

        return cells;
    }

    /// <summary>
    /// <paramref name="clientCount"/> clients, each on a thread of its own, run <paramref name="perClient"/> operations one
    /// after another, all at once; when <paramref name="timed"/>, each successful operation's latency, the round's
    /// wall-clock time and what the server logged meanwhile go into <paramref name="cell"/>. Errors are counted either way.
    /// </summary>
    private static void RunRound(ITarget target, Operation operation, int clientCount, int perClient, Cell cell, bool timed)
    {
        var results = new (List<double> Latencies, List<string> Errors)[clientCount];
        using var start = new Barrier(clientCount + 1);
        var threads = Enumerable.Range(0, clientCount).Select(client => new Thread(() =>
        {
            var latencies = new List<double>(perClient);
            var errors = new List<string>();
            start.SignalAndWait();
            for (var i = 0; i < perClient; i++)
            {
                var began = Stopwatch.GetTimestamp();
                try
                {
                    target.Run(client, operation);
                    latencies.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                }
                catch (Exception e)
                {
                    errors.Add($"{e.GetType().Name}: {e.Message}");
                }
            }

            results[client] = (latencies, errors);
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        var before = target.Tally?.Snapshot();
        start.SignalAndWait();
        var started = Stopwatch.GetTimestamp();
        threads.ForEach(t => t.Join());
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        foreach (var (latencies, errors) in results)
        {
            cell.Sent += perClient;
            cell.Errors += errors.Count;
            cell.FirstError ??= errors.FirstOrDefault();
            if (timed)
            {
                cell.Latencies.AddRange(latencies);
            }
        }

        if (timed)
        {
            cell.Seconds += elapsed;
            if (before is not null)
            {
                // The server logs each request as it answers; give the last lines a moment to arrive.
                Thread.Sleep(100);
                cell.AddServer(target.Tally!.Snapshot().Minus(before));
            }
        }
    }

    private static string Body(Dictionary<(string Target, Operation Operation, int Clients), Cell> cells, Dictionary<string, Loss> losses, Sizes sizes,
                               IReadOnlyList<string> servers, int rounds, int operations)
    {
        var body = new StringBuilder();
        body.AppendLine(
            $"Each client is a real `Session` on `RemoteStoreBackend`, its own replica in its own state directory, connected once before anything is timed. "
            + $"**get** is `GetSecret(\"{Namespace}\", \"{ReadName}\")` then `FlushAudit()` (what a warm `Get-Secret` costs: the value read on the replica after a sync, and its audit entry committed at the server); "
            + "**set** is `SetSecret` of a new version of the client's own secret (`set-NN`, 40-character values). "
            + "Every acknowledged set is read back afterwards (its version, its value).");
        body.AppendLine();
        body.AppendLine(
            $"**The floor** ({FloorName}, a process of its own, the same certificate) answers the round trips a get and a set make when no other client wrote in between, with the same sizes, over one keep-alive HTTPS connection per client, unsigned: "
            + $"a get is `GET /v1/store/changes?after=R` (the read's sync; answer {sizes.ChangesAnswer.Length} bytes) and `POST ?base=R` with {sizes.GetBatch} bytes (the audit batch, sent without a second sync, the first being under 2 s old; answer `{{\"revision\":N}}`, {sizes.WriteAnswer.Length} bytes); "
            + $"a set, timed right after another operation, is one `POST` with {sizes.SetBatch} bytes (after 2 s idle it syncs first). "
            + "When another client wrote in between, the real client does more: its sync fetches and applies their batches, and its `POST` may be refused (409) and decided again. The server-side columns are from the server's own log lines for the timed rounds: requests per operation, and the time it reports spending on them (from the request's arrival to its answer, the signature check, nonce and audit rows included).");
        body.AppendLine();
        body.AppendLine(
            $"About {operations} timed operations per endpoint, operation and client count, in {rounds} rounds in which the endpoints take turns, the first one rotating; before them, untimed warm-up operations (which also bring every replica up to date). Clients, servers and floor share the machine's cores.");
        body.AppendLine();
        foreach (var operation in Enum.GetValues<Operation>())
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"{(operation == Operation.Get ? "Warm get (GetSecret + FlushAudit)" : "Warm set (SetSecret, a new version)")}:").AppendLine();
            var headers = new List<string> { "clients", $"{FloorName} p50 / p99 (ms)", $"{FloorName} ops/s" };
            foreach (var server in servers)
            {
                headers.AddRange([$"{server} p50 / p99 (ms)", $"{server} ops/s", $"{server} / bare: p50, p99, ops/s", $"{server} requests per op (GET, POST 200, POST 409)", $"{server} server ms per op (GETs, POSTs)"]);
            }

            headers.Add("errors");
            body.Append(Harness.MarkdownTable(headers, ClientCounts.Select(clientCount =>
            {
                var floor = cells[(FloorName, operation, clientCount)];
                var row = new List<string> { clientCount.ToString(CultureInfo.InvariantCulture), $"{ServerBenchmark.FormatMs(floor.P50)} / {ServerBenchmark.FormatMs(floor.P99)}", floor.PerSecond.ToString("0", CultureInfo.InvariantCulture) };
                foreach (var server in servers)
                {
                    var cell = cells[(server, operation, clientCount)];
                    var ops = Math.Max(1, cell.Latencies.Count);
                    row.AddRange(
                    [
                        $"{ServerBenchmark.FormatMs(cell.P50)} / {ServerBenchmark.FormatMs(cell.P99)}",
                        cell.PerSecond.ToString("0", CultureInfo.InvariantCulture),
                        $"{Harness.FormatRatio(cell.P50 / floor.P50)}x, {Harness.FormatRatio(cell.P99 / floor.P99)}x, {Harness.FormatRatio(cell.PerSecond / floor.PerSecond)}x",
                        string.Create(CultureInfo.InvariantCulture, $"{cell.Server.Gets / (double)ops:0.00}, {cell.Server.Written / (double)ops:0.00}, {cell.Server.Conflicts / (double)ops:0.00}"),
                        string.Create(CultureInfo.InvariantCulture, $"{cell.Server.GetMilliseconds / ops:0.00}, {cell.Server.PostMilliseconds / ops:0.00}"),
                    ]);
                }

                row.Add(string.Join(", ", new[] { FloorName }.Concat(servers).Select(name => $"{name} {cells[(name, operation, clientCount)].Errors}")));
                return (IReadOnlyList<string>)row;
            })));
            body.AppendLine();
        }

        foreach (var (server, loss) in losses)
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"Acknowledged sets on {server}: {loss.Acknowledged}, read back with their value: {loss.Acknowledged - loss.Lost}, lost: {loss.Lost}{(loss.FirstProblem is null ? "" : $" (first: {loss.FirstProblem})")}.").AppendLine();
        }

        foreach (var (key, cell) in cells.Where(c => c.Value.FirstError is not null))
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"First error of {key.Target}, {key.Operation.ToString().ToLowerInvariant()}, {Clients(key.Clients)}: {cell.FirstError}").AppendLine();
        }

        if (!servers.Contains("PostgreSQL"))
        {
            body.AppendLine("PostgreSQL was not measured: add `--postgres \"Host=…;Port=…;Database=…;Username=…;Password=…\"` (a database that hosts no store yet).").AppendLine();
        }

        return body.ToString();
    }

    private static List<TargetOutcome> Targets(Dictionary<(string Target, Operation Operation, int Clients), Cell> cells, Dictionary<string, Loss> losses, IReadOnlyList<string> servers)
    {
        var targets = new List<TargetOutcome>();
        foreach (var server in servers)
        {
            var ratios = ClientCounts.Select(n => (Clients: n, Ratio: cells[(server, Operation.Get, n)].P50 / cells[(FloorName, Operation.Get, n)].P50)).ToList();
            var worst = ratios.MaxBy(r => r.Ratio);
            targets.Add(new TargetOutcome(
                $"p50 get ≤ {TargetRatio:0}x the bare endpoint, {server}",
                string.Join("; ", ClientCounts.Select(n => $"{n}: {ServerBenchmark.FormatMs(cells[(server, Operation.Get, n)].P50)} vs {ServerBenchmark.FormatMs(cells[(FloorName, Operation.Get, n)].P50)} ms")),
                $"{Harness.FormatRatio(worst.Ratio)}x at {Clients(worst.Clients)} (worst)",
                ratios.All(r => r.Ratio <= TargetRatio)));
            var atMost = ClientCounts.Max();
            var serverCells = Enum.GetValues<Operation>().Select(o => cells[(server, o, atMost)]).ToList();
            var errors = serverCells.Sum(c => c.Errors);
            var loss = losses[server];
            targets.Add(new TargetOutcome(
                $"no error or loss at {atMost} clients, {server}",
                $"{errors} errors in {serverCells.Sum(c => c.Sent)} gets and sets (warm-up included); {loss.Lost} of {loss.Acknowledged} acknowledged sets (every client count) lost",
                string.Empty,
                errors == 0 && loss.Lost == 0));
        }

        return targets;
    }

    private static string RoundTrips(Cell cell) => cell.Latencies.Count == 0 || cell.Server.Gets + cell.Server.Written == 0
        ? string.Empty
        : string.Create(CultureInfo.InvariantCulture, $", per op {cell.Server.Gets / (double)cell.Latencies.Count:0.00} GET {cell.Server.Written / (double)cell.Latencies.Count:0.00} POST {cell.Server.Conflicts / (double)cell.Latencies.Count:0.00} 409");

    private static string Clients(int count) => count == 1 ? "1 client" : $"{count} clients";

    [GeneratedRegex("\"Message\":\"(?<method>GET|POST) /v1/store/changes[^ ]* (?<status>[0-9]+) (?<ms>[0-9.]+) ms")]
    private static partial Regex StoreRequestLine();

    private sealed record ClientSecret(Guid Id, string Name, string Secret);

    private sealed record SourceStore(string Path, Guid SystemId, IReadOnlyList<ClientSecret> Clients);

    /// <summary>What the floor answers and how much it is sent: a sync's answer when nothing changed, a write's answer, the audit batch of a get and the batch of a set.</summary>
    private sealed record Sizes(byte[] ChangesAnswer, byte[] WriteAnswer, int GetBatch, int SetBatch);

    private sealed record Loss(int Acknowledged, int Lost, string? FirstProblem);

    /// <summary>Counts of the store API's requests the server logged, and the time it says it spent on them.</summary>
    private sealed record ServerWork(long Gets, long Written, long Conflicts, double GetMilliseconds, double PostMilliseconds)
    {
        public ServerWork Minus(ServerWork other) =>
            new(Gets - other.Gets, Written - other.Written, Conflicts - other.Conflicts, GetMilliseconds - other.GetMilliseconds, PostMilliseconds - other.PostMilliseconds);

        public ServerWork Plus(ServerWork other) =>
            new(Gets + other.Gets, Written + other.Written, Conflicts + other.Conflicts, GetMilliseconds + other.GetMilliseconds, PostMilliseconds + other.PostMilliseconds);
    }

    /// <summary>Reads the server's request log lines as they come.</summary>
    private sealed class RouteTally
    {
        private readonly object gate = new();
        private ServerWork work = new(0, 0, 0, 0, 0);

        public void Observe(string line)
        {
            if (StoreRequestLine().Match(line) is not { Success: true } match)
            {
                return;
            }

            var ms = double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture);
            var get = match.Groups["method"].Value == "GET";
            var status = match.Groups["status"].Value;
            lock (gate)
            {
                work = work.Plus(new ServerWork(get ? 1 : 0, !get && status == "200" ? 1 : 0, !get && status == "409" ? 1 : 0, get ? ms : 0, get ? 0 : ms));
            }
        }

        public ServerWork Snapshot()
        {
            lock (gate)
            {
                return work;
            }
        }
    }

    /// <summary>As <see cref="ServerBenchmark"/>'s cell, with what the server logged during the timed rounds.</summary>
    private sealed class Cell
    {
        public List<double> Latencies { get; } = [];

        public int Sent { get; set; }

        public int Errors { get; set; }

        public string? FirstError { get; set; }

        public double Seconds { get; set; }

        public ServerWork Server { get; private set; } = new(0, 0, 0, 0, 0);

        public double P50 => Latencies.Count == 0 ? double.NaN : Harness.Percentile(Latencies, 0.50);

        public double P99 => Latencies.Count == 0 ? double.NaN : Harness.Percentile(Latencies, 0.99);

        public double PerSecond => Latencies.Count / Seconds;

        public void AddServer(ServerWork work) => Server = Server.Plus(work);
    }

    /// <summary>The server on one storage: one connected session per client, each on its own replica.</summary>
    private sealed class HostedTarget(string name, RouteTally tally) : ITarget
    {
        private readonly List<Session> sessions = [];
        private readonly List<string> clientNames = [];
        private readonly ConcurrentDictionary<int, List<(int Version, string Value)>> acknowledged = new();
        private readonly ConcurrentDictionary<int, int> counters = new();

        public string Name => name;

        public RouteTally? Tally => tally;

        public void Add(SecretStore store, ClientSecret client)
        {
            using var credential = ClientCredential.FromGeneratedSecret(client.Secret);
            var session = store.Connect(client.Name, credential);
            sessions.Add(session);
            clientNames.Add(client.Name);

            // Warm: the connect's audit entry written, the namespace's key unwrapped.
            Run(sessions.Count - 1, Operation.Get);
        }

        public void Run(int client, Operation operation)
        {
            var session = sessions[client];
            if (operation == Operation.Get)
            {
                using (var read = session.GetSecret(Namespace, ReadName))
                {
                    if (read.Value.GetString() != ReadValue)
                    {
                        throw new BenchmarkFailedException($"{clientNames[client]} read another value.");
                    }
                }

                session.FlushAudit();
                return;
            }

            var sequence = counters.AddOrUpdate(client, 1, (_, n) => n + 1);
            var text = $"{client:D2}-{sequence:D8}-".PadRight(40, 'v');
            using var value = SecretValue.FromString(text);
            var entry = session.SetSecret(Namespace, $"set-{client:D2}", value);
            acknowledged.GetOrAdd(client, _ => []).Add((entry.Version, text));
        }

        /// <summary>Every acknowledged set read back by the first client, synced with the server first.</summary>
        public Loss CheckSets()
        {
            var reader = sessions[0];
            var total = 0;
            var lost = 0;
            string? first = null;
            foreach (var (client, sets) in acknowledged)
            {
                foreach (var (version, text) in sets)
                {
                    total++;
                    try
                    {
                        using var read = reader.GetSecret(Namespace, $"set-{client:D2}", version);
                        if (read.Value.GetString() != text)
                        {
                            lost++;
                            first ??= $"set-{client:D2} version {version} holds another value";
                        }
                    }
                    catch (SecretOpsException e)
                    {
                        lost++;
                        first ??= $"set-{client:D2} version {version}: {e.Message}";
                    }
                }
            }

            reader.FlushAudit();
            return new Loss(total, lost, first);
        }

        public void Dispose() => sessions.ForEach(s => s.Dispose());
    }

    /// <summary>Bare Kestrel: a get's two round trips and a set's one, of the same sizes, on one connection per client.</summary>
    private sealed class FloorTarget : ITarget
    {
        private readonly ServerBenchmark.Endpoint endpoint;
        private readonly List<HttpClient> clients;
        private readonly Sizes sizes;
        private readonly byte[] getBatch;
        private readonly byte[] setBatch;

        public FloorTarget(ServerBenchmark.Endpoint endpoint, int count, Sizes sizes)
        {
            this.endpoint = endpoint;
            this.sizes = sizes;
            clients = Enumerable.Range(0, count).Select(_ => endpoint.NewClient()).ToList();
            getBatch = new byte[sizes.GetBatch];
            setBatch = new byte[sizes.SetBatch];
            Random.Shared.NextBytes(getBatch);
            Random.Shared.NextBytes(setBatch);
        }

        public string Name => FloorName;

        public RouteTally? Tally => null;

        public void Run(int client, Operation operation)
        {
            var http = clients[client];
            if (operation == Operation.Get)
            {
                // The read's sync. The audit write, and a set right after another operation, skip theirs (a sync under 2 s old).
                Sync(http);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, $"{StorePaths.Changes}?base=1000")
            {
                Content = new ByteArrayContent(operation == Operation.Get ? getBatch : setBatch) { Headers = { ContentType = OctetStream } },
            };
            Expect(http.Send(request, HttpCompletionOption.ResponseContentRead), sizes.WriteAnswer.Length);
        }

        public void Dispose()
        {
            clients.ForEach(c => c.Dispose());
            endpoint.Dispose();
        }

        private void Sync(HttpClient http)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{StorePaths.Changes}?after=1000");
            Expect(http.Send(request, HttpCompletionOption.ResponseContentRead), sizes.ChangesAnswer.Length);
        }

        private static void Expect(HttpResponseMessage response, int length)
        {
            using (response)
            {
                var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                if (!response.IsSuccessStatusCode || body.Length != length)
                {
                    throw new BenchmarkFailedException($"The floor answered {(int)response.StatusCode} with {body.Length} bytes.");
                }
            }
        }
    }
}
