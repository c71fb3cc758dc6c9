using System.Security.Cryptography;
using SecretOps.Core.Remote;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>
/// What every server nonce ledger (Core's <see cref="INonceLedger"/> with <see cref="IPrunableNonceLedger.Prune"/>) must do, run against each storage by a derived class: a replay is refused
/// also by another instance on the same database, uniqueness holds under concurrency, pruning never removes a live
/// nonce, and a storage failure is Unavailable, never Recorded.
/// </summary>
public abstract class NonceLedgerContract(TestStorage storage) : IDisposable
{
    private readonly Dictionary<IPrunableNonceLedger, ServerStorage> instances = [];

    /// <summary>A time far enough ahead that no prune in any test removes the row.</summary>
    protected static DateTimeOffset Live => DateTimeOffset.UtcNow.AddHours(1);

    [Fact]
    public void NewNonce_IsRecorded()
    {
        var ledger = Open();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(Guid.NewGuid(), NewNonce(), Live));
    }

    [Fact]
    public void SameNonceAgain_IsAReplay()
    {
        var ledger = Open();
        var client = Guid.NewGuid();
        var nonce = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, nonce, Live));
        Assert.Equal(NonceRecordResult.AlreadySeen, ledger.TryRecord(client, nonce, Live));
        Assert.Equal(NonceRecordResult.AlreadySeen, ledger.TryRecord(client, nonce, Live.AddDays(1)));
    }

    [Fact]
    public void AnotherServerInstanceOnTheSameDatabase_SeesTheReplay()
    {
        var first = Open();
        var second = Open();
        var client = Guid.NewGuid();
        var nonce = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, first.TryRecord(client, nonce, Live));
        Assert.Equal(NonceRecordResult.AlreadySeen, second.TryRecord(client, nonce, Live));

        // And after the first instance is gone (a restart): the nonce is in the database, not in a process.
        Close(first);
        Assert.Equal(NonceRecordResult.AlreadySeen, Open().TryRecord(client, nonce, Live));
    }

    [Fact]
    public void SameNonceForAnotherClient_IsRecorded()
    {
        var ledger = Open();
        var nonce = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(Guid.NewGuid(), nonce, Live));
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(Guid.NewGuid(), nonce, Live));
    }

    [Fact]
    public void OneNonceFromManyThreadsAtOnce_IsRecordedExactlyOnce()
    {
        const int threads = 16;
        var ledgers = Enumerable.Range(0, 2).Select(_ => Open()).ToArray();
        for (var round = 0; round < 5; round++)
        {
            var client = Guid.NewGuid();
            var nonce = NewNonce();
            using var barrier = new Barrier(threads);
            var results = new NonceRecordResult[threads];
            var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
            {
                barrier.SignalAndWait();
                results[i] = ledgers[i % ledgers.Length].TryRecord(client, nonce, Live);
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());

            Assert.Equal(1, results.Count(r => r == NonceRecordResult.Recorded));
            Assert.Equal(threads - 1, results.Count(r => r == NonceRecordResult.AlreadySeen));
        }
    }

    [Fact]
    public void Pruning_RemovesExpiredNoncesOnly()
    {
        var ledger = Open();
        var now = DateTimeOffset.UtcNow;
        var client = Guid.NewGuid();
        var expired = NewNonce();
        var live = NewNonce();
        var expiringNow = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, expired, now.AddSeconds(-1)));
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, live, now.AddSeconds(1)));
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, expiringNow, now));

        ledger.Prune(now);

        // A removed row can be recorded again; a kept one is still a replay.
        Assert.Equal(NonceRecordResult.AlreadySeen, ledger.TryRecord(client, live, Live));
        Assert.Equal(NonceRecordResult.AlreadySeen, ledger.TryRecord(client, expiringNow, Live));
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, expired, Live));
    }

    [Fact]
    public void StorageGoingDown_MakesRecordingUnavailable_NeverRecorded()
    {
        var ledger = Open();
        var client = Guid.NewGuid();
        var seen = NewNonce();
        Assert.Equal(NonceRecordResult.Recorded, ledger.TryRecord(client, seen, Live));
        Assert.True(((IStorageHealth)ledger).IsReachable());

        using (TakeStorageDown())
        {
            Assert.Equal(NonceRecordResult.Unavailable, ledger.TryRecord(client, NewNonce(), Live));
            Assert.Equal(NonceRecordResult.Unavailable, ledger.TryRecord(client, seen, Live));
            Assert.False(((IStorageHealth)ledger).IsReachable());
            ledger.Prune(DateTimeOffset.UtcNow);
        }
    }

    [Fact]
    public void NonceThatIsNot16Bytes_IsACallerBug()
    {
        var ledger = Open();
        Assert.Throws<ArgumentException>(() => ledger.TryRecord(Guid.NewGuid(), new byte[15], Live));
        Assert.Throws<ArgumentException>(() => ledger.TryRecord(Guid.NewGuid(), new byte[17], Live));
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => storage.Dispose();

    /// <summary>A new ledger on the test's database, another "server instance" each time; skips or fails the test when the storage is not there.</summary>
    protected IPrunableNonceLedger Open()
    {
        var instance = storage.Open();
        instances[instance.Nonces] = instance;
        return instance.Nonces;
    }

    /// <summary>Closes the instance <paramref name="ledger"/> belongs to, as a server stopping does.</summary>
    protected void Close(IPrunableNonceLedger ledger) => instances[ledger].Dispose();

    /// <summary>Makes the storage fail until the result is disposed.</summary>
    protected IDisposable TakeStorageDown() => storage.TakeDown();

    protected static byte[] NewNonce() => RandomNumberGenerator.GetBytes(RequestSignature.NonceLength);
}
