using SecretOps.Core.Remote;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>
/// What the client registry and the audit log must do on every storage, run by a derived class per storage: enrolment
/// and its refusal of an enrolled id, replacing, status and allow-list changes seen by another instance, listing
/// without keys, audit rows read back newest first and deleted only when older than a retention cutoff, and a storage
/// failure reported as
/// <see cref="StorageUnavailableException"/>.
/// </summary>
public abstract class ClientRegistryContract(TestStorage storage) : IDisposable
{
    private static readonly DateTimeOffset Enrolled = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EnrolledClient_IsFoundWithItsKeyListAndStatus_ByAnotherInstance()
    {
        var id = Guid.NewGuid();
        using var key = RequestSigningKey.Generate();
        Assert.True(storage.Open().Clients.Enrol(id, key, AddressAllowList.Parse(["10.0.0.0/8", "2001:db8::/32"]), Enrolled, replace: false));

        using var found = storage.Open().Clients.Find(id);
        Assert.NotNull(found);
        Assert.Equal((id, EnrolmentStatus.Active, Enrolled), (found.Client.Id, found.Client.Status, found.Client.CreatedAt));
        Assert.Equal(["10.0.0.0/8", "2001:db8::/32"], found.Client.AllowList.Ranges.Select(r => r.ToString()));
        Assert.Equal(EnrolmentToken.Format(id, key), EnrolmentToken.Format(id, found.Key));
    }

    [Fact]
    public void EnrollingAnEnrolledClient_IsRefused_UnlessReplacing()
    {
        var registry = storage.Open().Clients;
        var id = Guid.NewGuid();
        using var first = RequestSigningKey.Generate();
        using var second = RequestSigningKey.Generate();
        Assert.True(registry.Enrol(id, first, AddressAllowList.Any, Enrolled, replace: false));
        registry.SetStatus(id, EnrolmentStatus.Disabled);

        Assert.False(registry.Enrol(id, second, AddressAllowList.Any, Enrolled, replace: false));
        using (var kept = registry.Find(id)!)
        {
            Assert.Equal(EnrolmentToken.Format(id, first), EnrolmentToken.Format(id, kept.Key));
        }

        Assert.True(registry.Enrol(id, second, AddressAllowList.Parse(["192.0.2.1"]), Enrolled.AddDays(1), replace: true));
        using var replaced = registry.Find(id)!;
        Assert.Equal(EnrolmentToken.Format(id, second), EnrolmentToken.Format(id, replaced.Key));
        Assert.Equal((EnrolmentStatus.Active, Enrolled.AddDays(1), "192.0.2.1/32"),
            (replaced.Client.Status, replaced.Client.CreatedAt, replaced.Client.AllowList.Ranges.Single().ToString()));
    }

    [Fact]
    public void StatusAndAllowList_Change_AndAnUnknownClientIsNotFound()
    {
        var registry = storage.Open().Clients;
        var id = Guid.NewGuid();
        using var key = RequestSigningKey.Generate();
        registry.Enrol(id, key, AddressAllowList.Parse(["10.0.0.0/8"]), Enrolled, replace: false);

        Assert.True(registry.SetStatus(id, EnrolmentStatus.Disabled));
        Assert.True(registry.SetAllowList(id, AddressAllowList.Any));
        var listed = Assert.Single(storage.Open().Clients.List(), c => c.Id == id);
        Assert.Equal(EnrolmentStatus.Disabled, listed.Status);
        Assert.Empty(listed.AllowList.Ranges);

        var unknown = Guid.NewGuid();
        Assert.Null(registry.Find(unknown));
        Assert.False(registry.SetStatus(unknown, EnrolmentStatus.Active));
        Assert.False(registry.SetAllowList(unknown, AddressAllowList.Any));
    }

    [Fact]
    public void AuditRows_AreReadBackNewestFirst()
    {
        var audit = storage.Open().Audit;
        var client = Guid.NewGuid();
        var first = new RequestAuditEntry(Enrolled, client, "127.0.0.1", "198.51.100.7", "GET", "/v1/whoami", "Allowed");
        var second = new RequestAuditEntry(Enrolled.AddSeconds(1), null, "::1", null, "POST", "/v1/x%2Fy", "ForwardedForMalformed");
        audit.Append(first);
        audit.Append(second);
        Assert.Equal([second, first], storage.Open().Audit.Recent(2));
    }

    [Fact]
    public void DeletingAuditRowsOlderThanACutoff_KeepsTheRowAtTheCutoffAndAfter()
    {
        // Far before every other test's rows, which may share the database.
        var cutoff = new DateTimeOffset(2000, 1, 2, 0, 0, 0, TimeSpan.Zero);
        var client = Guid.NewGuid();
        var old = new RequestAuditEntry(cutoff.AddMilliseconds(-1), client, "127.0.0.1", "127.0.0.1", "GET", "/v1/old", "Allowed");
        var atCutoff = new RequestAuditEntry(cutoff, client, "127.0.0.1", "127.0.0.1", "GET", "/v1/at-cutoff", "Allowed");
        var recent = new RequestAuditEntry(cutoff.AddDays(1), client, "127.0.0.1", "127.0.0.1", "GET", "/v1/recent", "Allowed");
        var audit = storage.Open().Audit;
        audit.Append(old);
        audit.Append(atCutoff);
        audit.Append(recent);

        Assert.Equal(1, storage.Open().Audit.DeleteOlderThan(cutoff));
        Assert.Equal([recent, atCutoff], audit.Recent(1000).Where(entry => entry.ClientId == client));
    }

    [Fact]
    public void StorageGoingDown_IsReportedAsUnavailable()
    {
        var opened = storage.Open();
        using var key = RequestSigningKey.Generate();
        using (storage.TakeDown())
        {
            Assert.Throws<StorageUnavailableException>(() => opened.Clients.Find(Guid.NewGuid()));
            Assert.Throws<StorageUnavailableException>(() => opened.Clients.Enrol(Guid.NewGuid(), key, AddressAllowList.Any, Enrolled, replace: false));
            Assert.Throws<StorageUnavailableException>(() => opened.Audit.Append(new RequestAuditEntry(Enrolled, null, "127.0.0.1", "127.0.0.1", "GET", "/v1/x", "Allowed")));
            Assert.Throws<StorageUnavailableException>(() => opened.Audit.DeleteOlderThan(Enrolled));
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => storage.Dispose();
}
