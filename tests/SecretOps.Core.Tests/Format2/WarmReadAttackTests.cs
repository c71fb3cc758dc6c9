using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Format2;

/// <summary>
/// A session's warm reads (a read answered by one SELECT against the control log the session already verified, with its
/// keys cached, skipping the transaction and the schema check) against a file writer who changes rows between two reads
/// of one open session: every answer is still the log's, or the read is refused.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public sealed class WarmReadAttackTests : IDisposable
{
    private readonly TempStore store = new();
    private readonly Session session;

    public WarmReadAttackTests()
    {
        session = store.ConnectSystem();
        session.SetSecret("default", "db", SecretValue.FromString("v1"));
        session.SetSecret("default", "db", SecretValue.FromString("v2"));
        using var warm = session.GetSecret("default", "db");
        Assert.Equal("v2", warm.Value.GetString());
    }

    public void Dispose()
    {
        session.Dispose();
        store.Dispose();
    }

    [Fact]
    public void OlderVersionsCiphertext_CopiedOverTheCurrentRow_IsRefused_NotServed()
    {
        // Same key, same secret: only the value digest in the log tells v1's bytes from v2's.
        RawDb.Execute(store.Path,
            "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE version = 1), ciphertext = (SELECT ciphertext FROM versions WHERE version = 1) WHERE version = 2");
        var error = Assert.Throws<TamperedException>(() => session.GetSecret("default", "db"));
        Assert.Contains("version 2", error.Message);
    }

    [Fact]
    public void CurrentVersionPointer_RolledBack_DoesNotChooseTheValue()
    {
        RawDb.Execute(store.Path, "UPDATE secrets SET current_version = 1");
        // The warm read answers from the log's current version, never from the pointer; a command that reads the secret's
        // row refuses the row that disagrees with the log.
        using (var read = session.GetSecret("default", "db"))
        {
            Assert.Equal("v2", read.Value.GetString());
            Assert.Equal(2, read.Version);
        }

        Assert.Throws<TamperedException>(() => session.GetEntry("default", "db"));
    }

    [Fact]
    public void SecretRenamedInItsRow_IsRefused()
    {
        RawDb.Execute(store.Path, "UPDATE secrets SET name = 'other'");
        Assert.Throws<TamperedException>(() => session.GetSecret("default", "db"));
    }

    [Fact]
    public void ViewPlantedMidSession_InPlaceOfVersions_IsRefusedAsCorrupt_NotRead()
    {
        using (var db = RawDb.Open(store.Path))
        {
            RawDb.Execute(db, "ALTER TABLE versions RENAME TO versions_real");
            RawDb.Execute(db, "CREATE VIEW versions AS SELECT * FROM versions_real WHERE version = 1");
        }

        RawDb.Checkpoint(store.Path);
        // The warm read finds no verifying row and leaves the read to a full one, whose schema check refuses the file.
        var error = Assert.Throws<StoreUnavailableException>(() => session.GetSecret("default", "db"));
        Assert.Equal("SecretOps.StoreCorrupt", error.ErrorId);
        Assert.Contains("view 'versions'", error.Message);
    }

    [Fact]
    public void SecretRowDeleted_IsRefused_NotAnsweredFromTheLogAlone()
    {
        RawDb.Execute(store.Path, "PRAGMA foreign_keys = OFF; DELETE FROM secrets");
        Assert.Throws<TamperedException>(() => session.GetSecret("default", "db"));
    }
}
