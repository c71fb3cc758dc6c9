using System.Text.Json;
using SecretOps.Tests.Files;

namespace SecretOps.Cli.Tests;

public class StoreCommandTests
{
    [Fact]
    public void InitGenerateSecret_Json_PrintsExactlyTheIdentityAndTheSecret_WhichThenConnects()
    {
        using var store = CliStore.Empty();
        var created = store.Json("store", "init", "--generate-secret");
        Assert.Equal(["storeId", "clientId", "clientName", "clientSecret"], created.EnumerateObject().Select(p => p.Name));
        Assert.True(Guid.TryParse(created.GetProperty("storeId").GetString(), out _));
        Assert.True(Guid.TryParse(created.GetProperty("clientId").GetString(), out _));
        Assert.Equal("system", created.GetProperty("clientName").GetString());
        var secret = created.GetProperty("clientSecret").GetString()!;
        Assert.StartsWith("secretops_", secret, StringComparison.Ordinal);

        // The secret works from the environment and from --secret-file; the passphrase does not.
        var withSecret = new Dictionary<string, string?> { ["SECRETOPS_CLIENT_SECRET"] = secret, ["SECRETOPS_PASSPHRASE"] = null };
        store.Ok(["secret", "set", "k", "--value", "v"], stdin: null, withSecret);
        var secretFile = Path.Combine(store.Directory, "system.secret");
        CredentialFile.Write(secretFile, secret + "\n");
        Assert.Equal("v", store.Ok(["secret", "get", "k", "--secret-file", secretFile], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null }).Stdout);
        store.Fails(4, "secret", "get", "k");

