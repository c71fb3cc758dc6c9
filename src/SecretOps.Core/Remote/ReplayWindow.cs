namespace SecretOps.Core.Remote;

/// <summary>
/// How far a request's timestamp may be from the server's clock, and how long its nonce is kept (docs/SERVER-PROTOCOL.md
/// §6). A request is fresh when |server now − timestamp| ≤ the window, in whole seconds; its nonce is kept for twice the
/// window, past the last moment the same timestamp could be accepted again.
/// </summary>
public sealed class ReplayWindow
{
    /// <summary>The window when none is configured: ±300 seconds, as AWS allows.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(300);

    /// <summary>The narrowest window accepted (DFFmpeg's); narrower refuses honest clients with ordinary clock drift.</summary>
    public static readonly TimeSpan MinimumWindow = TimeSpan.FromSeconds(30);

    /// <summary>The widest window accepted; wider keeps a captured request usable, and nonces stored, for too long.</summary>
    public static readonly TimeSpan MaximumWindow = TimeSpan.FromSeconds(3600);

    private readonly long windowSeconds;

    /// <summary>A window of <paramref name="window"/> either side of the server's clock, in whole seconds from 30 to 3600.</summary>
    public ReplayWindow(TimeSpan window)
    {
        if (window < MinimumWindow || window > MaximumWindow || window.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new InvalidParameterException("window",
                $"The replay window is whole seconds from {MinimumWindow.TotalSeconds:0} to {MaximumWindow.TotalSeconds:0}; got {window.TotalSeconds} s.");
        }

        windowSeconds = (long)window.TotalSeconds;
    }

    /// <summary>The default window, ±300 seconds.</summary>
    public static ReplayWindow Default { get; } = new(DefaultWindow);

    /// <summary>How far either side of the server's clock a timestamp may be.</summary>
    public TimeSpan Window => TimeSpan.FromSeconds(windowSeconds);

    /// <summary>How long the ledger must keep an accepted nonce: twice the window.</summary>
    public TimeSpan NonceRetention => TimeSpan.FromSeconds(2 * windowSeconds);

    /// <summary>
    /// Refuses a <paramref name="timestamp"/> (Unix seconds) more than the window before <paramref name="now"/>
    /// (<see cref="RequestRefusal.Stale"/>) or after it (<see cref="RequestRefusal.FromFuture"/>), naming the skew. The
    /// server checks before reading the body and again after, as reading a slow body takes time.
    /// </summary>
    public void CheckFreshness(long timestamp, DateTimeOffset now)
    {
        // Int128, so a timestamp near long's limits reads as far off instead of overflowing into range.
        var age = (Int128)now.ToUnixTimeSeconds() - timestamp;
        if (age > windowSeconds)
        {
            throw new RequestRefusedException(RequestRefusal.Stale,
                $"The request was signed {age} s before the server's clock, beyond the {windowSeconds} s allowed: it is old or replayed, or the client's clock is behind.", RequestHeaderNames.Timestamp);
        }

        if (age < -windowSeconds)
        {
            throw new RequestRefusedException(RequestRefusal.FromFuture,
                $"The request was signed {-age} s after the server's clock, beyond the {windowSeconds} s allowed: the client's clock is ahead.", RequestHeaderNames.Timestamp);
        }
    }

    /// <summary>
    /// Records the request's nonce in <paramref name="ledger"/> for <see cref="NonceRetention"/> from <paramref name="now"/>,
    /// after its signature verified (so nobody else can use up a client's nonces); refuses a nonce already used
    /// (<see cref="RequestRefusal.Replayed"/>) and fails closed when the ledger cannot record it
    /// (<see cref="RequestRefusal.LedgerUnavailable"/>).
    /// </summary>
    public void RecordNonce(INonceLedger ledger, RequestSignature signature, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(signature);
        EnsureRecorded(ledger.TryRecord(signature.ClientId, signature.Nonce, NonceExpiry(now)), signature);
    }

    /// <summary>When a nonce accepted at <paramref name="now"/> may leave the ledger: <see cref="NonceRetention"/> later.</summary>
    public DateTimeOffset NonceExpiry(DateTimeOffset now) => now + NonceRetention;

    /// <summary>
    /// What <see cref="RecordNonce"/> makes of a ledger's <paramref name="result"/> for <paramref name="signature"/>'s
    /// nonce, for a server that records it another way (with its audit row, in one commit): nothing when it was
    /// recorded, <see cref="RequestRefusal.Replayed"/> when it was already there, otherwise
    /// <see cref="RequestRefusal.LedgerUnavailable"/>.
    /// </summary>
    public static void EnsureRecorded(NonceRecordResult result, RequestSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        switch (result)
        {
            case NonceRecordResult.Recorded:
                return;
            case NonceRecordResult.AlreadySeen:
                throw new RequestRefusedException(RequestRefusal.Replayed,
                    $"Client {signature.ClientId:D} already sent a request with this nonce: a replay.", signature.ClientId);
            default:
                throw new RequestRefusedException(RequestRefusal.LedgerUnavailable,
                    "The server cannot record the request's nonce right now, so it does not serve the request; try again later.", signature.ClientId);
        }
    }
}
