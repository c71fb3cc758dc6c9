using System.Collections.Concurrent;

namespace SecretOps.Core.Control;

/// <summary>
/// The entry signatures of one replay, checked after its sequential pass instead of one by one: in parallel, or not at all
/// for a prefix this machine verified before (the local head). The outcome is the sequential replay's: the lowest entry
/// whose signature fails is refused, with the same message, and a replay that failed later for another reason first
/// reports any signature failure before it (an entry refused for its signature is what made the state wrong there).
/// </summary>
internal sealed class DeferredSignatures
{
    // Below this, thread hand-off costs more than the verifications it spreads.
    private const int ParallelThreshold = 64;
    private readonly List<Pending> pending = [];

    /// <summary>An entry whose signature must verify with its author's signing key at that point of the log.</summary>
    public void Add(SignedControlEntry entry, ClientVerifyingKey key, string authorName) => pending.Add(new Pending(entry, key, authorName));

    /// <summary>Drops what is pending: the replay reached, with the same hash, a head this machine verified before, so every entry up to it is one it checked.</summary>
    public void TrustAll() => pending.Clear();

    /// <summary>Verifies what is pending and clears it; throws the refusal of the lowest entry that fails.</summary>
    public void VerifyAll()
    {
        var failed = pending.Count < ParallelThreshold ? FirstFailureInOrder() : FirstFailureInParallel();
        var refused = failed < pending.Count ? pending[failed] : (Pending?)null;
        pending.Clear();
        if (refused is { } entry)
        {
            throw ControlReplay.BadSignature(entry.Entry.Sequence, entry.AuthorName);
        }
    }

    private int FirstFailureInOrder()
    {
        for (var i = 0; i < pending.Count; i++)
        {
            if (!pending[i].Verifies(pending[i].Key))
            {
                return i;
            }
        }

        return pending.Count;
    }

    /// <summary>
    /// Each worker verifies with keys of its own: <see cref="ClientVerifyingKey.Verify"/> is serialised per key, and a log
    /// usually has one main author.
    /// </summary>
    private int FirstFailureInParallel()
    {
        var first = pending.Count;
        var gate = new object();
        var ranges = Partitioner.Create(0, pending.Count, Math.Max(16, pending.Count / (4 * Environment.ProcessorCount)));
        Parallel.ForEach(ranges, () => new Dictionary<ClientVerifyingKey, ClientVerifyingKey>(ReferenceEqualityComparer.Instance), (range, _, own) =>
        {
            for (var i = range.Item1; i < range.Item2 && i < Volatile.Read(ref first); i++)
            {
                var key = pending[i].Key;
                if (!own.TryGetValue(key, out var copy))
                {
                    own[key] = copy = key.Copy();
                }

                if (!pending[i].Verifies(copy))
                {
                    lock (gate)
                    {
                        first = Math.Min(first, i);
                    }

                    break;
                }
            }

            return own;
        }, own =>
        {
            foreach (var copy in own.Values)
            {
                copy.Dispose();
            }
        });
        return first;
    }

    private readonly record struct Pending(SignedControlEntry Entry, ClientVerifyingKey Key, string AuthorName)
    {
        public bool Verifies(ClientVerifyingKey key) => Entry.Signature is { } signature && key.Verify(Entry.SignedBytes(), signature);
    }
}
