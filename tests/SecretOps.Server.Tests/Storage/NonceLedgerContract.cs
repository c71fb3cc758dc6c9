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
    public async Task AllowedRequest_RecordsItsNonceAndItsAuditRowTogether()
    {
        var opened = storage.Open();
        var client = Guid.NewGuid();
        var nonce = NewNonce();
        var allowed = Allowed(client);
        Assert.Equal(NonceRecordResult.Recorded, await opened.Nonces.TryRecordAllowedAsync(client, nonce, Live, allowed));
        Assert.Equal([allowed], AuditRowsOf(opened, client));

        // A replay, by this instance or another, writes nothing: the caller audits the refusal itself.
        Assert.Equal(NonceRecordResult.AlreadySeen, await opened.Nonces.TryRecordAllowedAsync(client, nonce, Live, Allowed(client)));
        Assert.Equal(NonceRecordResult.AlreadySeen, await Open().TryRecordAllowedAsync(client, nonce, Live, Allowed(client)));
        Assert.Equal(NonceRecordResult.AlreadySeen, opened.Nonces.TryRecord(client, nonce, Live));
        Assert.Equal([allowed], AuditRowsOf(opened, client));
    }

    [Fact]
    public async Task AuditRowThatCannotBeWritten_LeavesTheNonceUnrecorded_SoARetryIsNoReplay()
    {
        var opened = storage.Open();
        var client = Guid.NewGuid();
        var nonce = NewNonce();
        storage.Execute($"ALTER TABLE {storage.AuditTable} RENAME TO audit_away");
        try
        {
            Assert.Equal(NonceRecordResult.Unavailable, await opened.Nonces.TryRecordAllowedAsync(client, nonce, Live, Allowed(client)));
        }
        finally
        {
            storage.Execute($"ALTER TABLE audit_away RENAME TO {storage.AuditTable}");
        }

        var allowed = Allowed(client);
        Assert.Equal(NonceRecordResult.Recorded, await opened.Nonces.TryRecordAllowedAsync(client, nonce, Live, allowed));
        Assert.Equal([allowed], AuditRowsOf(opened, client));
    }

    [Fact]
    public async Task ManyAllowedRequestsAtOnce_EachRecordedNonceHasItsAuditRow_AndEachReplayNone()
    {
        // Eight nonces, each sent four times at once through two instances: concurrent writes share commits.
        var ledgers = new[] { Open(), Open() };
        var client = Guid.NewGuid();
        var nonces = Enumerable.Range(0, 8).Select(_ => NewNonce()).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(
            () => ledgers[i % 2].TryRecordAllowedAsync(client, nonces[i % nonces.Length], Live, Allowed(client, $"/v1/{i % nonces.Length}")))));

        Assert.Equal(8, results.Count(r => r == NonceRecordResult.Recorded));
        Assert.Equal(24, results.Count(r => r == NonceRecordResult.AlreadySeen));
        var rows = AuditRowsOf(storage.Open(), client);
        Assert.Equal(Enumerable.Range(0, 8).Select(n => $"/v1/{n}").Order(), rows.Select(r => r.Path).Order());
    }

    [Fact]
    public async Task StorageGoingDown_MakesTheAllowedWriteUnavailable()
    {
        var opened = storage.Open();
        var client = Guid.NewGuid();
        Assert.Equal(NonceRecordResult.Recorded, await opened.Nonces.TryRecordAllowedAsync(client, NewNonce(), Live, Allowed(client)));
        using (TakeStorageDown())
        {
            Assert.Equal(NonceRecordResult.Unavailable, await opened.Nonces.TryRecordAllowedAsync(client, NewNonce(), Live, Allowed(client)));
            await Assert.ThrowsAsync<StorageUnavailableException>(() => opened.Audit.AppendAsync(Allowed(client)));
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

    /// <summary>An allowed request's audit row for <paramref name="client"/>, to the millisecond (as the tables keep it).</summary>
    protected static RequestAuditEntry Allowed(Guid client, string path = "/v1/whoami") =>
        new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), client, "127.0.0.1", "127.0.0.1", "GET", path, "Allowed");

    /// <summary><paramref name="client"/>'s audit rows, newest first (other tests' rows may share the database).</summary>
    protected static List<RequestAuditEntry> AuditRowsOf(ServerStorage opened, Guid client) =>
        [.. opened.Audit.Recent(100_000).Where(e => e.ClientId == client)];

    protected static byte[] NewNonce() => RandomNumberGenerator.GetBytes(RequestSignature.NonceLength);
}
