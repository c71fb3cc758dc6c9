using System.Collections.Concurrent;

namespace SecretOps.Tests.Concurrency;

/// <summary>
/// The bookkeeping of a concurrency test, shared by Core's (threads) and the CLI's (processes); linked into both
/// test projects. Every value written is unique and recorded before it is sent, so a read can be checked against
/// what writers sent for that name, and every acknowledged version against what the store holds afterwards.
/// </summary>
internal sealed class WriteLedger
{
    private readonly ConcurrentDictionary<(string Name, string Value), byte> attempted = new();
    private readonly ConcurrentDictionary<string, byte> readable = new();
    private int counter;

    /// <summary>Acknowledged writes: the value stored as each version of each secret.</summary>
    public ConcurrentDictionary<(string Name, int Version), string> Acknowledged { get; } = new();

    /// <summary>What reached a caller that should not have (never a value).</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Names of the secrets written, in ordinal order.</summary>
    public List<string> Names => [.. Acknowledged.Keys.Select(k => k.Name).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The acknowledged versions of one secret, in order.</summary>
    public List<int> Versions(string name) => [.. Acknowledged.Keys.Where(k => k.Name == name).Select(k => k.Version).Order()];

    public void Fail(string problem) => Failures.Enqueue(problem);

    /// <summary>A value no other write uses, recorded as attempted for <paramref name="name"/> before it is sent.</summary>
    public string NewValue(string name, Random random)
    {
        var value = $"{name}#{Interlocked.Increment(ref counter)}#{random.Next():x8}";
        attempted.TryAdd((name, value), 0);
        return value;
    }

    /// <summary>Records a write the store acknowledged; two writes acknowledged as one version is a failure.</summary>
    public void Acknowledge(string name, int version, string value)
    {
        if (!Acknowledged.TryAdd((name, version), value))
        {
            Fail($"version {version} of '{name}' was acknowledged to two writes");
        }

        readable.TryAdd(name, 0);
    }

    /// <summary>A value read mid-run must be one a writer sent for that name: never garbage, never another secret's.</summary>
    public void CheckRead(string name, string value)
    {
        if (!attempted.ContainsKey((name, value)))
        {
            Fail($"a read of '{name}' returned a value no writer sent for it");
        }
    }

    /// <summary>A secret with an acknowledged write, or null (after a moment's pause) while there is none yet.</summary>
    public string? PickReadable(Random random)
    {
        var names = readable.Keys;
        if (names.Count == 0)
        {
            Thread.Sleep(1);
            return null;
        }

        return names.ElementAt(random.Next(names.Count));
    }

    /// <summary>
    /// Runs each body on a thread of its own, all released together. An exception ends its thread and is recorded
    /// as a failure (by <paramref name="describe"/>, which must not print values); so is a thread still running after <paramref name="timeout"/>.
    /// </summary>
    public void RunTogether(IReadOnlyList<(string Name, Action Body)> bodies, Func<Exception, string> describe, TimeSpan timeout)
    {
        using var start = new Barrier(bodies.Count);
        var threads = bodies.Select(b => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                b.Body();
            }
            catch (Exception e)
            {
                Fail($"{b.Name}: {describe(e)}");
            }
        }) { IsBackground = true, Name = b.Name }).ToList();
        threads.ForEach(t => t.Start());
        var deadline = DateTime.UtcNow + timeout;
        foreach (var thread in threads.Where(t => !t.Join(Max(deadline - DateTime.UtcNow, TimeSpan.Zero))))
        {
            Fail($"{thread.Name} did not finish in {timeout.TotalMinutes} minutes");
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>
/// A client's grant revoked and given again while it reads. A read may be allowed or denied while a change is
/// under way, but one that starts and ends while the grant is settled must match it. The granter waits after each
/// change until the reader has confirmed the settled state that way, so every cycle is seen from both sides.
/// </summary>
internal sealed class GrantCycle(WriteLedger ledger)
{
    // Bumped before and after each change: odd while changing; settled granted at 0 mod 4, settled revoked at 2 mod 4.
    private long stamp;
    private long confirmed = -1;
    private volatile bool readerStopped;
    private volatile bool done;

    /// <summary>Revoke and grant cycles completed.</summary>
    public int Cycles { get; private set; }

    /// <summary>True once the granter has finished.</summary>
    public bool Done => done;

    /// <summary>Runs revoke-then-grant cycles while <paramref name="more"/> says so; the grant is held when this starts.</summary>
    public void Run(Action revoke, Action grant, Func<int, bool> more)
    {
        try
        {
            while (more(Cycles))
            {
                Change(revoke);
                Change(grant);
                Cycles++;
            }
        }
        finally
        {
            done = true;
        }
    }

    /// <summary>Makes one read (which returns whether it was allowed) and checks it against the grant if it was settled throughout.</summary>
    public void Observe(string what, Func<bool> read)
    {
        var before = Interlocked.Read(ref stamp);
        var allowed = read();
        if (before != Interlocked.Read(ref stamp) || before % 2 != 0)
        {
            return;
        }

        var granted = before % 4 == 0;
        if (allowed != granted)
        {
            ledger.Fail($"{what} was {(allowed ? "allowed" : "denied")} after the grant was {(granted ? "given" : "revoked")}");
        }

        Interlocked.Exchange(ref confirmed, before);
    }

    /// <summary>Called when the reader ends, so the granter does not wait for it.</summary>
    public void ReaderStopped() => readerStopped = true;

    private void Change(Action change)
    {
        Interlocked.Increment(ref stamp);
        change();
        var settled = Interlocked.Increment(ref stamp);
        if (!SpinWait.SpinUntil(() => Interlocked.Read(ref confirmed) == settled || readerStopped, TimeSpan.FromMinutes(2)))
        {
            throw new TimeoutException("the reader confirmed no read of the changed grant in 2 minutes");
        }
    }
}

/// <summary>
/// The roles of a concurrency run, started together: writers, readers, and a grantee reading while a granter
/// revokes and re-grants it. Core's test plays them with sessions on threads, the CLI's with processes.
/// </summary>
internal abstract class ConcurrentWorkload
{
    public const int Writers = 4;
    public const int Readers = 2;

    public int Conflicts;
    public int Reads;
    public int GranteeAllowed;
    public int GranteeDenied;

    protected ConcurrentWorkload() => Grants = new GrantCycle(Ledger);

    public WriteLedger Ledger { get; } = new();

    public GrantCycle Grants { get; }

    /// <summary>Runs every role at once until all are done; <paramref name="describe"/> words an unexpected exception.</summary>
    public void Execute(Func<Exception, string> describe, TimeSpan limit)
    {
        var bodies = new List<(string Name, Action Body)>();
        for (var i = 0; i < Writers; i++)
        {
            var index = i;
            bodies.Add(($"writer {index}", () => Writer(index)));
        }

        for (var i = 0; i < Readers; i++)
        {
            var index = i;
            bodies.Add(($"reader {index}", () => Reader(index)));
        }

        bodies.Add(("grantee", GranteeReader));
        bodies.Add(("granter", Granter));
        Ledger.RunTogether(bodies, describe, limit);
    }

    protected abstract void Writer(int index);

    protected abstract void Reader(int index);

    protected abstract void GranteeReader();

    protected abstract void Granter();
}
