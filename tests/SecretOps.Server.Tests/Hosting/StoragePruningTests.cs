using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SecretOps.Core.Remote;
using SecretOps.Server.Hosting;
using SecretOps.Server.Storage;
using SecretOps.Server.Tests.Storage;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// The server's background pruning on a real SQLite database, its clock a <see cref="FakeTimeProvider"/> the test
/// moves: what a round deletes and keeps, that a failing round is logged and harmless, and that the service runs a
/// round every interval of its clock.
/// </summary>
public sealed class StoragePruningTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private readonly SqliteTestStorage storage = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void ARound_DeletesExpiredNoncesAndAuditRowsPastTheRetention_AndNothingLive()
    {
        var server = storage.Open();
        var client = Guid.NewGuid();
        var expired = NewNonce();
        var live = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, server.Nonces.TryRecord(client, expired, clock.GetUtcNow().AddMilliseconds(-1)));
        Assert.Equal(NonceRecordResult.Recorded, server.Nonces.TryRecord(client, live, clock.GetUtcNow().AddMilliseconds(1)));
        var old = Entry(clock.GetUtcNow().AddDays(-30).AddMilliseconds(-1));
        var kept = Entry(clock.GetUtcNow().AddDays(-30));
        server.Audit.Append(old);
        server.Audit.Append(kept);

        Pruning(server, auditRetentionDays: 30, NullLogger<StoragePruning>.Instance).PruneOnce();

        // A deleted nonce can be recorded again; a live one is still a replay.
        Assert.Equal(NonceRecordResult.Recorded, server.Nonces.TryRecord(client, expired, clock.GetUtcNow().AddHours(1)));
        Assert.Equal(NonceRecordResult.AlreadySeen, server.Nonces.TryRecord(client, live, clock.GetUtcNow().AddHours(1)));
        Assert.Equal([kept], server.Audit.Recent(10));
    }

    [Fact]
    public void WithoutAuditRetention_EveryAuditRowIsKept()
    {
        var server = storage.Open();
        var ancient = Entry(clock.GetUtcNow().AddYears(-20));
        server.Audit.Append(ancient);

        Pruning(server, auditRetentionDays: 0, NullLogger<StoragePruning>.Instance).PruneOnce();

        Assert.Equal([ancient], server.Audit.Recent(10));
    }

    [Fact]
    public void ARoundOnStorageThatIsDown_IsLogged_AndThrowsNothing()
    {
        var server = storage.Open();
        var logger = new RecordingLogger();
        using (storage.TakeDown())
        {
            Pruning(server, auditRetentionDays: 30, logger).PruneOnce();
        }

        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith("Pruning failed, to be tried again in 30 s: Storage (sqlite) failed in DeleteOlderThan", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheService_RunsARoundEveryIntervalOfItsClock_UntilStopped()
    {
        var server = storage.Open();
        using var pruning = Pruning(server, auditRetentionDays: 1, NullLogger<StoragePruning>.Instance);
        server.Audit.Append(Entry(clock.GetUtcNow().AddDays(-2)));
        await pruning.StartAsync(TestContext.Current.CancellationToken);

        clock.Advance(Interval);
        await WaitUntilTheAuditIsEmpty(server);

        // And again at the next interval.
        server.Audit.Append(Entry(clock.GetUtcNow().AddDays(-2)));
        clock.Advance(Interval);
        await WaitUntilTheAuditIsEmpty(server);

        await pruning.StopAsync(TestContext.Current.CancellationToken);
        Assert.True(pruning.ExecuteTask!.IsCompletedSuccessfully);
    }

    public void Dispose() => storage.Dispose();

    private StoragePruning Pruning(ServerStorage server, int auditRetentionDays, ILogger<StoragePruning> logger) =>
        new(server, Interval, auditRetentionDays, clock, logger);

    /// <summary>The round runs on the thread pool after the clock moves: wait for its effect, for at most a minute.</summary>
    private static async Task WaitUntilTheAuditIsEmpty(ServerStorage server)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (server.Audit.Recent(1).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "No pruning round ran within a minute of the clock passing the interval.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private static RequestAuditEntry Entry(DateTimeOffset at) => new(at, Guid.NewGuid(), "127.0.0.1", "127.0.0.1", "GET", "/v1/whoami", "Allowed");

    private static byte[] NewNonce() => RandomNumberGenerator.GetBytes(RequestSignature.NonceLength);

    private sealed class RecordingLogger : ILogger<StoragePruning>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
