using System.Diagnostics;
using System.Globalization;
using System.Text;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;

namespace SecretOps.Bench;

/// <summary>
/// <c>scale</c>: stores of 1,000 and 100,000 secrets in one namespace. Listing the whole namespace at both
/// sizes (target: under 1 s at 100,000), and get and set of random existing secrets at 1,000 against 100,000
/// alternately (target: at most 1.2x). The secrets come from a working set of the same size in both stores,
/// so both sides measure operations on secrets whose keys the session holds: what differs is the store's size,
/// not the share of a session's first touches (which also unwrap a key, at any size).
/// </summary>
internal sealed class ScaleBenchmark : IBenchmark
{
    private const int Small = 1_000;
    private const int Large = 100_000;
    private const int OperationsPerRun = 200;
    private const int WorkingSet = 500;
    private const double ListLimitMilliseconds = 1000;
    private const double OperationRatioLimit = 1.2;
    private const string Namespace = "scale";

    public string Name => "scale";

    public string Description => "list, get and set in stores of 1,000 vs 100,000 secrets";

    public string Title => "Scale";

    // Listing the 100,000-secret namespace takes seconds per run before the performance work.
    public int DefaultRuns => 5;

    public IReadOnlyList<(string Label, string Value)> MachineNotes() => [];

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var seed = Random.Shared.Next();
        progress.WriteLine($"    random seed {seed}");
        var random = new Random(seed);
        var small = ScaleStore.Get(Small, progress);
        var large = ScaleStore.Get(Large, progress);
        try
        {
            using var smallSession = small.Connect();
            using var largeSession = large.Connect();
            var generation = 0;
            var listed = new Dictionary<int, int>();
            Candidate ListCandidate(int size, Session session) => new($"list {size:N0}",
                () => listed[size] = session.ListSecrets(Namespace).Count,
                () => Expect(listed[size] == size, $"listing the {size:N0}-secret namespace returned {listed[size]:N0} entries"));
            var workingSets = new[] { Small, Large }.ToDictionary(size => size, size => Enumerable.Range(0, WorkingSet).Select(_ => random.Next(size)).ToArray());
            string AnyOfWorkingSet(int size) => ScaleStore.SecretName(workingSets[size][random.Next(WorkingSet)]);
            Candidate GetCandidate(int size, Session session) => new($"get {size:N0}", () =>
            {
                for (var i = 0; i < OperationsPerRun; i++)
                {
                    using var read = session.GetSecret(Namespace, AnyOfWorkingSet(size));
                }

                session.FlushAudit();
            });
            Candidate SetCandidate(int size, Session session) => new($"set {size:N0}", () =>
            {
                generation++;
                for (var i = 0; i < OperationsPerRun; i++)
                {
                    using var value = SecretValue.FromString($"value-{generation}-{i}");
                    session.SetSecret(Namespace, AnyOfWorkingSet(size), value);
                }
            });

            Candidate[] candidates = [ListCandidate(Small, smallSession), ListCandidate(Large, largeSession), GetCandidate(Small, smallSession), GetCandidate(Large, largeSession), SetCandidate(Small, smallSession), SetCandidate(Large, largeSession)];
            Harness.SettleJit(candidates, rounds: 2, progress);
            var samples = Harness.MeasureAlternating(candidates, options.Runs, options.Warmups, progress);
            double Median(string name) => samples[name].MedianMilliseconds;
            double PerOperation(string name) => Median(name) / OperationsPerRun * 1000;
            var listLarge = Median($"list {Large:N0}");
            var getRatio = Median($"get {Large:N0}") / Median($"get {Small:N0}");
            var setRatio = Median($"set {Large:N0}") / Median($"set {Small:N0}");

            var body = new StringBuilder();
            body.AppendLine(CultureInfo.InvariantCulture,
                $"Two stores (WAL, synchronous=FULL, generated-secret System client) holding {Small:N0} and {Large:N0} secrets in one namespace, built once per process through Session.SetSecret. Each run lists the whole namespace of each store (Session.ListSecrets), and gets and sets {OperationsPerRun} random existing secrets in each, drawn from a working set of {WorkingSet} random secrets per store (random seed {seed}), so both sizes measure secrets whose keys the session holds; every candidate ran once per run in rotating order; medians of {options.Runs} runs.");
            body.AppendLine();
            body.Append(Harness.MarkdownTable(
                ["operation", $"{Small:N0} secrets", $"{Large:N0} secrets", $"{Large:N0} / {Small:N0}", "target", "result"],
                [
                    ["list the namespace (ms)", Harness.Format(Median($"list {Small:N0}")), Harness.Format(listLarge),
                        $"{Harness.FormatRatio(listLarge / Median($"list {Small:N0}"))}x", $"< {ListLimitMilliseconds:0} ms at {Large:N0}", listLarge < ListLimitMilliseconds ? "met" : "**missed**"],
                    ["get (µs per op)", Harness.Format(PerOperation($"get {Small:N0}")), Harness.Format(PerOperation($"get {Large:N0}")),
                        $"{Harness.FormatRatio(getRatio)}x", $"≤ {OperationRatioLimit:0.0}x", getRatio <= OperationRatioLimit ? "met" : "**missed**"],
                    ["set (µs per op)", Harness.Format(PerOperation($"set {Small:N0}")), Harness.Format(PerOperation($"set {Large:N0}")),
                        $"{Harness.FormatRatio(setRatio)}x", $"≤ {OperationRatioLimit:0.0}x", setRatio <= OperationRatioLimit ? "met" : "**missed**"],
                ]));
            body.AppendLine();
            body.AppendLine("Store files after the build (main file + write-ahead log), and how long the build took:");
            body.AppendLine();
            body.Append(Harness.MarkdownTable(["store", "store.db", "store.db-wal", "build"],
                new[] { small, large }.Select(s => (IReadOnlyList<string>)
                    [$"{s.Size:N0} secrets", Harness.FormatBytes(s.FileBytes), Harness.FormatBytes(s.WalBytes), $"{s.BuildTime.TotalSeconds:0.0} s"])));
            return new BenchmarkResult(body.ToString(),
            [
                new($"list all {Large:N0} secrets of a namespace < {ListLimitMilliseconds:0} ms", $"{Harness.Format(listLarge)} ms",
                    $"{Harness.FormatRatio(listLarge / ListLimitMilliseconds)}x of the limit", listLarge < ListLimitMilliseconds),
                new($"get at {Large:N0} secrets ≤ {OperationRatioLimit:0.0}x get at {Small:N0}", $"{Harness.Format(PerOperation($"get {Large:N0}"))} µs vs {Harness.Format(PerOperation($"get {Small:N0}"))} µs",
                    $"{Harness.FormatRatio(getRatio)}x", getRatio <= OperationRatioLimit),
                new($"set at {Large:N0} secrets ≤ {OperationRatioLimit:0.0}x set at {Small:N0}", $"{Harness.Format(PerOperation($"set {Large:N0}"))} µs vs {Harness.Format(PerOperation($"set {Small:N0}"))} µs",
                    $"{Harness.FormatRatio(setRatio)}x", setRatio <= OperationRatioLimit),
            ]);
        }
        finally
        {
            SecretStore.ReleaseConnections();
        }
    }

    private static void Expect(bool condition, string failure)
    {
        if (!condition)
        {
            throw new BenchmarkFailedException(failure);
        }
    }

    /// <summary>
    /// A store of <see cref="Size"/> secrets, built once per process and kept in a temporary directory (removed at
    /// exit), so a later run in the same process, e.g. under <c>all</c>, does not pay for the build again.
    /// </summary>
    private sealed class ScaleStore
    {
        private static readonly Dictionary<int, ScaleStore> Built = [];
        private static readonly Lazy<string> Directory = new(() =>
        {
            var path = System.IO.Directory.CreateTempSubdirectory("secretops-bench-scale-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                SecretStore.ReleaseConnections();
                System.IO.Directory.Delete(path, recursive: true);
            };
            return path;
        });

        private readonly string clientSecret;

        private ScaleStore(int size, string path, string clientSecret, TimeSpan buildTime)
        {
            Size = size;
            Path = path;
            this.clientSecret = clientSecret;
            BuildTime = buildTime;
            FileBytes = new FileInfo(path).Length;
            WalBytes = File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0;
        }

        public int Size { get; }

        public string Path { get; }

        public TimeSpan BuildTime { get; }

        public long FileBytes { get; }

        public long WalBytes { get; }

        public static string SecretName(int index) => $"service-{index:D6}/password";

        public static ScaleStore Get(int size, TextWriter progress)
        {
            if (!Built.TryGetValue(size, out var store))
            {
                store = Build(size, progress);
                Built[size] = store;
            }

            return store;
        }

        public Session Connect()
        {
            using var credential = ClientCredential.FromGeneratedSecret(clientSecret);
            return SecretStore.Open(Path).Connect(SecretStore.SystemClientName, credential, new SessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan });
        }

        /// <summary>
        /// One SetSecret per secret: Core's public API has no bulk import, and anything below it (raw SQL) would
        /// not build a store the way users do.
        /// </summary>
        private static ScaleStore Build(int size, TextWriter progress)
        {
            var path = System.IO.Path.Combine(Directory.Value, $"store-{size}.db");
            var watch = Stopwatch.StartNew();
            var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true });
            using (var credential = ClientCredential.FromGeneratedSecret(created.ClientSecret!))
            using (var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential, new SessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan }))
            {
                session.CreateNamespace(Namespace);
                for (var i = 0; i < size; i++)
                {
                    using var value = SecretValue.FromString($"value-{i:D6}-0123456789abcdef");
                    session.SetSecret(Namespace, SecretName(i), value);
                    if ((i + 1) % 10_000 == 0)
                    {
                        var rate = (i + 1) / watch.Elapsed.TotalSeconds;
                        progress.WriteLine($"    building {size:N0}: {i + 1:N0} secrets, about {(size - i - 1) / rate:0} s left");
                    }
                }
            }

            progress.WriteLine($"    built the {size:N0}-secret store in {watch.Elapsed.TotalSeconds:0.0} s");
            return new ScaleStore(size, path, created.ClientSecret!, watch.Elapsed);
        }
    }
}
