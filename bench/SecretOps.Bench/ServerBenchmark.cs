using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using SecretOps.Core.Remote;
using SecretOps.ReferenceLibs;

namespace SecretOps.Bench;

/// <summary>
/// <c>server</c>: the real server (out/server/, HTTPS on 127.0.0.1, SQLite in a temporary folder and, with
/// <c>--postgres</c>, PostgreSQL) against bare Kestrel answering the same bytes (<see cref="FloorEndpoint"/>), for
/// issue 16. Until the store API exists, <c>GET</c> and <c>POST /v1/whoami</c> stand in for a get and a set, so what is
/// measured is the signed-request pipeline's own cost. At 1, 4 and 16 concurrent clients, each a loop of requests over
/// its own keep-alive connection, the endpoints take turns round by round with the first one rotating, so load on the
/// machine falls on all of them.
/// </summary>
internal sealed partial class ServerBenchmark : IBenchmark
{
    private const int DefaultRequests = 4000;
    private const int QuickRequests = 1000;
    private const double TargetRatio = 2.0;
    private const string FloorName = "bare Kestrel";
    private const string PostgresVariable = "SECRETOPS_SERVER_POSTGRES_CONNECTION";

    private static readonly int[] ClientCounts = [1, 4, 16];

    // A set's request will carry a name and a wrapped value; this is about that size.
    private static readonly byte[] PostBody = Encoding.UTF8.GetBytes(
        """{"namespace":"default","name":"db-password","value":"bWFkZSB1cCB3cmFwcGVkIHZhbHVlIG9mIGFib3V0IHNpeHR5IGJ5dGVzLCBub3QgYSBzZWNyZXQ"}""");

    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private string postgresNote = "not measured (no --postgres)";

    private enum Operation
    {
        Get,
        Post,
    }

    public string Name => "server";

    public string Description => "the server's signed-request pipeline over HTTPS vs bare Kestrel, 1/4/16 clients (--quick, --requests, --postgres)";

    public string Title => "The server's request pipeline";

    /// <summary>Rounds: in each, every endpoint serves its share of the requests once, the first endpoint rotating.</summary>
    public int DefaultRuns => 4;

    /// <summary>
    /// Not part of <c>all</c>: it runs the server built separately into out/server/ and needs openssl, and until the
    /// store API exists it measures the authentication pipeline, not the store the other benchmarks measure.
    /// </summary>
    public bool InSuite => false;

    public IReadOnlyList<(string Label, string Value)> MachineNotes()
    {
        var server = ServerAssembly(Harness.RepoRoot());
        return
        [
            ("Server", File.Exists(server)
                ? $"{server}, built {File.GetLastWriteTimeUtc(server):yyyy-MM-dd HH:mm} UTC; default settings (log level Information: one JSON line per request)"
                : $"{server} (missing)"),
            ("Temporary folder (the SQLite database)", $"{Path.GetTempPath()} on {FileSystemOf(Path.GetTempPath())}"),
            ("PostgreSQL", postgresNote),
            ("openssl", OpenSsl.UnavailableReason ?? OpenSsl.Run("version").Trim()),
        ];
    }

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var serverAssembly = ServerAssembly(Harness.RepoRoot());
        if (!File.Exists(serverAssembly))
        {
            throw new BenchmarkFailedException($"{serverAssembly} does not exist; build it first (dotnet build src/SecretOps.Server -c Release).");
        }

        if (OpenSsl.UnavailableReason is { } noOpenSsl)
        {
            throw new BenchmarkFailedException(noOpenSsl);
        }

