using Microsoft.Data.Sqlite;

namespace SecretOps.Cli.Tests;

/// <summary>Changes made to the store file behind the CLI's back are reported with exit code 7, never as a wrong value.</summary>
public class TamperTests
{
    [Fact]
    public void AlteredAuditEntry_FailsAuditVerifyAndStoreCheck_With7()
    {
        using var store = CliStore.Create();
        store.Set("a", "v");
        Execute(store.StorePath, "UPDATE audit SET action = 'secret.list' WHERE sequence = 2");

        var verify = store.Run("audit", "verify", "-o", "json");
        Assert.Equal(7, verify.ExitCode);
        Assert.Contains("Audit entry 2", verify.Stderr);
        Assert.Contains("\"isValid\": false", verify.Stdout);
        var check = store.Run("store", "check");
        Assert.Equal(7, check.ExitCode);
        Assert.Contains("not healthy", check.Stderr);
    }

    [Fact]
    public void AlteredCiphertext_FailsTheRead_With7()
    {
        using var store = CliStore.Create();
        store.Set("a", "original");
        Execute(store.StorePath, "UPDATE versions SET ciphertext = randomblob(length(ciphertext))");

        var get = store.Fails(7, "secret", "get", "a");
        Assert.Equal("", get.Stdout);
        // Format 2 refuses it before decrypting: the row is not what its author signed in the control log.
        Assert.Contains("what its author signed in the control log", get.Stderr);
    }

    private static void Execute(string path, string sql)
    {
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            Assert.True(command.ExecuteNonQuery() > 0);
        }
    }
}
