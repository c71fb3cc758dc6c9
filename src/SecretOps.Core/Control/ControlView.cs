using SecretOps.Core.Storage;

namespace SecretOps.Core.Control;

/// <summary>
/// One process's view of a store's control log: the newest state it has verified, and how to bring it up to date from a
/// reader's snapshot. Each read checks that the entry the view last verified is still there, unchanged (a log cut back or
/// rewritten behind it is refused), then replays only what follows it.
/// </summary>
internal sealed class ControlView
{
    private readonly object gate = new();
    private AccessState? verified;

    /// <summary>The newest state verified so far; null before the first read.</summary>
    public AccessState? Latest => Volatile.Read(ref verified);

    /// <summary>
    /// Version rows whose value digest this process has checked against the log, by (secret, version): a version's value
    /// never changes once its put-version is signed, so a later read compares the row's bytes with these instead of
    /// hashing them again. Bounded; emptied when full.
    /// </summary>
    internal VerifiedVersions Versions { get; } = new();

    /// <summary>
    /// The state of the log in <paramref name="reader"/>'s snapshot, verified from the state this view already holds
    /// (or from the genesis entry). A store with no log (format 1, not yet upgraded) is refused. Signatures are verified
    /// after the pass, in parallel; those up to <paramref name="trusted"/> (the head this machine account verified before,
    /// from its MAC'd local record) are not verified again when the replay reaches it with the same hash: the chain then
    /// holds exactly the entries verified then.
    /// </summary>
    public AccessState Read(IStoreReader reader, string storePath, VerifiedHead? trusted = null)
    {
        var known = Latest;
        var state = known;
        var first = true;
        var deferred = new DeferredSignatures();
        try
        {
            foreach (var (sequence, encoded) in reader.ControlEntries(Math.Max(0, (known?.Sequence ?? 0) - 1)))
            {
                var entry = Decode(sequence, encoded);
                if (first && known is not null)
                {
                    first = false;
                    if (entry.Sequence != known.Sequence || !entry.Hash().AsSpan().SequenceEqual(known.HeadHash))
                    {
                        throw Diverged(known.Sequence);
                    }

                    continue;
                }

                first = false;
                state = ControlReplay.Apply(state, entry, deferred);
                if (trusted is not null && state.Sequence == trusted.Sequence && state.HeadHash.AsSpan().SequenceEqual(trusted.Hash))
                {
                    deferred.TrustAll();
                }
            }
        }
        catch
        {
            // What the sequential replay would have refused first: an earlier entry whose signature fails.
            deferred.VerifyAll();
            throw;
        }

        deferred.VerifyAll();

        if (state is null)
        {
            throw new StoreUnavailableException(
                $"'{storePath}' is a format-1 store, whose access rules nothing signs: an administrator must upgrade it before it is used.", storePath)
            {
                Hint = SecretOpsHint.UpgradeStore,
            };
        }

        if (known is not null && first)
        {
            // The entry this process verified last is gone: the log was cut back.
            throw Diverged(known.Sequence);
        }

        Adopt(state);
        return state;
    }

    /// <summary>Keeps <paramref name="state"/> if it is newer than what the view holds (a change this process committed).</summary>
    public void Adopt(AccessState state)
    {
        lock (gate)
        {
            if (verified is null || state.Sequence > verified.Sequence)
            {
                Volatile.Write(ref verified, state);
            }
        }
    }

    /// <summary>Reads one stored entry; a row that does not decode, or sits at another sequence than it names, is tampered.</summary>
    internal static SignedControlEntry Decode(long sequence, byte[] encoded)
    {
        try
        {
            var entry = SignedControlEntry.Decode(encoded);
            return entry.Sequence == sequence ? entry : throw new FormatException($"it is stored at sequence {sequence}");
        }
        catch (FormatException e)
        {
            throw new TamperedException($"control log entry {sequence}", $"Control log entry {sequence} is refused as tampered: it cannot be read ({e.Message.TrimEnd('.')}).");
        }
    }

    private static TamperedException Diverged(long sequence) => new(
        "control log",
        $"The store's control log no longer holds entry {sequence} as this process verified it: the log was cut back or rewritten. " +
        "Nothing was read or changed.");
}