        var requests = options.Requests ?? (options.Quick ? QuickRequests : DefaultRequests);
        var work = Directory.CreateTempSubdirectory("secretops-bench-server-").FullName;
        var processes = new List<ServingProcess>();
        var endpoints = new List<Endpoint>();
        try
        {
            var tls = MakeCertificate(work);
            var clientId = Guid.NewGuid();
            var storages = new List<(string Name, string[] Flags, Dictionary<string, string?> Environment)>
            {
                ("SQLite", ["--sqlite-path", Path.Combine(work, "server.db")], new()),
            };
            if (options.PostgresConnection is { } postgres)
            {
                storages.Add(("PostgreSQL", ["--storage", "postgres"], new() { [PostgresVariable] = postgres }));
                postgresNote = "measured, on the database given with --postgres";
            }

            // The same client id everywhere, so every endpoint answers the same bytes.
            foreach (var (storageName, flags, environment) in storages)
            {
                progress.WriteLine($"server: enrolling a client and starting the server on {storageName}");
                var token = Enrol(serverAssembly, clientId, flags, environment);
                var server = ServingProcess.Start($"the server on {storageName}", ChildProcess.StartInfo(
                    [DotnetHost(), serverAssembly, "--listen", "127.0.0.1", "--port", "0", "--cert", tls.CertificatePath, "--key", tls.KeyPath, .. flags], environment),
                    line => ListeningLine().Match(line) is { Success: true } match ? int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture) : null);
                processes.Add(server);
                endpoints.Add(new Endpoint(storageName, server.WaitForPort(), tls.Hash, token));
            }

            var expected = ReadServerResponses(endpoints[0]);
            File.WriteAllBytes(Path.Combine(work, "get.json"), expected[Operation.Get]);
            File.WriteAllBytes(Path.Combine(work, "post.json"), expected[Operation.Post]);
            progress.WriteLine("server: starting the bare Kestrel endpoint");
            var floor = ServingProcess.Start(FloorName, ChildProcess.StartInfo(
                [.. ChildProcess.Self(), FloorEndpoint.Command, tls.CertificatePath, tls.KeyPath, Path.Combine(work, "get.json"), Path.Combine(work, "post.json")]),
                line => line.StartsWith(FloorEndpoint.ListeningPrefix, StringComparison.Ordinal)
                    ? int.Parse(line[FloorEndpoint.ListeningPrefix.Length..], CultureInfo.InvariantCulture)
                    : null);
            processes.Add(floor);
            endpoints.Insert(0, new Endpoint(FloorName, floor.WaitForPort(), tls.Hash, token: null));

