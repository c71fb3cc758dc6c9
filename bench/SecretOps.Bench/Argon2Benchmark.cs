using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SecretOps.Core.Crypto;
using SecretOps.ReferenceLibs;
using KonsciousArgon2id = Konscious.Security.Cryptography.Argon2id;
using IsopohArgon2 = Isopoh.Cryptography.Argon2.Argon2;
using IsopohConfig = Isopoh.Cryptography.Argon2.Argon2Config;
using IsopohType = Isopoh.Cryptography.Argon2.Argon2Type;
using IsopohVersion = Isopoh.Cryptography.Argon2.Argon2Version;

namespace SecretOps.Bench;

/// <summary>
/// <c>argon2</c>: our Argon2id against Debian's libargon2 (threads = lanes), at p = 1 libsodium's crypto_pwhash,
/// and two managed implementations, Konscious.Security.Cryptography.Argon2 1.3.1 and Isopoh.Cryptography.Argon2 2.0.0
/// (threads = lanes), in one process with alternating order. Verifies the outputs agree before timing anything.
/// </summary>
internal sealed class Argon2Benchmark : IBenchmark
{
    private const int TagLength = 32;
    private const int Argon2idType = 2;
    private const int Version13 = 0x13;
    private const string Ours = "ours";
    private const string OursFresh = "ours, fresh memory";
    private const string Libargon2Name = "libargon2";
    private const string LibsodiumName = "libsodium";
    private const string KonsciousName = "Konscious";
    private const string IsopohName = "Isopoh";

    private static readonly byte[] Password = Encoding.UTF8.GetBytes("SecretOps benchmark passphrase");
    private static readonly byte[] Salt = [0x53, 0x65, 0x63, 0x72, 0x65, 0x74, 0x4f, 0x70, 0x73, 0x2d, 0x62, 0x65, 0x6e, 0x63, 0x68, 0x21];

    /// <summary>The measured sets: RFC 9106's second recommendation and our default at p = 4, OWASP's minimum at p = 1.</summary>
    private static readonly Argon2Parameters[] ParameterSets =
    [
        new(Argon2Type.Argon2id, iterations: 3, memoryKiB: 64 * 1024, parallelism: 4),
        new(Argon2Type.Argon2id, iterations: 3, memoryKiB: 256 * 1024, parallelism: 4),
        new(Argon2Type.Argon2id, iterations: 2, memoryKiB: 19 * 1024, parallelism: 1),
    ];

    public string Name => "argon2";

    public string Description => "Argon2id: ours vs libargon2 (and libsodium at p=1), Konscious and Isopoh";

    public string Title => "Argon2id";

    public int DefaultRuns => 9;

    public IReadOnlyList<(string Label, string Value)> MachineNotes() =>
    [
        ("libargon2", Libargon2.UnavailableReason ?? LoadedPath("libargon2.so")),
        ("libsodium", Libsodium.UnavailableReason ?? $"{LoadedPath("libsodium.so")}, version {SodiumVersion()}"),
        ("Konscious", $"Konscious.Security.Cryptography.Argon2 {AssemblyVersion(typeof(KonsciousArgon2id))}"),
        ("Isopoh", $"Isopoh.Cryptography.Argon2 {AssemblyVersion(typeof(IsopohArgon2))}"),
    ];

    public BenchmarkResult Run(BenchOptions options, TextWriter progress)
    {
        if (Libargon2.UnavailableReason is { } missing)
        {
            throw new BenchmarkFailedException($"libargon2 is required to verify our output and as the reference: {missing}");
        }

        var results = new List<SetResult>();
        foreach (var parameters in ParameterSets)
        {
            progress.WriteLine($"{Describe(parameters)}:");
            var expected = Verify(parameters, progress);
            var candidates = Candidates(parameters, expected, progress);
            var samples = Harness.MeasureAlternating(candidates, options.Runs, options.Warmups, progress);
            results.Add(new SetResult(parameters, samples));
        }

        return new BenchmarkResult(Body(results, options), Targets(results));
    }

