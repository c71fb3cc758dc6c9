using System.Diagnostics;
using System.Globalization;
using System.Text;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;

namespace SecretOps.Bench;

/// <summary>
/// <c>sharing</c>: granting Read on a namespace of 10 secrets against one of 10,000 (a namespace grant wraps one
/// key per generation, so the two should cost the same), and revoking with rotation on the 10,000-secret namespace.
/// </summary>
internal sealed class SharingBenchmark : IBenchmark
{
    private const int SmallCount = 10;
    private const int LargeCount = 10_000;
    private const string GrantSmall = "grant read, 10 secrets";
    private const string GrantLarge = "grant read, 10,000 secrets";
    private const string RevokeLarge = "revoke + rotate, 10,000 secrets";

    public string Name => "sharing";

    public string Description => "namespace grant cost at 10 vs 10,000 secrets; revoke with rotation of 10,000";

    public string Title => "Sharing";

    public int DefaultRuns => 7;

    public IReadOnlyList<(string Label, string Value)> MachineNotes() => [];

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        var directory = Directory.CreateTempSubdirectory("secretops-bench-sharing-").FullName;
        try
        {
            var path = Path.Combine(directory, "store.db");
            var created = SecretStore.Create(path, new StoreCreateOptions { GenerateSecret = true });
            using var credential = ClientCredential.FromGeneratedSecret(created.ClientSecret!);
            using var session = SecretStore.Open(path).Connect("system", credential);
            session.CreateNamespace("small");
            session.CreateNamespace("large");
            session.CreateNamespace("rotated");
            var setup = Stopwatch.StartNew();
            Fill(session, "small", SmallCount, progress);
            Fill(session, "large", LargeCount, progress);
            Fill(session, "rotated", LargeCount, progress);
            progress.WriteLine($"    setup: {SmallCount + 2 * LargeCount} secrets in {setup.Elapsed.TotalSeconds:0.0} s");
            session.AddClient("reader", new ClientCredentialSpec { Kind = ClientKind.Generated });
            session.Grant("reader", "rotated", null, Permissions.Read);

            var candidates = new List<Candidate>
            {
                new(GrantSmall, () => session.Grant("grantee", "small", null, Permissions.Read), () => session.Revoke("grantee", "small", null, rotate: false)),
                new(GrantLarge, () => session.Grant("grantee", "large", null, Permissions.Read), () => session.Revoke("grantee", "large", null, rotate: false)),
                new(RevokeLarge, () => session.Revoke("reader", "rotated", null), () => session.Grant("reader", "rotated", null, Permissions.Read)),
            };
            session.AddClient("grantee", new ClientCredentialSpec { Kind = ClientKind.Generated });
            var samples = Harness.MeasureAlternating(candidates, options.Runs, options.Warmups, progress);
            var small = samples[GrantSmall].MedianMilliseconds;
            var large = samples[GrantLarge].MedianMilliseconds;
            var revoke = samples[RevokeLarge].MedianMilliseconds;
            var body = new StringBuilder();
            body.AppendLine(CultureInfo.InvariantCulture,
                $"One store (WAL, synchronous=FULL) with namespaces of {SmallCount}, {LargeCount:N0} and another {LargeCount:N0} secrets (the last one is the one revoked and rotated, so the grant comparison is between namespaces with one key generation each); medians of {options.Runs} runs, alternating. Each grant is undone (revoke without rotation) and each revocation re-granted between runs, untimed.");
            body.AppendLine();
            body.Append(Harness.MarkdownTable(
                ["operation", "median (ms)", "fastest – slowest (ms)", "target", "result"],
                [
                    [GrantSmall, Harness.Format(small), Spread(samples[GrantSmall]), "", ""],
                    [GrantLarge, Harness.Format(large), Spread(samples[GrantLarge]), "≤ 1.5x the 10-secret grant", $"{Harness.FormatRatio(large / small)}x"],
                    [RevokeLarge, Harness.Format(revoke), Spread(samples[RevokeLarge]), "< 2000 ms", revoke < 2000 ? "met" : "missed"],
                ]));
            return new BenchmarkResult(body.ToString(),
            [
                new($"namespace grant at {LargeCount:N0} secrets ≤ 1.5x the grant at {SmallCount}", $"{Harness.Format(large)} ms vs {Harness.Format(small)} ms", $"{Harness.FormatRatio(large / small)}x", large / small <= 1.5),
                new($"revoke with rotation of {LargeCount:N0} secrets < 2000 ms", $"{Harness.Format(revoke)} ms", $"{Harness.FormatRatio(revoke / 2000)}x of the limit", revoke < 2000),
            ]);
        }
        finally
        {
            SecretStore.ReleaseConnections();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Fill(Session session, string ns, int count, TextWriter progress)
    {
        for (var i = 0; i < count; i++)
        {
            using var value = SecretValue.FromString($"value-{i}");
            session.SetSecret(ns, $"secret-{i:D5}", value);
            if ((i + 1) % 1000 == 0)
            {
                progress.WriteLine($"    {ns}: {i + 1} secrets");
            }
        }
    }

    private static string Spread(Samples samples) => $"{Harness.Format(samples.Milliseconds.Min())} – {Harness.Format(samples.Milliseconds.Max())}";
}