        // A secret file others can read is refused, naming the file and the fix, and never echoing the secret.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(secretFile, (UnixFileMode)Convert.ToInt32("644", 8));
            var loose = store.Fails(2, ["secret", "get", "k", "--secret-file", secretFile], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null });
            Assert.Contains($"chmod 600 '{secretFile}'", loose.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, loose.Stderr + loose.Stdout, StringComparison.Ordinal);
        }

        var info = store.Json("store", "info");
        Assert.Equal(created.GetProperty("storeId").GetString(), info.GetProperty("storeId").GetString());
    }

    [Fact]
    public void InitGenerateSecret_Table_ShowsTheSecretOnce_WithAWarningOnStderr()
    {
        using var store = CliStore.Empty();
        var result = store.Run("store", "init", "--generate-secret");
        Assert.Equal(0, result.ExitCode);
        var secretLine = result.Stdout.Split('\n').Single(l => l.StartsWith("Client secret", StringComparison.Ordinal));
        var secret = secretLine["Client secret".Length..].Trim();
        Assert.StartsWith("secretops_", secret, StringComparison.Ordinal);
        Assert.Equal(2, result.Stdout.Split(secret).Length);
        Assert.Contains("shown once", result.Stderr);
        Assert.Contains("store it now", result.Stderr);
        Assert.DoesNotContain(secret, result.Stderr);
    }

    [Fact]
    public void Init_TakesTheCredentialFromTheEnvironment_OrRefusesWithoutOne()
    {
        // SECRETOPS_PASSPHRASE.
        using (var store = CliStore.Empty())
        {
            var created = store.Json(["store", "init", .. CliStore.WeakKdf]);
            Assert.Equal(JsonValueKind.Null, created.GetProperty("clientSecret").ValueKind);
            store.Set("k", "v");
            store.Fails(6, ["store", "init", .. CliStore.WeakKdf]);
            Assert.Equal("v", store.Get("k"));
        }

        // SECRETOPS_SYSTEM_CLIENT_ID / _SECRET win over SECRETOPS_PASSPHRASE.
        using (var seed = CliStore.Empty())
        using (var store = CliStore.Empty())
        {
            var secret = seed.Json("store", "init", "--generate-secret").GetProperty("clientSecret").GetString();
            var id = Guid.NewGuid().ToString();
            var preset = new Dictionary<string, string?> { ["SECRETOPS_SYSTEM_CLIENT_ID"] = id, ["SECRETOPS_SYSTEM_CLIENT_SECRET"] = secret };
            var created = JsonDocument.Parse(store.Ok(["store", "init", "-o", "json"], stdin: null, preset).Stdout).RootElement;
            Assert.Equal(id, created.GetProperty("clientId").GetString());
            Assert.Equal(JsonValueKind.Null, created.GetProperty("clientSecret").ValueKind);
            store.Ok(["secret", "list"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_CLIENT_SECRET"] = secret, ["SECRETOPS_PASSPHRASE"] = null });

            var half = store.Run(["store", "init"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_SYSTEM_CLIENT_ID"] = id });
            CliStore.AssertFailure(half, 2, ["store", "init"]);
        }

        // Nothing at all, and stdin is not a terminal: a usage error, no file.
        using (var store = CliStore.Empty())
        {
            var none = store.Fails(2, ["store", "init"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null });
            Assert.Contains("--passphrase-stdin", none.Stderr);
            Assert.False(File.Exists(store.StorePath));
            store.Fails(2, "store", "init", "--generate-secret", "--passphrase-stdin");
            Assert.Contains("weaker than the minimum", store.Fails(2, "store", "init", "--kdf-memory", "1", "--kdf-iterations", "1").Stderr);
            Assert.Contains("memory must be 1–4096 MiB", store.Fails(2, "store", "init", "--kdf-memory", "0").Stderr);
            Assert.False(File.Exists(store.StorePath));
        }
    }

    [Fact]
    public void Init_WithoutStore_UsesTheDefaultPath_AndSecretopsStoreIsHonoured()
    {
        using var store = CliStore.Empty();
        var result = Cli.Run(["store", "init", .. CliStore.WeakKdf], stdin: null, store.Environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        var defaultPath = Path.Combine(store.Directory, "data", "secretops", "store.db");
        Assert.True(File.Exists(defaultPath));
        Assert.Contains(defaultPath, result.Stdout);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(defaultPath));
        }

        var other = Path.Combine(store.Directory, "env.db");
        var environment = new Dictionary<string, string?>(store.Environment) { ["SECRETOPS_STORE"] = other };
        Assert.Equal(0, Cli.Run(["store", "init", .. CliStore.WeakKdf], stdin: null, environment).ExitCode);
        Assert.Equal(0, Cli.Run(["secret", "set", "k", "--value", "in env store"], stdin: null, environment).ExitCode);
        Assert.Equal("in env store", Cli.Run(["secret", "get", "k"], stdin: null, environment).Stdout);
        Assert.Equal(3, Cli.Run(["secret", "get", "k"], stdin: null, store.Environment).ExitCode);
    }

    [Fact]
    public void InfoCheckAndAuditVerify_SucceedOnAHealthyStore()
    {
        using var store = CliStore.Create();
        store.Set("a", "v");
        var info = store.Json("store", "info");
        Assert.Equal(store.StorePath, info.GetProperty("path").GetString());
        Assert.Equal(1, info.GetProperty("secrets").GetInt32());
        Assert.Equal(1, info.GetProperty("namespaces").GetInt32());
        Assert.True(info.GetProperty("allowsWeakKdf").GetBoolean());

        var check = store.Json("store", "check");
        Assert.True(check.GetProperty("isHealthy").GetBoolean());
        Assert.Equal("ok", check.GetProperty("integrityCheck").GetString());
        Assert.Contains("Is healthy", store.Ok("store", "check").Stdout);

        var verify = store.Json("audit", "verify");
        Assert.True(verify.GetProperty("isValid").GetBoolean());
        Assert.True(verify.GetProperty("entriesChecked").GetInt64() >= 2);
    }

    [Fact]
    public void Backup_ThenRestore_RoundTrips()
    {
        using var store = CliStore.Create();
        store.Set("a", "one");
        var backup = Path.Combine(store.Directory, "backup.db");
        store.Ok("store", "backup", backup);
        Assert.True(File.Exists(backup));
        store.Fails(6, "store", "backup", backup);

        store.Set("a", "two");
        store.Set("b", "new");

        var refused = store.Fails(2, "store", "restore", backup);
        Assert.Contains("--yes", refused.Stderr);
        Assert.Equal("two", store.Get("a"));

        store.Ok("store", "restore", backup, "--yes");
        Assert.Equal("one", store.Get("a"));
        Assert.Equal(["a"], store.Names());
        Assert.True(store.Json("audit", "verify").GetProperty("isValid").GetBoolean());

        // A backup that is not a store is refused and nothing is replaced.
        var junk = Path.Combine(store.Directory, "junk.db");
        File.WriteAllBytes(junk, new byte[8192]);
        store.Fails(7, "store", "restore", junk, "--yes");
        store.Fails(3, "store", "restore", Path.Combine(store.Directory, "missing.db"), "--yes");
        Assert.Equal("one", store.Get("a"));
    }

    [Fact]
    public void UnusableStores_FailWithTheRightCode_AndAClearMessage()
    {
        using var store = CliStore.Create();
        store.Set("a", "v");

        var missing = Path.Combine(store.Directory, "missing.db");
        Assert.Contains("store init", store.Fails(3, "--store", missing, "secret", "get", "a").Stderr);
        store.Fails(3, "--store", missing, "store", "info");

        var directory = Path.Combine(store.Directory, "a-directory");
        Directory.CreateDirectory(directory);
        foreach (var command in new[] { new[] { "secret", "get", "a" }, ["store", "info"], ["store", "init"], ["audit", "verify"] })
        {
            Assert.Contains("is a directory", store.Fails(2, ["--store", directory, .. command]).Stderr);
        }

        var notSqlite = Path.Combine(store.Directory, "text.db");
        File.WriteAllText(notSqlite, string.Concat(Enumerable.Repeat("this is not a database\n", 500)));
        Assert.Contains("not a SQLite database", store.Fails(7, "--store", notSqlite, "secret", "get", "a").Stderr);
        store.Fails(7, "--store", notSqlite, "store", "info");

        var empty = Path.Combine(store.Directory, "empty.db");
        File.WriteAllBytes(empty, []);
        store.Fails(7, "--store", empty, "secret", "list");

        var truncated = Path.Combine(store.Directory, "truncated.db");
        var bytes = File.ReadAllBytes(store.StorePath);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        foreach (var command in new[] { new[] { "secret", "get", "a" }, ["secret", "list"], ["store", "info"], ["audit", "verify"] })
        {
            Assert.Contains("damaged", store.Fails(7, ["--store", truncated, .. command]).Stderr);
        }

        // Damage inside the file (not at its end) is corruption too, whichever read meets it first.
        var damaged = Path.Combine(store.Directory, "damaged.db");
        var random = new Random(20261122);
        for (var page = 1; page < bytes.Length / 4096; page += 2)
        {
            var copy = (byte[])bytes.Clone();
            random.NextBytes(copy.AsSpan(page * 4096, 4096));
            File.WriteAllBytes(damaged, copy);
            var result = store.Run("--store", damaged, "secret", "get", "a");
            Assert.True(result.ExitCode is 0 or 3 or 4 or 7, $"page {page}: {result}");
            Assert.DoesNotContain("unexpected", result.Stderr);
            File.Delete(damaged);
        }

        Assert.Equal("v", store.Get("a"));
    }

    [Fact]
    public void ReadOnlyStore_StillReads_WithAWarning_ButRefusesWrites()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("chmod 0400 is a Unix test.");
            return;
        }

        using var store = CliStore.Create();
        store.Set("a", "v");
        IReadOnlyList<string>? asOtherUser = null;
        string? cliAssembly = null;
        if (Environment.UserName == "root" || OtherUser.IsRoot())
        {
            // Root writes to 0400 files anyway; run the CLI as 'nobody', who owns the read-only file.
            if (!File.Exists(OtherUser.SetPriv))
            {
                Assert.Skip("Running as root without setpriv: chmod 0400 does not stop root from writing.");
            }

            asOtherUser = OtherUser.Prefix(store.Directory);
            File.SetUnixFileMode(store.Directory, (UnixFileMode)Convert.ToInt32("777", 8));
            OtherUser.Chown(store.StorePath, OtherUser.Nobody);
            cliAssembly = OtherUser.ReadableCli(store.Directory);
        }

        File.SetUnixFileMode(store.StorePath, UnixFileMode.UserRead);
        var get = store.Run(["secret", "get", "a"], stdin: null, prefix: asOtherUser, cliAssembly: cliAssembly);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("v", get.Stdout);
        Assert.Contains("read-only", get.Stderr);
        Assert.Contains("audit", get.Stderr);

        var list = store.Run(["secret", "list", "-o", "json"], stdin: null, prefix: asOtherUser, cliAssembly: cliAssembly);
        Assert.Equal(0, list.ExitCode);
        Assert.Single(JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray());

        var set = store.Run(["secret", "set", "b", "--value", "w"], stdin: null, prefix: asOtherUser, cliAssembly: cliAssembly);
        CliStore.AssertFailure(set, 1, ["secret", "set"]);
        Assert.Contains("read-only", set.Stderr);

        var info = store.Run(["store", "info", "-o", "json"], stdin: null, prefix: asOtherUser, cliAssembly: cliAssembly);
        Assert.True(JsonDocument.Parse(info.Stdout).RootElement.GetProperty("isReadOnly").GetBoolean());
    }
}