            var (cells, settling) = Measure(endpoints, expected, requests, options.Runs, progress).GetAwaiter().GetResult();
            var servers = endpoints.Skip(1).Select(e => e.Name).ToList();
            return new BenchmarkResult(Body(cells, settling, servers, options.Runs, requests), Targets(cells, servers));
        }
        finally
        {
            endpoints.ForEach(e => e.Dispose());
            processes.ForEach(p => p.Dispose());
            Directory.Delete(work, recursive: true);
        }
    }

    internal static string ServerAssembly(string root) => Path.Combine(root, "out", "server", "SecretOps.Server.dll");

    /// <summary>The dotnet host running this harness, else the one on PATH.</summary>
    internal static string DotnetHost() =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    /// <summary>A self-signed P-256 certificate for 127.0.0.1 made by openssl, as an operator would, and its SHA-256 for pinning.</summary>
    internal static TlsFiles MakeCertificate(string folder)
    {
        var certificate = Path.Combine(folder, "server.crt");
        var key = Path.Combine(folder, "server.key");
        OpenSsl.Run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=secretops-bench", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate);

        // The server refuses a key others can read.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        using var loaded = X509Certificate2.CreateFromPem(File.ReadAllText(certificate));
        return new TlsFiles(certificate, key, loaded.GetCertHash(HashAlgorithmName.SHA256));
    }

    /// <summary>Runs the operator's <c>enrol</c> command on the storage and returns the enrolment token it prints.</summary>
    internal static string Enrol(string serverAssembly, Guid clientId, string[] storageFlags, Dictionary<string, string?> environment)
    {
        var output = ChildProcess.Run(ChildProcess.StartInfo(
            [DotnetHost(), serverAssembly, "enrol", "--client", clientId.ToString("D"), .. storageFlags], environment));
        if (output.ExitCode != 0)
        {
            throw new BenchmarkFailedException($"enrol exited {output.ExitCode}: {output.Stderr.Trim()}");
        }

        return output.Stdout.Trim();
    }

    /// <summary>What the server answers the benchmark's client, which the floor then answers too and every response is checked against.</summary>
    private static Dictionary<Operation, byte[]> ReadServerResponses(Endpoint server)
    {
        using var client = server.NewClient();
        var responses = new Dictionary<Operation, byte[]>();
        foreach (var operation in Enum.GetValues<Operation>())
        {
            using var request = NewRequest(operation);
            using var response = client.SendAsync(request).GetAwaiter().GetResult();
            var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
            {
                throw new BenchmarkFailedException($"The server on {server.Name} answered {(int)response.StatusCode} to {Describe(operation)}: {Encoding.UTF8.GetString(body)}");
            }

            responses[operation] = body;
        }

        return responses;
    }

    /// <summary>The timed cells, and the untimed requests of the first warm-up (only their errors count).</summary>
    private static async Task<(Dictionary<(string Endpoint, Operation Operation, int Clients), Cell> Cells, Cell Settling)> Measure(
        IReadOnlyList<Endpoint> endpoints, Dictionary<Operation, byte[]> expected, int requests, int rounds, TextWriter progress)
    {
        var cells = new Dictionary<(string, Operation, int), Cell>();
        var settling = await SettleJit(endpoints, expected, progress);
        foreach (var clientCount in ClientCounts)
        {
            var clients = endpoints.ToDictionary(e => e.Name, e => Enumerable.Range(0, clientCount).Select(_ => e.NewClient()).ToList(), StringComparer.Ordinal);
            try
            {
                var perClient = Math.Max(1, (int)Math.Ceiling(requests / (double)(rounds * clientCount)));
                foreach (var operation in Enum.GetValues<Operation>())
                {
                    foreach (var endpoint in endpoints)
                    {
                        var cell = cells[(endpoint.Name, operation, clientCount)] = new Cell();

                        // Connections open (TLS handshakes) and the server's paths for this many clients warm up, untimed.
                        await RunRound(clients[endpoint.Name], operation, expected[operation], Math.Max(10, 200 / clientCount), cell, timed: false);
                    }

                    for (var round = 0; round < rounds; round++)
                    {
                        for (var k = 0; k < endpoints.Count; k++)
                        {
                            var endpoint = endpoints[(round + k) % endpoints.Count];
                            Harness.FullGc();
                            await RunRound(clients[endpoint.Name], operation, expected[operation], perClient, cells[(endpoint.Name, operation, clientCount)], timed: true);
                        }
                    }

                    progress.WriteLine($"  {Describe(operation)}, {Clients(clientCount)}: " + string.Join("; ", endpoints.Select(e =>
                    {
                        var cell = cells[(e.Name, operation, clientCount)];
                        return $"{e.Name} p50 {FormatMs(cell.P50)} ms, {cell.PerSecond:0} req/s, {cell.Errors} errors";
                    })));
                }
            }
            finally
            {
                foreach (var client in clients.Values.SelectMany(c => c))
                {
                    client.Dispose();
                }
            }
        }

        return (cells, settling);
    }

    /// <summary>
    /// As <see cref="Harness.SettleJit"/>: three passes of untimed requests with pauses, so tiered compilation has
    /// finished in every process (the clients' and both servers') before anything is timed.
    /// </summary>
    private static async Task<Cell> SettleJit(IReadOnlyList<Endpoint> endpoints, Dictionary<Operation, byte[]> expected, TextWriter progress)
    {
        progress.WriteLine("server: letting the JIT settle (untimed requests to every endpoint, three times)");
        var clients = endpoints.Select(e => Enumerable.Range(0, 4).Select(_ => e.NewClient()).ToList()).ToList();
        try
        {
            var settling = new Cell();
            foreach (var pause in new[] { 200, 500, 500 })
            {
                foreach (var endpointClients in clients)
                {
                    foreach (var operation in Enum.GetValues<Operation>())
                    {
                        await RunRound(endpointClients, operation, expected[operation], 50, settling, timed: false);
                    }
                }

                await Task.Delay(pause);
            }

            return settling;
        }
        finally
        {
            foreach (var client in clients.SelectMany(c => c))
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// Every client sends <paramref name="perClient"/> requests one after another, all clients at once; when
    /// <paramref name="timed"/>, each successful request's latency and the round's wall-clock time go into
    /// <paramref name="cell"/>. Errors are counted either way.
    /// </summary>
    private static async Task RunRound(IReadOnlyList<HttpClient> clients, Operation operation, byte[] expected, int perClient, Cell cell, bool timed)
    {
        var started = Stopwatch.GetTimestamp();
        var results = await Task.WhenAll(clients.Select(async client =>
        {
            var latencies = new List<double>(perClient);
            var errors = new List<string>();
            for (var i = 0; i < perClient; i++)
            {
                var sent = Stopwatch.GetTimestamp();
                if (await Send(client, operation, expected) is { } error)
                {
                    errors.Add(error);
                }
                else
                {
                    latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                }
            }

            return (Latencies: latencies, Errors: errors);
        }));
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
        }
    }

    /// <summary>One request; null when it succeeded with the expected body, else what went wrong.</summary>
    private static async Task<string?> Send(HttpClient client, Operation operation, byte[] expected)
    {
        try
        {
            using var request = NewRequest(operation);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode)
            {
                return $"status {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}";
            }

            return body.AsSpan().SequenceEqual(expected) ? null : $"an unexpected body: {Encoding.UTF8.GetString(body)}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static HttpRequestMessage NewRequest(Operation operation) => operation == Operation.Get
        ? new HttpRequestMessage(HttpMethod.Get, FloorEndpoint.Path)
        : new HttpRequestMessage(HttpMethod.Post, FloorEndpoint.Path) { Content = new ByteArrayContent(PostBody) { Headers = { ContentType = JsonType } } };

    private static string Describe(Operation operation) => operation == Operation.Get
        ? "GET /v1/whoami (stand-in for a get)"
        : $"POST /v1/whoami, {PostBody.Length}-byte JSON body (stand-in for a set)";

    private static string Body(Dictionary<(string Endpoint, Operation Operation, int Clients), Cell> cells, Cell settling, IReadOnlyList<string> servers, int rounds, int requests)
    {
        var body = new StringBuilder();
        body.AppendLine("**The store API (get and set) does not exist yet**, so these figures are the authentication pipeline's own cost: "
            + "`GET` and `POST /v1/whoami` stand in for a get and a set, and the server, for every request, checks the signature "
            + "(HMAC-SHA256 over the canonical string and the body's SHA-256), writes a nonce row and an audit row, and logs one line. "
            + $"The floor is bare Kestrel in a process of its own answering the same bytes over HTTPS with the same certificate ({FloorName}).");
        body.AppendLine();
        body.AppendLine(
            "Every client is its own HttpClient on a SocketsHttpHandler (HTTP/1.1, one keep-alive TLS connection, the certificate pinned); the server's clients sign every request with Core's SignedRequestHandler (one enrolled client). "
            + "Latency is from SendAsync to the last byte of the body, which is checked against the expected bytes; an error is a non-2xx status, an exception or another body. "
            + $"About {requests.ToString(CultureInfo.InvariantCulture)} timed requests per endpoint, operation and client count, in {rounds.ToString(CultureInfo.InvariantCulture)} rounds in which the endpoints take turns, the first one rotating; before them, untimed warm-up requests. "
            + "Clients, servers and floor share the machine's cores.");
        body.AppendLine();
        foreach (var operation in Enum.GetValues<Operation>())
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"{Describe(operation)}:").AppendLine();
            var headers = new List<string> { "clients", $"{FloorName} p50 / p99 (ms)", $"{FloorName} req/s" };
            foreach (var server in servers)
            {
                headers.AddRange([$"{server} p50 / p99 (ms)", $"{server} req/s", $"{server} / bare: p50, p99, req/s"]);
            }

            headers.Add("errors");
            body.Append(Harness.MarkdownTable(headers, ClientCounts.Select(clientCount =>
            {
                var floor = cells[(FloorName, operation, clientCount)];
                var row = new List<string> { clientCount.ToString(CultureInfo.InvariantCulture), $"{FormatMs(floor.P50)} / {FormatMs(floor.P99)}", floor.PerSecond.ToString("0", CultureInfo.InvariantCulture) };
                foreach (var server in servers)
                {
                    var cell = cells[(server, operation, clientCount)];
                    row.AddRange(
                    [
                        $"{FormatMs(cell.P50)} / {FormatMs(cell.P99)}",
                        cell.PerSecond.ToString("0", CultureInfo.InvariantCulture),
                        $"{Harness.FormatRatio(cell.P50 / floor.P50)}x, {Harness.FormatRatio(cell.P99 / floor.P99)}x, {Harness.FormatRatio(cell.PerSecond / floor.PerSecond)}x",
                    ]);
                }

                row.Add(string.Join(", ", new[] { FloorName }.Concat(servers).Select(name => $"{name} {cells[(name, operation, clientCount)].Errors}")));
                return (IReadOnlyList<string>)row;
            })));
            body.AppendLine();
        }

        if (settling.FirstError is not null)
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"{settling.Errors} errors while the JIT settled (every endpoint); the first: {settling.FirstError}").AppendLine();
        }

        foreach (var (key, cell) in cells.Where(c => c.Value.FirstError is not null))
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"First error of {key.Endpoint}, {Describe(key.Operation)}, {Clients(key.Clients)}: {cell.FirstError}").AppendLine();
        }

        if (!servers.Contains("PostgreSQL"))
        {
            body.AppendLine("PostgreSQL was not measured: add `--postgres \"Host=…;Port=…;Database=…;Username=…;Password=…\"` (a database the server may create its tables in; "
                + "the benchmark starts no cluster, and the nonce and audit rows it causes stay there) to run the server on it as well.");
            body.AppendLine();
        }

        return body.ToString();
    }

    private static List<TargetOutcome> Targets(Dictionary<(string Endpoint, Operation Operation, int Clients), Cell> cells, IReadOnlyList<string> servers)
    {
        var targets = new List<TargetOutcome>();
        foreach (var server in servers)
        {
            foreach (var operation in Enum.GetValues<Operation>())
            {
                var ratios = ClientCounts.Select(n => (Clients: n, Ratio: cells[(server, operation, n)].P50 / cells[(FloorName, operation, n)].P50)).ToList();
                var worst = ratios.MaxBy(r => r.Ratio);
                targets.Add(new TargetOutcome(
                    $"p50 ≤ {TargetRatio:0}x the bare endpoint: {(operation == Operation.Get ? "GET" : "POST")} /v1/whoami, {server} (the pipeline; get/set await the store API)",
                    string.Join("; ", ClientCounts.Select(n => $"{n}: {FormatMs(cells[(server, operation, n)].P50)} vs {FormatMs(cells[(FloorName, operation, n)].P50)} ms")),
                    $"{Harness.FormatRatio(worst.Ratio)}x at {Clients(worst.Clients)} (worst)",
                    ratios.All(r => r.Ratio <= TargetRatio)));
            }

            var atMost = ClientCounts.Max();
            var serverCells = Enum.GetValues<Operation>().Select(o => cells[(server, o, atMost)]).ToList();
            var errors = serverCells.Sum(c => c.Errors);
            var floorErrors = Enum.GetValues<Operation>().Sum(o => cells[(FloorName, o, atMost)].Errors);
            targets.Add(new TargetOutcome(
                $"no errors at {atMost} clients, {server}",
                $"{errors} errors in {serverCells.Sum(c => c.Sent)} requests, GET and POST, warm-up included ({FloorName}: {floorErrors})",
                string.Empty,
                errors == 0));
        }

        return targets;
    }

    private static string Clients(int count) => count == 1 ? "1 client" : $"{count} clients";

    internal static string FormatMs(double milliseconds) => milliseconds.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The file system type of the mount holding <paramref name="path"/> (tmpfs makes SQLite's syncs free), from /proc/mounts.</summary>
    internal static string FileSystemOf(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            var mount = File.ReadLines("/proc/mounts")
                .Select(line => line.Split(' '))
                .Where(fields => fields.Length > 2 && (full == fields[1] || full.StartsWith(fields[1].TrimEnd('/') + "/", StringComparison.Ordinal)))
                .MaxBy(fields => fields[1].Length);
            return mount is null ? "an unknown file system" : $"{mount[2]} (mounted at {mount[1]})";
        }
        catch (IOException)
        {
            return "an unknown file system (no /proc/mounts)";
        }
        catch (UnauthorizedAccessException)
        {
            return "an unknown file system (/proc/mounts not readable)";
        }
    }

    [GeneratedRegex("\"Message\":\"Listening on https://[^ \"]+:(?<port>[0-9]+)")]
    internal static partial Regex ListeningLine();

    internal sealed record TlsFiles(string CertificatePath, string KeyPath, byte[] Hash);

    /// <summary>
    /// One endpoint's requests at one operation and client count: the timed ones' latencies (successful only) and
    /// wall-clock time; every request sent and every error, warm-up included.
    /// </summary>
    internal sealed class Cell
    {
        public List<double> Latencies { get; } = [];

        public int Sent { get; set; }

        public int Errors { get; set; }

        public string? FirstError { get; set; }

        public double Seconds { get; set; }

        // NaN when every request failed: the table shows it and the ratio target is missed.
        public double P50 => Latencies.Count == 0 ? double.NaN : Harness.Percentile(Latencies, 0.50);

        public double P99 => Latencies.Count == 0 ? double.NaN : Harness.Percentile(Latencies, 0.99);

        public double PerSecond => Latencies.Count / Seconds;
    }

    /// <summary>
    /// An endpoint under measurement: the floor, or the server on one storage; its clients sign with their own copy of
    /// the enrolled key (from <paramref name="token"/>) when there is one.
    /// </summary>
    internal sealed class Endpoint(string name, int port, byte[] certificateHash, string? token) : IDisposable
    {
        private readonly List<RequestSigningKey> keys = [];

        public string Name => name;

        /// <summary>A client with its own connection: a pinned SocketsHttpHandler, behind a SignedRequestHandler for the server.</summary>
        public HttpClient NewClient()
        {
            var handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = 1,
                SslOptions = new SslClientAuthenticationOptions
                {
                    // A self-signed certificate: its chain error is accepted for this certificate alone, a wrong name is not.
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                        certificate is not null
                        && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                        && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), certificateHash),
                },
            };
            HttpMessageHandler outer = handler;
            if (token is not null)
            {
                var (clientId, key) = EnrolmentToken.Parse(token);
                keys.Add(key);
                outer = new SignedRequestHandler(clientId, key) { InnerHandler = handler };
            }

            return new HttpClient(outer)
            {
                BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"),
                Timeout = TimeSpan.FromSeconds(60),
            };
        }

        public void Dispose() => keys.ForEach(k => k.Dispose());
    }
}
