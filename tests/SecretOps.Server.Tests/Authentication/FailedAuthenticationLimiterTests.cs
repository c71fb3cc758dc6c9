using SecretOps.Server.Authentication;

namespace SecretOps.Server.Tests.Authentication;

/// <summary>The sliding window of failed authentications, on a clock the test moves (no sleeping).</summary>
public sealed class FailedAuthenticationLimiterTests
{
    private readonly ManualClock clock = new();

    [Fact]
    public void KeyAtTheLimit_WaitsUntilItsOldestCountedFailureLeavesTheWindow_ThenMayTryAgain()
    {
        var limiter = new FailedAuthenticationLimiter(2, TimeSpan.FromSeconds(60), clock);
        limiter.RecordFailure("address 192.0.2.1");
        Assert.Null(limiter.RetryAfter("address 192.0.2.1"));
        clock.Advance(TimeSpan.FromSeconds(10));
        limiter.RecordFailure("address 192.0.2.1");

        Assert.Equal(TimeSpan.FromSeconds(50), limiter.RetryAfter("address 192.0.2.1"));
        Assert.Null(limiter.RetryAfter("address 192.0.2.2"));

        clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Null(limiter.RetryAfter("address 192.0.2.1"));
    }

    [Fact]
    public void RetryAfter_IsWholeSecondsAndAtLeastOne()
    {
        Assert.Equal(1, RequestDenial.RetrySeconds(TimeSpan.FromMilliseconds(1)));
        Assert.Equal(50, RequestDenial.RetrySeconds(TimeSpan.FromSeconds(49.2)));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
