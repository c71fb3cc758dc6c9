namespace SecretOps.Server.Authentication;

/// <summary>
/// Counts failed authentications per key (a resolved address, a claimed client id) in a sliding window: once a key has
/// <c>limit</c> failures within the window, its requests are refused (429) before any verification work, until enough
/// of them are older than the window. Refused requests add no failure, so the lock lifts on its own. In memory, per
/// process: each server instance counts its own.
/// </summary>
public sealed class FailedAuthenticationLimiter
{
    /// <summary>Above this many keys, a new failure first drops the keys whose failures are all older than the window.</summary>
    private const int SweepThreshold = 10_000;

    private readonly int limit;
    private readonly TimeSpan window;
    private readonly TimeProvider time;
    private readonly Dictionary<string, Queue<long>> failures = new(StringComparer.Ordinal);

    /// <summary>Refuses a key after <paramref name="limit"/> failures within <paramref name="window"/>.</summary>
    public FailedAuthenticationLimiter(int limit, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        this.limit = limit;
        this.window = window;
        this.time = time;
    }

    /// <summary>How long <paramref name="key"/> must wait, or null when its requests may be tried.</summary>
    public TimeSpan? RetryAfter(string key)
    {
        lock (failures)
        {
            if (!failures.TryGetValue(key, out var times))
            {
                return null;
            }

            var now = time.GetTimestamp();
            DropExpired(times, now);
            if (times.Count < limit)
            {
                return null;
            }

            // The wait ends when the failure that keeps the count at the limit leaves the window.
            var pivot = times.ElementAt(times.Count - limit);
            return window - time.GetElapsedTime(pivot, now);
        }
    }

    /// <summary>Records a failed authentication for <paramref name="key"/>.</summary>
    public void RecordFailure(string key)
    {
        lock (failures)
        {
            var now = time.GetTimestamp();
            if (failures.Count >= SweepThreshold)
            {
                Sweep(now);
            }

            if (!failures.TryGetValue(key, out var times))
            {
                times = new Queue<long>();
                failures[key] = times;
            }

            DropExpired(times, now);
            times.Enqueue(now);
        }
    }

    private void DropExpired(Queue<long> times, long now)
    {
        while (times.Count > 0 && time.GetElapsedTime(times.Peek(), now) >= window)
        {
            times.Dequeue();
        }
    }

    private void Sweep(long now)
    {
        foreach (var (key, times) in failures.ToList())
        {
            DropExpired(times, now);
            if (times.Count == 0)
            {
                failures.Remove(key);
            }
        }
    }
}