    /// <summary>Ours must equal libargon2 (and libsodium at p = 1) before any timing means anything.</summary>
    private static byte[] Verify(Argon2Parameters parameters, TextWriter progress)
    {
        var reference = Libargon2.Hash(Argon2idType, Version13, parameters.Iterations, parameters.MemoryKiB, parameters.Parallelism, TagLength, Password, Salt);
        var ours = new byte[TagLength];
        Argon2.DeriveBytes(parameters, Password, Salt, ours);
        if (!ours.AsSpan().SequenceEqual(reference))
        {
            throw new BenchmarkFailedException(
                $"OUTPUT MISMATCH for {Describe(parameters)}: ours {Convert.ToHexString(ours)} != libargon2 {Convert.ToHexString(reference)}.");
        }

        if (parameters.Parallelism == 1 && Libsodium.UnavailableReason is null)
        {
            var sodium = Libsodium.Argon2id(parameters.Iterations, parameters.MemoryKiB, TagLength, Password, Salt);
            if (!sodium.AsSpan().SequenceEqual(reference))
            {
                throw new BenchmarkFailedException(
                    $"OUTPUT MISMATCH for {Describe(parameters)}: libsodium {Convert.ToHexString(sodium)} != libargon2 {Convert.ToHexString(reference)}.");
            }
        }

        foreach (var (name, derive) in new (string, Func<Argon2Parameters, byte[]>)[] { (KonsciousName, Konscious), (IsopohName, Isopoh) })
        {
            var managed = derive(parameters);
            if (!managed.AsSpan().SequenceEqual(reference))
            {
                throw new BenchmarkFailedException(
                    $"OUTPUT MISMATCH for {Describe(parameters)}: {name} {Convert.ToHexString(managed)} != libargon2 {Convert.ToHexString(reference)}.");
            }
        }

        progress.WriteLine($"    outputs agree: {Convert.ToHexString(reference)}");
        return reference;
    }

    private static List<Candidate> Candidates(Argon2Parameters parameters, byte[] expected, TextWriter progress)
    {
        var ours = new byte[TagLength];
        byte[] libargon2 = [];
        byte[] libsodium = [];
        byte[] konscious = [];
        byte[] isopoh = [];
        var candidates = new List<Candidate>
        {
            new(Ours,
                () => Argon2.DeriveBytes(parameters, Password, Salt, ours),
                () => Expect(Ours, ours, expected, parameters)),
            // What a fresh process (one CLI invocation) pays: no buffer kept from an earlier derivation.
            new(OursFresh,
                () =>
                {
                    Argon2Memory.Release();
                    Argon2.DeriveBytes(parameters, Password, Salt, ours);
                },
                () => Expect(OursFresh, ours, expected, parameters)),
            new(Libargon2Name,
                () => libargon2 = Libargon2.Hash(Argon2idType, Version13, parameters.Iterations, parameters.MemoryKiB, parameters.Parallelism, TagLength, Password, Salt),
                () => Expect(Libargon2Name, libargon2, expected, parameters)),
            new(KonsciousName,
                () => konscious = Konscious(parameters),
                () => Expect(KonsciousName, konscious, expected, parameters)),
            new(IsopohName,
                () => isopoh = Isopoh(parameters),
                () => Expect(IsopohName, isopoh, expected, parameters)),
        };

        if (parameters.Parallelism == 1)
        {
            if (Libsodium.UnavailableReason is { } reason)
            {
                progress.WriteLine($"    libsodium skipped: {reason}");
            }
            else
            {
                candidates.Add(new(LibsodiumName,
                    () => libsodium = Libsodium.Argon2id(parameters.Iterations, parameters.MemoryKiB, TagLength, Password, Salt),
                    () => Expect(LibsodiumName, libsodium, expected, parameters)));
            }
        }

        return candidates;
    }

    /// <summary>Konscious.Security.Cryptography.Argon2: as its documentation shows it used, with threads = lanes.</summary>
    private static byte[] Konscious(Argon2Parameters parameters)
    {
        using var argon2 = new KonsciousArgon2id(Password)
        {
            Salt = Salt,
            Iterations = parameters.Iterations,
            MemorySize = parameters.MemoryKiB,
            DegreeOfParallelism = parameters.Parallelism,
        };
        return argon2.GetBytes(TagLength);
    }

    /// <summary>Isopoh.Cryptography.Argon2: Argon2id (its HybridAddressing), version 0x13, threads = lanes; the tag copied out of its SecureArray.</summary>
    private static byte[] Isopoh(Argon2Parameters parameters)
    {
        var config = new IsopohConfig
        {
            Type = IsopohType.HybridAddressing,
            Version = IsopohVersion.Nineteen,
            TimeCost = parameters.Iterations,
            MemoryCost = parameters.MemoryKiB,
            Lanes = parameters.Parallelism,
            Threads = parameters.Parallelism,
            HashLength = TagLength,
            Password = Password,
            Salt = Salt,
            ClearPassword = false,
        };
        using var argon2 = new IsopohArgon2(config);
        using var hash = argon2.Hash();
        return hash.Buffer.ToArray();
    }

