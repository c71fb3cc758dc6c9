using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Hosting;

/// <summary>
/// Keeps the server's database from growing for ever: every <c>interval</c> (the replay window) it deletes the nonces
/// whose retention has passed (<see cref="IPrunableNonceLedger.Prune"/>, which never touches a live one) and, when an
/// audit retention is set, the audit rows older than it. A failure is logged and the next round tries again: pruning
/// never stops the server, and a nonce it could not delete only stays longer.
/// </summary>
public sealed class StoragePruning : BackgroundService
{
    private readonly ServerStorage storage;
    private readonly TimeSpan interval;
    private readonly int auditRetentionDays;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly PeriodicTimer timer;

    /// <summary>Prunes <paramref name="storage"/> every <paramref name="interval"/>; <paramref name="auditRetentionDays"/> 0 keeps the audit for ever.</summary>
    public StoragePruning(ServerStorage storage, TimeSpan interval, int auditRetentionDays, TimeProvider time, ILogger<StoragePruning> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(auditRetentionDays);
        this.storage = storage;
        this.interval = interval;
        this.auditRetentionDays = auditRetentionDays;
        this.time = time;
        this.logger = logger;

        // Started here, not in ExecuteAsync, which .NET 10 runs later on the thread pool: the intervals count from now.
        timer = new PeriodicTimer(interval, time);
    }

    /// <summary>One round, at the provider's current time.</summary>
    public void PruneOnce()
    {
        var now = time.GetUtcNow();
        try
        {
            // Logs its own storage failures and leaves every row in place.
            storage.Nonces.Prune(now);
            if (auditRetentionDays > 0)
            {
                var deleted = storage.Audit.DeleteOlderThan(now.AddDays(-auditRetentionDays));
                if (deleted > 0)
                {
                    ServerLog.AuditPruned(logger, deleted, auditRetentionDays);
                }
            }
        }
        catch (Exception e)
        {
            // Whatever went wrong, the server goes on serving; a background failure must not stop it.
            ServerLog.PruningFailed(logger, interval.TotalSeconds, e.Message);
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                PruneOnce();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server is stopping.
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        timer.Dispose();
        base.Dispose();
    }
}
