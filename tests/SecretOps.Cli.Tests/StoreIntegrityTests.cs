using IndependentReader;
using SecretOps.Core.Tests.Store;
using SecretOps.Tests.Shared;

namespace SecretOps.Cli.Tests;

/// <summary>
/// Issue 12 findings 1, 6 and 8 through the real CLI: a store file altered with raw SQL (a trigger), side files
/// planted beside it, and files swapped for symbolic links while the CLI writes them. Each is refused (exit 7 for
/// an altered store) with nothing disclosed.
/// </summary>
public class StoreIntegrityTests
{
    private const string Canary = "canary-cli-integrity-51e0";

    [Fact]
    public void TriggerKeepingARevokedMembersStanzas_RevokeExits7NamingIt_AndTheMemberReadsNothingWrittenAfter()
    {
        using var store = CliStore.Create();
        var mallorySecret = Team(store);
        RawDb.Execute(store.StorePath, $"CREATE TRIGGER keep_mine BEFORE DELETE ON stanzas WHEN old.client_id = X'{ClientIdHex(store, "mallory")}' BEGIN SELECT RAISE(IGNORE); END");

        var revoke = store.Run("revoke", "mallory", "--namespace", "prod", "--yes");
        store.Run("secret", "set", "db-password", "--value", Canary, "-n", "prod");

        Assert.NotEqual(Canary, AttackerRead(store, "mallory", mallorySecret));
        CliStore.AssertFailure(revoke, 7, ["revoke"]);
        Assert.Contains("trigger 'keep_mine' on table 'stanzas'", revoke.Stderr, StringComparison.Ordinal);
        foreach (var check in new[] { store.Run("store", "check"), store.Run("audit", "verify") })
        {
            CliStore.AssertFailure(check, 7, ["store check / audit verify"]);
            Assert.Contains("trigger 'keep_mine' on table 'stanzas'", check.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TriggerDroppingAMembersReads_TheReadExits7_AndDisclosesNothing()
    {
        using var store = CliStore.Create();
        var mallorySecret = Team(store);
        RawDb.Execute(store.StorePath, "CREATE TRIGGER hide_reads AFTER INSERT ON audit WHEN new.client_name = 'mallory' AND new.action = 'secret.get' BEGIN DELETE FROM audit WHERE sequence = new.sequence; END");

        var read = store.Run(["secret", "get", "db-password", "-n", "prod"], stdin: null, CliStore.As("mallory", secret: mallorySecret));

        var recorded = (long)RawDb.Scalar(store.StorePath, "SELECT count(*) FROM audit WHERE client_name = 'mallory' AND action = 'secret.get'")!;
        Assert.True(read.ExitCode != 0 || recorded == 1, $"mallory read the secret and the audit log holds {recorded} record(s) of it");
        CliStore.AssertFailure(read, 7, ["secret", "get"]);
        Assert.Equal("", read.Stdout);
        Assert.Contains("trigger 'hide_reads' on table 'audit'", read.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void PlantedWorldReadableWal_IsRefusedWith7_AndNothingIsWrittenIntoIt()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes; on Windows only links are checked.");
            return;
        }

        using var store = CliStore.Create();
        store.Set("existing", "existing value");
        var planted = store.StorePath + "-wal";
        FileAttacks.Plant(planted, FileAttacks.WorldReadWrite, []);
        using var attacker = new FileStream(planted, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        var set = store.Run("secret", "set", "later", "--value", Canary);

        using var seen = new MemoryStream();
        attacker.CopyTo(seen);
        Assert.Empty(seen.ToArray());
        CliStore.AssertFailure(set, 7, ["secret", "set"]);
        Assert.Contains($"'{planted}'", set.Stderr, StringComparison.Ordinal);
        Assert.Contains("mode 0666", set.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("backup")]
    [InlineData("policy")]
    public void FileSwappedForASymlinkWhileTheCliWritesIt_IsNeverWrittenThroughTheLink(string command)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Symbolic links in a shared directory: the Unix case.");
            return;
        }

        using var store = CliStore.Create();
        store.Set("existing", "existing value");
        var destination = Path.Combine(store.Directory, "shared", command == "backup" ? "backup.db" : "policy.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var attackerDirectory = Path.Combine(store.Directory, "attacker");
        Directory.CreateDirectory(attackerDirectory);
        using var swapper = new SymlinkSwapper(destination, Path.Combine(attackerDirectory, "collected"));

        var leaks = 0;
        for (var i = 0; i < 25 && swapper.Swaps < 4; i++)
        {
            File.Delete(destination);
            File.Delete(swapper.Target);
            swapper.Arm();
            store.Run(command == "backup" ? ["store", "backup", destination] : ["policy", "export", destination]);
            swapper.Disarm();
            leaks += FileAttacks.Read(swapper.Target).Length > 0 ? 1 : 0;
        }

        Assert.True(swapper.Swaps > 0, "the swapper never won a race; the test proved nothing");
        Assert.True(leaks == 0, $"{leaks} of {swapper.Swaps} swapped {command} files were written through the link");
    }

    /// <summary>A namespace with one secret, and a member (returned: its generated secret) granted Read on it.</summary>
    private static string Team(CliStore store)
    {
        store.Ok("ns", "create", "prod");
        store.Set("db-password", "before-revocation", "-n", "prod");
        var secret = store.AddGenerated("mallory");
        store.Ok("grant", "mallory", "--namespace", "prod", "--permissions", "read");
        return secret;
    }

    private static string ClientIdHex(CliStore store, string name) =>
        Convert.ToHexString((byte[])RawDb.Scalar(store.StorePath, "SELECT id FROM clients WHERE name = $n", ("$n", name))!);

    private static string? AttackerRead(CliStore store, string client, string secret)
    {
        try
        {
            return FormatReader.Decrypt(store.StorePath, client, secret, "prod", "db-password").Text;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }
}
