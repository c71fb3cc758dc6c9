using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>Stale, future and replayed requests are refused; the window's edges are accepted; the ledger fails closed.</summary>
public class ReplayWindowTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1767225600);
    private static readonly Guid Client = Guid.Parse("6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88");

    private static RequestSignature Signed(long timestamp, byte[]? nonce = null)
    {
        using var key = RequestSigningKey.Generate();
        return RequestSignature.Sign(key, Client, "GET", "/", [], timestamp, nonce ?? new byte[RequestSignature.NonceLength]);
    }

    [Fact]
    public void Default_IsThreeHundredSeconds_KeepingNoncesTwiceAsLong()
    {
        Assert.Equal(TimeSpan.FromSeconds(300), ReplayWindow.Default.Window);
        Assert.Equal(TimeSpan.FromSeconds(600), ReplayWindow.Default.NonceRetention);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(300)]
    [InlineData(3600)]
    public void TheEdges_AreAccepted_AndOneSecondPastThemIsRefused(int seconds)
    {
        var window = new ReplayWindow(TimeSpan.FromSeconds(seconds));
        var now = Now.ToUnixTimeSeconds();
        window.CheckFreshness(now, Now);
        window.CheckFreshness(now - seconds, Now);
        window.CheckFreshness(now + seconds, Now);

        var stale = Assert.Throws<RequestRefusedException>(() => window.CheckFreshness(now - seconds - 1, Now));
        Assert.Equal(RequestRefusal.Stale, stale.Reason);
        Assert.Equal("SecretOps.RequestStale", stale.ErrorId);
        Assert.Equal(SecretOpsErrorCategory.AuthenticationFailed, stale.Category);
        Assert.Contains($"signed {seconds + 1} s before", stale.Message, StringComparison.Ordinal);

        var future = Assert.Throws<RequestRefusedException>(() => window.CheckFreshness(now + seconds + 1, Now));
        Assert.Equal(RequestRefusal.FromFuture, future.Reason);
        Assert.Equal("SecretOps.RequestFromFuture", future.ErrorId);
        Assert.Contains($"signed {seconds + 1} s after", future.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheServersClock_IsTruncatedToWholeSeconds()
    {
        var window = ReplayWindow.Default;
        var now = Now.ToUnixTimeSeconds();
        window.CheckFreshness(now - 300, Now.AddMilliseconds(999));
        Assert.Throws<RequestRefusedException>(() => window.CheckFreshness(now - 301, Now.AddMilliseconds(999)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void ExtremeTimestamps_AreRefused_WithoutOverflowingIntoTheWindow(long timestamp) =>
        Assert.Throws<RequestRefusedException>(() => ReplayWindow.Default.CheckFreshness(timestamp, Now));

    [Theory]
    [InlineData(0)]
    [InlineData(29)]
    [InlineData(3601)]
    [InlineData(-300)]
    public void AWindowOutsideThirtyToThreeThousandSixHundredSeconds_IsRefused(int seconds)
    {
        var error = Assert.Throws<InvalidParameterException>(() => new ReplayWindow(TimeSpan.FromSeconds(seconds)));
        Assert.Equal("window", error.Target);
        Assert.Contains("from 30 to 3600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWindowOfFractionalSeconds_IsRefused() =>
        Assert.Throws<InvalidParameterException>(() => new ReplayWindow(TimeSpan.FromSeconds(60.5)));

    [Fact]
    public void ANonce_IsRecordedForTwiceTheWindow_AndItsReplayIsRefused()
    {
        var ledger = new MemoryLedger();
        var window = new ReplayWindow(TimeSpan.FromSeconds(60));
        var request = Signed(Now.ToUnixTimeSeconds(), Convert.FromHexString("00112233445566778899aabbccddeeff"));
        window.RecordNonce(ledger, request, Now);
        Assert.Equal(Now.AddSeconds(120), ledger.Recorded.Single().ExpiresAt);
        Assert.Equal(Client, ledger.Recorded.Single().Client);

        var replay = Assert.Throws<RequestRefusedException>(() => window.RecordNonce(ledger, request, Now.AddSeconds(1)));
        Assert.Equal(RequestRefusal.Replayed, replay.Reason);
        Assert.Equal("SecretOps.RequestReplayed", replay.ErrorId);
    }

    [Fact]
    public void TheSameNonce_FromAnotherClient_IsNotAReplay()
    {
        var ledger = new MemoryLedger();
        var nonce = Convert.FromHexString("00112233445566778899aabbccddeeff");
        ReplayWindow.Default.RecordNonce(ledger, Signed(Now.ToUnixTimeSeconds(), nonce), Now);
        using var key = RequestSigningKey.Generate();
        ReplayWindow.Default.RecordNonce(ledger, RequestSignature.Sign(key, Guid.NewGuid(), "GET", "/", [], Now.ToUnixTimeSeconds(), nonce), Now);
        Assert.Equal(2, ledger.Recorded.Count);
    }

    [Fact]
    public void AnUnavailableLedger_FailsClosed()
    {
        var error = Assert.Throws<RequestRefusedException>(() => ReplayWindow.Default.RecordNonce(new UnavailableLedger(), Signed(Now.ToUnixTimeSeconds()), Now));
        Assert.Equal(RequestRefusal.LedgerUnavailable, error.Reason);
        Assert.Equal("SecretOps.RequestLedgerUnavailable", error.ErrorId);
        Assert.Equal(SecretOpsErrorCategory.Other, error.Category);
    }

    [Fact]
    public void TheRetention_OutlivesEveryMomentTheSameRequestPassesTheWindow()
    {
        // The latest a request can be accepted is timestamp + window; the furthest-ahead accepted timestamp is now + window.
        var window = ReplayWindow.Default;
        var furthestAhead = Now.ToUnixTimeSeconds() + (long)window.Window.TotalSeconds;
        var lastAccepted = DateTimeOffset.FromUnixTimeSeconds(furthestAhead + (long)window.Window.TotalSeconds);
        window.CheckFreshness(furthestAhead, lastAccepted);
        Assert.True(Now + window.NonceRetention >= lastAccepted);
    }

    private sealed class MemoryLedger : INonceLedger
    {
        public List<(Guid Client, string Nonce, DateTimeOffset ExpiresAt)> Recorded { get; } = [];

        public NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce, DateTimeOffset expiresAt)
        {
            var hex = Convert.ToHexString(nonce);
            if (Recorded.Exists(entry => entry.Client == clientId && entry.Nonce == hex))
            {
                return NonceRecordResult.AlreadySeen;
            }

            Recorded.Add((clientId, hex, expiresAt));
            return NonceRecordResult.Recorded;
        }
    }

    private sealed class UnavailableLedger : INonceLedger
    {
        public NonceRecordResult TryRecord(Guid clientId, ReadOnlySpan<byte> nonce, DateTimeOffset expiresAt) => NonceRecordResult.Unavailable;
    }
}