    private static string AssemblyVersion(Type type) =>
        type.Assembly.GetName().Version?.ToString() ?? "unknown version";

    private static void Expect(string name, byte[] actual, byte[] expected, Argon2Parameters parameters)
    {
        if (!actual.AsSpan().SequenceEqual(expected))
        {
            throw new BenchmarkFailedException($"OUTPUT CHANGED during measurement: {name} gave {Convert.ToHexString(actual)} for {Describe(parameters)}.");
        }
    }

    /// <summary>
    /// The issue's targets: at p = 4, at least 1.5x faster than libargon2; at p = 1, at most 1.1x libsodium's time.
    /// Each is judged twice: with the kept buffer (a long-lived process) and with fresh memory (a one-shot CLI).
    /// </summary>
    private static List<TargetOutcome> Targets(List<SetResult> results)
    {
        var targets = new List<TargetOutcome>();
        foreach (var result in results)
        {
            foreach (var variant in new[] { Ours, OursFresh })
            {
                var ours = result.Samples[variant].MedianMilliseconds;
                if (result.Parameters.Parallelism == 1)
                {
                    if (result.Samples.TryGetValue(LibsodiumName, out var sodium))
                    {
                        var share = ours / sodium.MedianMilliseconds;
                        targets.Add(new($"Argon2id {Describe(result.Parameters)} ({variant}) ≤ 1.1x libsodium's time",
                            $"{Harness.Format(ours)} ms vs {Harness.Format(sodium.MedianMilliseconds)} ms", $"{Harness.FormatRatio(share)}x", share <= 1.1));
                    }
                }
                else
                {
                    var faster = result.Samples[Libargon2Name].MedianMilliseconds / ours;
                    targets.Add(new($"Argon2id {Describe(result.Parameters)} ({variant}) ≥ 1.5x faster than libargon2",
                        $"{Harness.Format(ours)} ms vs {Harness.Format(result.Samples[Libargon2Name].MedianMilliseconds)} ms", $"{Harness.FormatRatio(faster)}x faster", faster >= 1.5));
                }
            }

            // The managed implementations a .NET user would otherwise pick: reported, no target.
            foreach (var peer in new[] { KonsciousName, IsopohName })
            {
                var ours = result.Samples[Ours].MedianMilliseconds;
                var fresh = result.Samples[OursFresh].MedianMilliseconds;
                var theirs = result.Samples[peer].MedianMilliseconds;
                targets.Add(new($"Argon2id {Describe(result.Parameters)} against {peer} (managed)",
                    $"{Harness.Format(ours)} / {Harness.Format(fresh)} ms vs {Harness.Format(theirs)} ms",
                    $"{Harness.FormatRatio(theirs / ours)}x / {Harness.FormatRatio(theirs / fresh)}x faster (ours / fresh)", null));
            }
        }

        return targets;
    }

