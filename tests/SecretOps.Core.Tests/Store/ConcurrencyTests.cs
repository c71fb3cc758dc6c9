using System.Collections.Concurrent;
using System.Diagnostics;
using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using SecretOps.Tests.Concurrency;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Many sessions on one store file at once, each on its own thread with its own Open and Connect, as separate
/// processes would be: writers on secrets of their own and on one hot secret (plain and compare-and-swap),
/// readers, and a client whose namespace grant is revoked (rotating the key) and given again while it reads.
/// Afterwards every acknowledged write is there with its value, each secret's versions run 1..n, callers saw
/// only the outcomes they should (a CAS conflict, a revoked client's AccessDenied), and the audit chain is
/// valid and holds every write and read. Run in WAL mode and in shared mode (journal_mode=DELETE, no pooling).
/// </summary>
[Trait("Backend", "SqliteOnly")]
public class ConcurrencyTests(ITestOutputHelper output)
{
    private const string Ns = SecretStore.DefaultNamespace;
    private const string HotSecret = "hot";
    private const string Grantee = "grantee";
    private const int RoundsPerWriter = 40;
    private const int SecretsPerWriter = 3;
    private const int MinGrantCycles = 3;
    private const int MaxCasAttempts = 200;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConcurrentSessions_LoseNoWrite_SurfaceNoError_AndKeepTheAuditChain(bool shared)
    {
        var seed = Random.Shared.Next();
        var journalMode = shared ? "delete" : "wal";
        var context = $"seed {seed}, journal_mode={journalMode}";
        using var store = new TempStore(generateSecret: true, shared: shared);
        string granteeSecret;
        using (var system = store.ConnectSystem())
        {
            granteeSecret = system.AddClient(Grantee, new ClientCredentialSpec { Kind = ClientKind.Generated }).ClientSecret!;
            system.Grant(Grantee, Ns, null, Permissions.Read);
        }

        var run = new Workload(store, granteeSecret, seed);
        var elapsed = Stopwatch.StartNew();
        run.Execute(Workload.Describe, TimeSpan.FromMinutes(5));
        elapsed.Stop();
        var ledger = run.Ledger;
        Assert.True(ledger.Failures.IsEmpty, $"{context}: {ledger.Failures.Count} failure(s) reached callers:\n{string.Join("\n", ledger.Failures)}");

        using var verifier = store.ConnectSystem();
        Assert.Equal(ledger.Names, verifier.ListSecrets(Ns).Select(e => e.Name).Order(StringComparer.Ordinal));
        foreach (var name in ledger.Names)
        {
            var versions = ledger.Versions(name);
            Assert.True(Enumerable.Range(1, versions.Count).SequenceEqual(versions), $"{context}: acknowledged versions of '{name}' are not 1..n: {string.Join(",", versions)}");
            Assert.Equal(versions, verifier.GetHistory(Ns, name).Select(v => v.Version));
        }

        foreach (var ((name, version), value) in ledger.Acknowledged)
        {
            using var read = verifier.GetSecret(Ns, name, version);
            Assert.True(read.Value.GetString() == value, $"{context}: version {version} of '{name}' does not hold the value acknowledged for it");
        }

        // What was read mid-run is what the store holds at that version: nothing half-written or filed under another version.
        foreach (var (name, version, value) in run.Observed)
        {
            Assert.True(ledger.Acknowledged.TryGetValue((name, version), out var stored) && stored == value, $"{context}: a read of '{name}' version {version} returned another value than the one stored there");
        }

        // The verifier's own reads are still pending (flushed below), so the log holds exactly the run's writes, conflicts and reads.
        var audit = verifier.ListAudit(new AuditQuery());
        var sets = audit.Where(e => e.Action == "secret.set").ToList();
        Assert.Equal(ledger.Acknowledged.Keys.Order(), sets.Where(e => e.Outcome == "ok").Select(e => (e.Target!, e.Version!.Value)).Order());
        Assert.Equal(run.Conflicts, sets.Count(e => e.ErrorId == "SecretOps.Conflict"));
        Assert.Equal(run.Reads + run.GranteeAllowed + run.GranteeDenied, audit.Count(e => e.Action == "secret.get"));
        Assert.Equal(run.Grants.Cycles, audit.Count(e => e.Action == "permission.revoke" && e.Outcome == "ok"));

        verifier.FlushAudit();
        var check = verifier.Check();
        Assert.True(check.IsHealthy, $"{context}: integrity {check.IntegrityCheck}; keys: {string.Join("; ", check.KeyProblems)}; audit: {check.Audit.Problem}");
        Assert.Equal(journalMode, verifier.Store.GetInfo().JournalMode);
        Assert.Equal(journalMode, RawDb.Scalar(store.Path, "PRAGMA journal_mode"));

        output.WriteLine($"Core concurrency, journal_mode={journalMode}{(shared ? ", pooling off" : "")}: {ConcurrentWorkload.Writers} writer + {ConcurrentWorkload.Readers} reader + 1 grantee + 1 granter threads; "
                         + $"{ledger.Acknowledged.Count} acknowledged writes ({run.Conflicts} CAS conflicts retried) to {ledger.Names.Count} secrets, {run.Reads} reads, "
                         + $"grantee reads {run.GranteeAllowed} allowed / {run.GranteeDenied} denied over {run.Grants.Cycles} revoke+grant cycles; "
                         + $"{audit.Count} audit entries; {elapsed.Elapsed.TotalSeconds:F1} s; seed {seed}");
    }

