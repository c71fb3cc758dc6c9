using System.Reflection;
using SecretOps.Fuzz;

namespace SecretOps.Core.Tests.Fuzz;

/// <summary>
/// The CI smoke of the fuzz harnesses (tests/SecretOps.Fuzz), without afl: every harness runs in process over
/// its committed seeds, a fixed number of mutations of them from a seeded generator (the same inputs on every
/// run, so nothing here is flaky), and every input in regressions/HARNESS/ (what afl-fuzz found and what was
/// fixed). Any exception other than SecretOps' typed ones, an input over the allocation limit, or one still
/// running after <see cref="SlowInput"/> fails the test and names the input.
/// </summary>
public class FuzzSmokeTests
{
    /// <summary>Far above any input's real cost (milliseconds), so only a hang trips it, even on a loaded machine.</summary>
    private static readonly TimeSpan SlowInput = TimeSpan.FromSeconds(20);

    private static readonly string FuzzDirectory = typeof(FuzzSmokeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "FuzzDirectory").Value!;

    public static TheoryData<string> HarnessNames() => new(Harnesses.All.Keys);

    [Theory]
    [MemberData(nameof(HarnessNames))]
    public void Harness_SurvivesItsSeeds_MutationsAndRegressions(string harness)
    {
        using var temp = new Store.TempDirectory("secretops-fuzz-smoke-");
        Harnesses.UseWorkDirectory(temp.Path);
        try
        {
            Run(harness, temp.Path);
        }
        finally
        {
            Harnesses.UseWorkDirectory(null);
        }
    }

    private static void Run(string harness, string temp)
    {
        var seeds = Seeds(harness, Directory.CreateDirectory(Path.Combine(temp, "seed")).FullName);
        Assert.NotEmpty(seeds);
        var inputs = new List<(string Name, byte[] Bytes)>(seeds);
        var random = new Random(harness.Aggregate(17, (h, c) => (h * 31) + c));
        var mutations = harness == "store" ? 100 : 2000;
        for (var i = 0; i < mutations; i++)
        {
            var (name, bytes) = seeds[i % seeds.Count];
            inputs.Add(($"{name} mutation {i}", Mutate(bytes, seeds[random.Next(seeds.Count)].Bytes, random)));
        }

        var regressions = Path.Combine(FuzzDirectory, "regressions", harness);
        if (Directory.Exists(regressions))
        {
            inputs.AddRange(Directory.GetFiles(regressions).Order(StringComparer.Ordinal).Select(f => ($"regressions/{harness}/{Path.GetFileName(f)}", File.ReadAllBytes(f))));
        }

        var findings = new List<string>();
        foreach (var (name, bytes) in inputs)
        {
            var shown = Convert.ToBase64String(bytes.AsSpan(0, Math.Min(bytes.Length, 200)));
            var run = Task.Run(() => Harnesses.Check(harness, bytes));
            try
            {
                if (!run.Wait(SlowInput))
                {
                    // A hang: stop here rather than wait for it (the stuck input keeps the harnesses' lock).
                    findings.Add($"{name} ({shown}): still running after {SlowInput.TotalSeconds} s");
                    break;
                }
            }
            catch (AggregateException e) when (e.InnerException is FuzzFindingException finding)
            {
                findings.Add($"{name} ({shown}): {finding.Message}");
            }
        }

        Assert.True(findings.Count == 0, $"{findings.Count} of {inputs.Count} inputs are findings:\n" + string.Join("\n", findings.Take(10)));
    }

    [Fact]
    public void EveryHarness_HasSeeds_AndEveryRegressionFolder_NamesAHarness()
    {
        foreach (var harness in Harnesses.All.Keys.Where(h => h != "store"))
        {
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(FuzzDirectory, "seeds", harness)));
        }

        var regressions = Path.Combine(FuzzDirectory, "regressions");
        foreach (var folder in Directory.Exists(regressions) ? Directory.GetDirectories(regressions) : [])
        {
            Assert.Contains(Path.GetFileName(folder), Harnesses.All.Keys);
        }
    }

    [Fact]
    public void Check_ReportsAnyOtherException_AndLargeAllocations_ButNotTypedRefusals()
    {
        // What makes the smoke (and afl) fail: a refusal is an answer; anything else, or 300 MiB for one input, is not.
        Harnesses.Check("test", _ => throw new InvalidParameterException("x", "refused"), [1]);
        Assert.Contains("System.InvalidOperationException", Assert.Throws<FuzzFindingException>(() => Harnesses.Check("test", _ => throw new InvalidOperationException("state"), [1])).Message, StringComparison.Ordinal);
        Assert.Contains("OverflowException", Assert.Throws<FuzzFindingException>(() => Harnesses.Check("test", input => _ = checked(input[0] * int.MaxValue), [2])).Message, StringComparison.Ordinal);
        Assert.Contains("allocated", Assert.Throws<FuzzFindingException>(() => Harnesses.Check("test", _ =>
        {
            for (var i = 0; i < 300; i++)
            {
                GC.KeepAlive(new byte[1024 * 1024]);
            }
        }, [1])).Message, StringComparison.Ordinal);
    }

    private static List<(string Name, byte[] Bytes)> Seeds(string harness, string temp)
    {
        if (harness == "store")
        {
            // Made by the current code, so it always has the current format (fuzz.sh does the same).
            var path = Path.Combine(temp, "store.db");
            Harnesses.CreateStoreSeed(path);
            SecretStore.ReleaseConnections();
            return [("seeds/store/store.db", File.ReadAllBytes(path))];
        }

        return Directory.GetFiles(Path.Combine(FuzzDirectory, "seeds", harness)).Order(StringComparer.Ordinal)
            .Select(f => ($"seeds/{harness}/{Path.GetFileName(f)}", File.ReadAllBytes(f))).ToList();
    }

    /// <summary>A few of afl's havoc steps: flip bits, set interesting bytes, insert, delete, duplicate and splice.</summary>
    private static byte[] Mutate(byte[] input, byte[] other, Random random)
    {
        ReadOnlySpan<byte> interesting = [0, 0xFF, 0x7F, 0x80, (byte)'\n', (byte)':', (byte)'-', (byte)'{', (byte)'[', (byte)'!', (byte)'&', (byte)'*', (byte)'9', (byte)'='];
        var bytes = new List<byte>(input);
        var steps = 1 + random.Next(8);
        for (var step = 0; step < steps; step++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            var length = Math.Min(bytes.Count - at, 1 + random.Next(32));
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = interesting[random.Next(interesting.Length)];
                    break;
                case 2:
                    bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)));
                    break;
                case 3 when length > 0:
                    bytes.RemoveRange(at, length);
                    break;
                case 4 when length > 0:
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case 5 when other.Length > 0:
                    var from = random.Next(other.Length);
                    bytes.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                    break;
            }
        }

        return bytes.ToArray();
    }
}