    private static string Body(List<SetResult> results, BenchOptions options)
    {
        var body = new StringBuilder();
        body.AppendLine(CultureInfo.InvariantCulture,
            $"Argon2id v1.3, {TagLength}-byte tag, {Salt.Length}-byte salt, fixed {Password.Length}-byte password. `ours` is a process that derives more than once, reusing its kept (wiped) buffer; `ours, fresh memory` releases that buffer first, so it first-touches new memory as the native libraries do and as a one-shot CLI process does. Median wall-clock ms of {options.Runs} {(options.Runs == 1 ? "run" : "runs")} per implementation after {options.Warmups} untimed warm-up {(options.Warmups == 1 ? "run" : "runs")} each; within each run every implementation ran once, the starting implementation rotated, and a full GC preceded each measurement. libargon2, Konscious.Security.Cryptography.Argon2 and Isopoh.Cryptography.Argon2 (managed, from NuGet) run with threads = lanes; libsodium only supports p = 1. Every implementation's output is checked against libargon2's before timing and after every run.");
        body.AppendLine();
        var medianRows = results.Select(r =>
        {
            var ours = r.Samples[Ours].MedianMilliseconds;
            var fresh = r.Samples[OursFresh].MedianMilliseconds;
            var libargon2 = r.Samples[Libargon2Name].MedianMilliseconds;
            double? libsodium = r.Samples.TryGetValue(LibsodiumName, out var s) ? s.MedianMilliseconds : null;
            return (IReadOnlyList<string>)
            [
                Describe(r.Parameters),
                Harness.Format(ours),
                Harness.Format(fresh),
                Harness.Format(libargon2),
                libsodium is { } l ? Harness.Format(l) : "n/a",
                $"{Harness.FormatRatio(libargon2 / ours)}x / {Harness.FormatRatio(libargon2 / fresh)}x",
                libsodium is { } m ? $"{Harness.FormatRatio(ours / m)}x / {Harness.FormatRatio(fresh / m)}x" : "n/a (p > 1)",
            ];
        });
        body.Append(Harness.MarkdownTable(
            ["parameters", "ours (ms)", "ours, fresh memory (ms)", "libargon2 (ms)", "libsodium (ms)",
             "ours faster than libargon2 by (ours / fresh)", "ours' time as a share of libsodium's (ours / fresh)"],
            medianRows));
        body.AppendLine();
        body.AppendLine("Against the managed implementations (median ms; their time divided by ours, so above 1 means ours is faster):");
        body.AppendLine();
        body.Append(Harness.MarkdownTable(
            ["parameters", "ours (ms)", "ours, fresh memory (ms)", "Konscious (ms)", "Isopoh (ms)", "ours faster than Konscious by (ours / fresh)", "ours faster than Isopoh by (ours / fresh)"],
            results.Select(r =>
            {
                var ours = r.Samples[Ours].MedianMilliseconds;
                var fresh = r.Samples[OursFresh].MedianMilliseconds;
                var konscious = r.Samples[KonsciousName].MedianMilliseconds;
                var isopoh = r.Samples[IsopohName].MedianMilliseconds;
                return (IReadOnlyList<string>)
                [
                    Describe(r.Parameters),
                    Harness.Format(ours),
                    Harness.Format(fresh),
                    Harness.Format(konscious),
                    Harness.Format(isopoh),
                    $"{Harness.FormatRatio(konscious / ours)}x / {Harness.FormatRatio(konscious / fresh)}x",
                    $"{Harness.FormatRatio(isopoh / ours)}x / {Harness.FormatRatio(isopoh / fresh)}x",
                ];
            })));
        body.AppendLine();
        body.AppendLine("Spread (fastest – slowest run, ms) and median minor page faults per run (first touches of freshly mapped memory, one per 4 KiB page):");
        body.AppendLine();
        var spreadRows = results.Select(r => (IReadOnlyList<string>)
        [
            Describe(r.Parameters),
            Spread(r.Samples[Ours]),
            Spread(r.Samples[OursFresh]),
            Spread(r.Samples[Libargon2Name]),
            r.Samples.TryGetValue(LibsodiumName, out var s) ? Spread(s) : "n/a",
            Spread(r.Samples[KonsciousName]),
            Spread(r.Samples[IsopohName]),
        ]);
        body.Append(Harness.MarkdownTable(["parameters", "ours", "ours, fresh memory", "libargon2", "libsodium", "Konscious", "Isopoh"], spreadRows));
        return body.ToString();

        static string Spread(Samples samples)
        {
            var range = $"{Harness.Format(samples.Milliseconds.Min())} – {Harness.Format(samples.Milliseconds.Max())} ms";
            return samples.MedianMinorFaults is { } faults
                ? $"{range}; {faults.ToString("0", CultureInfo.InvariantCulture)} faults"
                : range;
        }
    }

    private static string Describe(Argon2Parameters parameters) =>
        string.Create(CultureInfo.InvariantCulture,
            $"m={parameters.MemoryKiB / 1024} MiB, t={parameters.Iterations}, p={parameters.Parallelism}");

    /// <summary>Where the dynamic loader found a library (from /proc/self/maps), or its soname when unknown.</summary>
    private static string LoadedPath(string prefix)
    {
        try
        {
            if (File.Exists("/proc/self/maps"))
            {
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    var slash = line.IndexOf('/', StringComparison.Ordinal);
                    if (slash >= 0 && Path.GetFileName(line[slash..]).StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line[slash..].Trim();
                    }
                }
            }
        }
        catch (IOException)
        {
        }

        return prefix;
    }

    private static string SodiumVersion() => Marshal.PtrToStringAnsi(NativeMethods.sodium_version_string()) ?? "unknown";

    private sealed record SetResult(Argon2Parameters Parameters, Dictionary<string, Samples> Samples);

    private static class NativeMethods
    {
        [DllImport("libsodium.so.23")]
        public static extern IntPtr sodium_version_string();
    }
}
