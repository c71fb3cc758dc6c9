using System.Security.Cryptography;
using IndependentReader;
using SecretOps.Core.Audit;
using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// Issue 12 finding 1: SQL objects planted in the store file (triggers, views, extra or changed tables and
/// indexes) run inside SecretOps's own transactions. Each test plants one with raw SQL, as someone who can write
/// the file would, and shows the store refused (SecretOps.StoreCorrupt, naming what differs) before anything is
/// disclosed or recorded wrongly.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public sealed class SchemaTamperTests : IDisposable
{
    private const string WrittenAfterRevocation = "canary-written-after-revocation-7f3a";
    private readonly TempStore store = new();
    private readonly string mallorySecret;

    public SchemaTamperTests()
    {
        using var system = store.ConnectSystem();
        system.CreateNamespace("prod");
        system.SetSecret("prod", "db-password", SecretValue.FromString("before-revocation"));
        mallorySecret = system.AddClient("mallory", new ClientCredentialSpec { Kind = ClientKind.Generated }, ClientRole.Member).ClientSecret!;
        system.Grant("mallory", "prod", null, Permissions.Read);
    }

    [Fact]
    public void RevocationTrigger_IsRefused_AndTheRevokedMemberCannotReadWhatIsWrittenAfter()
    {
        // Mallory can write the file: she makes the deletion of her own stanzas a silent no-op.
        PlantKeepMine(store.Path);
        AssertRevocationRefused();
    }

    [Fact]
    public void RevocationTrigger_PlantedWhileASessionIsOpen_IsRefusedAtTheRevocation()
    {
        using var system = store.ConnectSystem();
        using (system.GetSecret("prod", "db-password"))
        {
        }

        // Planted after the store was opened and checked: the long-lived session (a PowerShell session) must notice.
        PlantKeepMine(store.Path);
        AssertRevocationRefused(system);
    }

    [Fact]
    public void AuditTrigger_ThatDropsItsOwnReads_IsRefused_SoNoReadGoesUnrecorded()
    {
        RawDb.Execute(store.Path, "CREATE TRIGGER hide_reads AFTER INSERT ON audit WHEN new.client_name = 'mallory' AND new.action = 'secret.get' BEGIN DELETE FROM audit WHERE sequence = new.sequence; END");

        string? read = null;
        var outcome = Record.Exception(() =>
        {
            using var credential = ClientCredential.FromGeneratedSecret(mallorySecret);
            using var session = store.Connect("mallory", credential);
            using var value = session.GetSecret("prod", "db-password");
            read = value.Value.GetString();
        });

        var recorded = (long)RawDb.Scalar(store.Path, "SELECT count(*) FROM audit WHERE client_name = 'mallory' AND action = 'secret.get'")!;
        Assert.True(read is null || recorded == 1, $"Mallory read the secret and the audit log holds {recorded} record(s) of it.");
        var refused = Assert.IsType<StoreUnavailableException>(outcome);
        Assert.Equal("SecretOps.StoreCorrupt", refused.ErrorId);
        Assert.Contains("trigger 'hide_reads' on table 'audit'", refused.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> AlteredSchemas => new()
    {
        { "CREATE TRIGGER t AFTER UPDATE ON secrets BEGIN SELECT 1; END", "trigger 't' on table 'secrets'" },
        { "CREATE VIEW stanza_view AS SELECT * FROM stanzas", "view 'stanza_view'" },
        { "CREATE TABLE notes (x)", "table 'notes'" },
        { "CREATE INDEX audit_by_client ON audit (client_name)", "index 'audit_by_client' on table 'audit'" },
        { "DROP INDEX stanzas_by_scope", "index 'stanzas_by_scope' on table 'stanzas' is missing" },
        { "ALTER TABLE clients ADD COLUMN note TEXT", "table 'clients' is defined differently" },
        { "CREATE TABLE t2 (id INTEGER PRIMARY KEY AUTOINCREMENT); DROP TABLE t2;", "table 'sqlite_sequence'" },
        { "ANALYZE", "table 'sqlite_stat1'" },
    };

    [Theory]
    [MemberData(nameof(AlteredSchemas))]
    public void AlteredSchema_IsRefusedOnOpen_NamingWhatDiffers_AndTheFileIsLeftAsItWas(string sql, string named)
    {
        RawDb.Execute(store.Path, sql);
        RawDb.Checkpoint(store.Path);
        var before = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(store.Path)));

        var refused = Assert.Throws<StoreUnavailableException>(() => store.Open());
        Assert.Equal("SecretOps.StoreCorrupt", refused.ErrorId);
        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
        Assert.Contains("format 2", refused.Message, StringComparison.Ordinal);
        SecretStore.ReleaseConnections();
        Assert.Equal(before, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(store.Path))));
    }

    [Fact]
    public void BackupWithATrigger_IsNotRestored_AndTheStoreItWouldReplaceIsUnchanged()
    {
        var backup = Path.Combine(store.Directory, "backup.db");
        store.Open().Backup(backup);
        PlantKeepMine(backup);
        var before = RawDb.Fingerprint(store.Path);

        var refused = Assert.Throws<StoreUnavailableException>(() => SecretStore.Restore(backup, store.Path));
        Assert.Equal("SecretOps.StoreCorrupt", refused.ErrorId);
        Assert.Contains("trigger 'keep_mine' on table 'stanzas'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, RawDb.Fingerprint(store.Path));
        Assert.Contains("trigger 'keep_mine'", Assert.Throws<StoreUnavailableException>(() => SecretStore.VerifyBackup(backup)).Message, StringComparison.Ordinal);
        Assert.Equal(["backup.db", "store.db"], Directory.GetFiles(store.Directory).Select(Path.GetFileName).Where(n => !n!.EndsWith("-wal", StringComparison.Ordinal) && !n.EndsWith("-shm", StringComparison.Ordinal)).Order());
    }

    [Fact]
    public void ASoundStore_StillOpensAndChecksHealthy_AfterEveryKindOfWrite()
    {
        using (var system = store.ConnectSystem())
        {
            system.Revoke("mallory", "prod", null);
            system.RotateNamespaceKey("prod");
            system.RemoveSecret("prod", "db-password");
        }

        RawDb.Checkpoint(store.Path);
        using var again = store.ConnectSystem();
        var check = again.Check();
        Assert.True(check.IsHealthy, string.Join("; ", check.KeyProblems));
    }

    [Fact]
    public void DeletionsAndAuditInserts_AreConfirmed_WhenSomethingInterferesAnyway()
    {
        // Defence in depth behind the schema check: a TEMP trigger (on this connection only, invisible to the file's
        // schema) interferes the way a planted one would; the confirmation catches it and nothing is committed.
        // SQLite only: the interference is a TEMP trigger on the backend's own connection.
        var opened = store.Open();
        var database = new StoreDatabase(store.Path, shared: false);
        var mallory = new Guid(Convert.FromHexString(MalloryIdHex()), bigEndian: true);
        var before = RawDb.Fingerprint(store.Path);
        var deletion = Assert.Throws<StoreUnavailableException>(() => database.Write((connection, transaction) =>
        {
            StoreDatabase.Execute(connection, transaction, "CREATE TEMP TRIGGER keep_mine BEFORE DELETE ON main.stanzas BEGIN SELECT RAISE(IGNORE); END");
            var batch = new WriteBatch();
            batch.Add(new RemoveStanzas(mallory));
            new SqliteBatchWriter(connection, transaction).Apply(batch);
            return 0;
        }));
        Assert.Equal("SecretOps.StoreCorrupt", deletion.ErrorId);
        Assert.Contains("the client's keys", deletion.Message, StringComparison.Ordinal);

        var audit = Assert.Throws<StoreUnavailableException>(() => database.Write((connection, transaction) =>
        {
            StoreDatabase.Execute(connection, transaction, "CREATE TEMP TRIGGER hide AFTER INSERT ON main.audit BEGIN DELETE FROM audit WHERE sequence = new.sequence; END");
            var batch = new WriteBatch();
            AuditLog.Append(new SqliteReader(connection, transaction), batch, opened.StoreId, Surface.Api, [new AuditRecord(null, "mallory", "secret.get", "prod", "db-password", 1, AuditRecord.Ok, null)]);
            new SqliteBatchWriter(connection, transaction).Apply(batch);
            return 0;
        }));
        database.ReleaseConnections();
        Assert.Equal("SecretOps.StoreCorrupt", audit.ErrorId);
        Assert.Contains("audit entries", audit.Message, StringComparison.Ordinal);
        Assert.Equal(before, RawDb.Fingerprint(store.Path));
    }

    public void Dispose() => store.Dispose();

    /// <summary>The attack of finding 1: a trigger that silently skips the deletion of Mallory's stanzas.</summary>
    private void PlantKeepMine(string path) =>
        RawDb.Execute(path, $"CREATE TRIGGER keep_mine BEFORE DELETE ON stanzas WHEN old.client_id = X'{MalloryIdHex()}' BEGIN SELECT RAISE(IGNORE); END");

    /// <summary>
    /// Revokes Mallory and writes a new value, in <paramref name="open"/> or a new System session; Mallory must not be
    /// able to read it, and the store must be refused, naming the trigger.
    /// </summary>
    private void AssertRevocationRefused(Session? open = null)
    {
        var outcome = Record.Exception(() =>
        {
            var system = open ?? store.ConnectSystem();
            try
            {
                system.Revoke("mallory", "prod", null);
                system.SetSecret("prod", "db-password", SecretValue.FromString(WrittenAfterRevocation));
            }
            finally
            {
                if (open is null)
                {
                    system.Dispose();
                }
            }
        });

        // What Mallory cares about: reading, with her own credential and raw SQL, the value written after she was revoked.
        Assert.NotEqual(WrittenAfterRevocation, AttackerRead("mallory", mallorySecret, "prod", "db-password"));
        var refused = Assert.IsType<StoreUnavailableException>(outcome);
        Assert.Equal("SecretOps.StoreCorrupt", refused.ErrorId);
        Assert.Contains("trigger 'keep_mine' on table 'stanzas'", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("before-revocation", refused.Message, StringComparison.Ordinal);
    }

    private string MalloryIdHex() => Convert.ToHexString((byte[])RawDb.Scalar(store.Path, "SELECT id FROM clients WHERE name = 'mallory'")!);

    /// <summary>What a client reads from the file with its own credential and raw SQL (FORMAT.md §12), or null when it cannot.</summary>
    private string? AttackerRead(string client, string secret, string ns, string name)
    {
        SecretStore.ReleaseConnections();
        try
        {
            return FormatReader.Decrypt(store.Path, client, secret, ns, name).Text;
        }
        catch (Exception e) when (e is CryptographicException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }
}