    /// <summary>The threads of one run, each with a session of its own, and what they saw.</summary>
    private sealed class Workload : ConcurrentWorkload
    {
        private readonly TempStore store;
        private readonly string granteeSecret;
        private readonly int seed;
        private int writersLeft = Writers;

        public Workload(TempStore store, string granteeSecret, int seed)
        {
            this.store = store;
            this.granteeSecret = granteeSecret;
            this.seed = seed;
        }

        /// <summary>Every value read mid-run, with the version it came as.</summary>
        public ConcurrentBag<(string Name, int Version, string Value)> Observed { get; } = [];

        protected override void Writer(int index)
        {
            try
            {
                var random = new Random(seed + index);
                using var session = store.ConnectSystem();
                for (var round = 0; round < RoundsPerWriter; round++)
                {
                    Set(session, random, $"w{index}-{random.Next(SecretsPerWriter)}", expected: null);
                    Set(session, random, HotSecret, expected: null);
                    SetCompareAndSwap(session, random);
                }

                session.FlushAudit();
            }
            finally
            {
                Interlocked.Decrement(ref writersLeft);
            }
        }

        /// <summary>Reads the hot secret's version and sets it expecting that version; a conflict means another writer was first: try again.</summary>
        private void SetCompareAndSwap(Session session, Random random)
        {
            for (var attempt = 1; attempt <= MaxCasAttempts; attempt++)
            {
                int current;
                try
                {
                    current = session.GetEntry(Ns, HotSecret).Version;
                }
                catch (NotFoundException)
                {
                    current = 0;
                }

                try
                {
                    Set(session, random, HotSecret, current);
                    return;
                }
                catch (ConflictException)
                {
                    Interlocked.Increment(ref Conflicts);
                }
            }

            Ledger.Fail($"a compare-and-swap of '{HotSecret}' lost {MaxCasAttempts} times in a row");
        }

        private void Set(Session session, Random random, string name, int? expected)
        {
            var value = Ledger.NewValue(name, random);
            using var secret = SecretValue.FromString(value);
            var entry = session.SetSecret(Ns, name, secret, new SetSecretOptions { ExpectedVersion = expected });
            Ledger.Acknowledge(name, entry.Version, value);
        }

        protected override void Reader(int index)
        {
            var random = new Random(seed + 100 + index);
            using var session = store.ConnectSystem();
            while (Volatile.Read(ref writersLeft) > 0)
            {
                if (Ledger.PickReadable(random) is { } name)
                {
                    Read(session, name);

                    // Audit entries of reads are flushed in batches, concurrently with everyone else's writes.
                    if (Interlocked.Increment(ref Reads) % 10 == 0)
                    {
                        session.FlushAudit();
                    }
                }
            }

            session.FlushAudit();
        }

        /// <summary>Reads as the grantee while the granter revokes and grants: allowed with a right value, or denied; nothing else.</summary>
        protected override void GranteeReader()
        {
            try
            {
                var random = new Random(seed + 200);
                using var credential = ClientCredential.FromGeneratedSecret(granteeSecret);
                using var session = store.Open().Connect(Grantee, credential);
                while (!Grants.Done)
                {
                    if (Ledger.PickReadable(random) is not { } name)
                    {
                        continue;
                    }

                    Grants.Observe($"the grantee's read of '{name}'", () =>
                    {
                        try
                        {
                            Read(session, name);
                            Interlocked.Increment(ref GranteeAllowed);
                            return true;
                        }
                        catch (AccessDeniedException)
                        {
                            Interlocked.Increment(ref GranteeDenied);
                            return false;
                        }
                    });
                    if ((GranteeAllowed + GranteeDenied) % 10 == 0)
                    {
                        session.FlushAudit();
                    }
                }

                session.FlushAudit();
            }
            finally
            {
                Grants.ReaderStopped();
            }
        }

        /// <summary>Revokes the grantee's namespace grant (rotating the namespace key) and grants it again, for as long as writers run.</summary>
        protected override void Granter()
        {
            using var session = store.ConnectSystem();
            Grants.Run(
                () => session.Revoke(Grantee, Ns, null),
                () => session.Grant(Grantee, Ns, null, Permissions.Read),
                cycles => cycles < MinGrantCycles || Volatile.Read(ref writersLeft) > 0);
        }

        private void Read(Session session, string name)
        {
            using var read = session.GetSecret(Ns, name);
            var value = read.Value.GetString();
            Ledger.CheckRead(name, value);
            Observed.Add((name, read.Version, value));
        }

        public static string Describe(Exception e) =>
            $"{e.GetType().Name}{(e is SecretOpsException s ? $" [{s.ErrorId}]" : "")}: {e.Message}{(e.InnerException is { } inner ? $" <- {Describe(inner)}" : "")}";
    }
}
