using System.Security.Cryptography;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;
using SecretOps.Core.Vault;
using SecretOps.Tests.Files;

namespace SecretOps.Core.Tests.Vault;

public sealed class SecretVaultTests : IDisposable
{
    /// <summary>The vault names the tests use: their sessions are closed after each test.</summary>
    private static readonly string[] VaultNames = ["V", "A", "B", "Team"];
    private readonly List<TempStore> stores = [];

    public void Dispose()
    {
        foreach (var name in VaultNames)
        {
            SecretVault.Unregister(name, null);
        }

        foreach (var store in stores)
        {
            foreach (var session in SessionRegistry.All.Where(s => s.Store.Path == store.Path))
            {
                SessionRegistry.Remove(session);
            }

            store.Dispose();
        }
    }

    /// <summary>A store whose system client has a generated secret, saved in a file the vault names.</summary>
    private (TempStore Store, VaultSettings Settings) SecretFileVault(string ns = SecretStore.DefaultNamespace)
    {
        var store = new TempStore(generateSecret: true);
        stores.Add(store);
        var secretFile = Path.Combine(store.Directory, "system.secret");
        CredentialFile.Write(secretFile, store.Created.ClientSecret!);
        var settings = Parse(("Path", store.Path), ("Client", "system"), ("Namespace", ns), ("SecretFile", secretFile));
        return (store, settings);
    }

    private (TempStore Store, VaultSettings Settings) PromptVault()
    {
        var store = new TempStore();
        stores.Add(store);
        var settings = Parse(("Path", store.Path), ("Client", "system"), ("Namespace", "default"), ("Prompt", true));
        return (store, settings);
    }

    private static VaultSettings Parse(params (string Key, object? Value)[] entries) =>
        VaultSettings.Parse(entries.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)));

    private static string? Text(VaultSettings settings, string name, string vaultName = "V")
    {
        using var value = SecretVault.GetSecret(vaultName, settings, name);
        return value?.GetString();
    }

    [Fact]
    public void GetSecret_ReturnsTheValue_OrNothingWhenAbsent()
    {
        var (_, vault) = SecretFileVault();
        SecretVault.SetSecret("V", vault, "db", SecretValue.FromString("s3cret"), null);
        Assert.Equal("s3cret", Text(vault, "db"));
        Assert.Equal("s3cret", Text(vault, "DB"));
        Assert.Null(SecretVault.GetSecret("V", vault, "missing"));
        // The name is literal, never a wildcard.
        Assert.Null(SecretVault.GetSecret("V", vault, "d*"));
    }

    [Fact]
    public void GetSecret_AMissingNamespace_IsAnError_NotAbsence()
    {
        var (_, vault) = SecretFileVault(ns: "nowhere");
        var e = Assert.Throws<NotFoundException>(() => SecretVault.GetSecret("V", vault, "db"));
        Assert.Contains("nowhere", e.Message);
    }

    [Fact]
    public void TwoStores_AreIndependentVaults()
    {
        var (_, a) = SecretFileVault();
        var (_, b) = SecretFileVault();
        SecretVault.SetSecret("A", a, "shared-name", SecretValue.FromString("from a"), null);
        SecretVault.SetSecret("B", b, "shared-name", SecretValue.FromString("from b"), null);
        Assert.Equal("from a", Text(a, "shared-name"));
        Assert.Equal("from b", Text(b, "shared-name"));
        SecretVault.RemoveSecret("A", a, "shared-name");
        Assert.Null(SecretVault.GetSecret("A", a, "shared-name"));
        Assert.Equal("from b", Text(b, "shared-name"));
    }

    [Fact]
    public void TwoNamespaces_OfOneStore_AreIndependentVaults()
    {
        var (store, a) = SecretFileVault();
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("ci");
        }

        var b = a with { Namespace = "ci" };
        SecretVault.SetSecret("A", a, "token", SecretValue.FromString("default"), null);
        SecretVault.SetSecret("B", b, "token", SecretValue.FromString("ci"), null);
        Assert.Equal("default", Text(a, "token"));
        Assert.Equal("ci", Text(b, "token"));
        Assert.Equal(["token"], SecretVault.GetSecretInfo("B", b, "*").Select(i => i.Name));
    }

    [Fact]
    public void RemoveSecret_OfAMissingName_IsNotFound()
    {
        var (_, vault) = SecretFileVault();
        Assert.Throws<NotFoundException>(() => SecretVault.RemoveSecret("V", vault, "missing"));
    }

    [Fact]
    public void GetSecretInfo_FilterIsACaseInsensitiveWildcard_ThatAlsoMatchesLiterally()
    {
        var (_, vault) = SecretFileVault();
        foreach (var name in new[] { "Alpha", "alps", "beta", "a[1]", "abc[" })
        {
            SecretVault.SetSecret("V", vault, name, SecretValue.FromString("x"), null);
        }

        string[] Names(string? filter) => SecretVault.GetSecretInfo("V", vault, filter).Select(i => i.Name).ToArray();
        Assert.Equal(["abc[", "Alpha", "alps", "a[1]", "beta"], Names("*"));
        Assert.Equal(5, Names(null).Length);
        Assert.Equal(5, Names("").Length);
        Assert.Equal(["Alpha", "alps"], Names("AL*"));
        Assert.Equal(["alps"], Names("alp?"));
        // Brackets: literal equality wins even though [1] is a character class.
        Assert.Equal(["a[1]"], Names("a[1]"));
        // An invalid pattern is not an error: it matches literally.
        Assert.Equal(["abc["], Names("abc["));
        Assert.Empty(Names("zzz"));
    }

    [Fact]
    public void GetSecretInfo_ReportsSecretManagementTypeNames_AndMetadata()
    {
        var (_, vault) = SecretFileVault();
        var when = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        SecretVault.SetSecret("V", vault, "text", SecretValue.FromString("x"), new Dictionary<string, object?> { ["owner"] = "ops", ["n"] = 3, ["rotate"] = when });
        SecretVault.SetSecret("V", vault, "secure", SecretValue.FromString("x", secure: true), null);
        SecretVault.SetSecret("V", vault, "cred", SecretValue.FromCredential("user", "pw"), null);
        SecretVault.SetSecret("V", vault, "bytes", SecretValue.FromBytes([1, 2]), null);
        using var entry = SecretValue.FromString("v");
        SecretVault.SetSecret("V", vault, "table", SecretValue.FromTable(new Dictionary<string, SecretValue> { ["k"] = entry }), null);

        var infos = SecretVault.GetSecretInfo("V", vault, "*").ToDictionary(i => i.Name);
        Assert.Equal("String", infos["text"].TypeName);
        Assert.Equal("SecureString", infos["secure"].TypeName);
        Assert.Equal("PSCredential", infos["cred"].TypeName);
        Assert.Equal("ByteArray", infos["bytes"].TypeName);
        Assert.Equal("Hashtable", infos["table"].TypeName);
        Assert.Equal("ops", infos["text"].Metadata["OWNER"]);
        Assert.Equal(3, infos["text"].Metadata["n"]);
        Assert.Equal(when, infos["text"].Metadata["rotate"]);
        Assert.Empty(infos["cred"].Metadata);
    }

    [Theory]
    [InlineData(SecretValueType.String, "String")]
    [InlineData(SecretValueType.SecureString, "SecureString")]
    [InlineData(SecretValueType.Credential, "PSCredential")]
    [InlineData(SecretValueType.Bytes, "ByteArray")]
    [InlineData(SecretValueType.Hashtable, "Hashtable")]
    public void SecretTypeNames_AreSecretManagements(SecretValueType type, string expected) =>
        Assert.Equal(expected, SecretVault.SecretTypeName(type));

    [Fact]
    public void Metadata_AcceptsStringIntAndDateTime_AndNamesWhatItRefuses()
    {
        var ok = SecretVault.ValidateMetadata(new Dictionary<string, object?> { ["s"] = "x", ["i"] = 1, ["d"] = DateTime.UtcNow });
        Assert.Equal(3, ok.Count);
        foreach (var (value, typeName) in new (object, string)[] { (true, "System.Boolean"), (5L, "System.Int64"), (1.5, "System.Double"), (new[] { "a" }, "System.String[]") })
        {
            var e = Assert.Throws<InvalidParameterException>(() => SecretVault.ValidateMetadata(new Dictionary<string, object?> { ["k"] = value }));
            Assert.Contains("'k'", e.Message);
            Assert.Contains(typeName, e.Message);
            Assert.Contains("refused", e.Message);
            Assert.Contains("string, int and DateTime", e.Message);
        }

        Assert.Throws<InvalidParameterException>(() => SecretVault.ValidateMetadata(new Dictionary<string, object?> { ["k"] = null }));
    }

    [Fact]
    public void SetSecret_WithEmptyMetadata_KeepsIt_SetSecretInfo_ReplacesAndClears()
    {
        var (_, vault) = SecretFileVault();
        SecretVault.SetSecret("V", vault, "db", SecretValue.FromString("1"), new Dictionary<string, object?> { ["owner"] = "ops" });
        SecretVault.SetSecret("V", vault, "db", SecretValue.FromString("2"), new Dictionary<string, object?>());
        Assert.Equal("ops", SecretVault.GetSecretInfo("V", vault, "db").Single().Metadata["owner"]);
        Assert.Equal("2", Text(vault, "db"));

        SecretVault.SetSecretInfo("V", vault, "db", new Dictionary<string, object?> { ["team"] = "red" });
        var metadata = SecretVault.GetSecretInfo("V", vault, "db").Single().Metadata;
        Assert.Equal(["team"], metadata.Keys);
        Assert.Equal("2", Text(vault, "db"));

        SecretVault.SetSecretInfo("V", vault, "db", new Dictionary<string, object?>());
        Assert.Empty(SecretVault.GetSecretInfo("V", vault, "db").Single().Metadata);
        Assert.Throws<NotFoundException>(() => SecretVault.SetSecretInfo("V", vault, "missing", null));
    }

    [Fact]
    public void APromptVault_WithoutASession_IsLocked_UntilUnlocked()
    {
        var (store, vault) = PromptVault();
        var locked = Assert.Throws<VaultLockedException>(() => SecretVault.GetSecret("Team", vault, "db"));
        Assert.Equal("SecretOps.VaultLocked", locked.ErrorId);
        Assert.Equal(SecretOpsHint.UnlockVault, locked.Hint);
        Assert.Equal(("Team", store.Path), (locked.VaultName, locked.Store));
        Assert.DoesNotContain("Unlock-SecretVault", locked.Message);
        Assert.Throws<VaultLockedException>(() => SecretVault.GetSecretInfo("Team", vault, "*"));

        var test = SecretVault.Test("Team", vault.ToVaultParameters().Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));
        Assert.False(test.IsValid);
        Assert.IsType<VaultLockedException>(Assert.Single(test.Problems));

        Assert.Throws<AuthenticationFailedException>(() => SecretVault.Unlock("Team", vault, "wrong passphrase"));
        SecretVault.Unlock("Team", vault, TempStore.Passphrase);
        SecretVault.SetSecret("Team", vault, "db", SecretValue.FromString("x"), null);
        Assert.Equal("x", Text(vault, "db", "Team"));
        // Unlocking is per vault: another registration of the same store and client is still locked.
        Assert.Throws<VaultLockedException>(() => Text(vault, "db", "V"));
        // The vault's session is its own: never the one the cmdlets pick.
        Assert.Null(SessionRegistry.Find(store.Path, "system"));
    }

    [Fact]
    public void ASessionConnectedElsewhere_ServesThePromptVault()
    {
        var (store, vault) = PromptVault();
        var session = SessionRegistry.Add(store.ConnectSystem());
        session.SetSecret("default", "db", SecretValue.FromString("x"));
        Assert.Equal("x", Text(vault, "db"));

        // Unregistering the vault leaves a session it did not open.
        Assert.False(SecretVault.Unregister("V", null).ClosedSession);
        Assert.True(session.IsOpen);
    }

    [Fact]
    public void Unregister_ClosesTheSessionTheVaultOpened()
    {
        var (_, vault) = SecretFileVault();
        var session = SecretVault.OpenSession("V", vault);
        Assert.Same(session, SecretVault.OpenSession("V", vault));
        var unregistered = SecretVault.Unregister("v", Parameters(vault));
        Assert.True(unregistered.ClosedSession);
        Assert.Null(unregistered.InvalidParameters);
        Assert.False(session.IsOpen);
    }

    [Fact]
    public void Unregister_OfInvalidParameters_ReportsThem_WithoutThrowing_OrEchoingTheSecret()
    {
        var unregistered = SecretVault.Unregister("V", [new("Path", "/tmp/x.db"), new("Passphrase", "hunter2")]);
        var problem = Assert.IsType<InvalidParameterException>(unregistered.InvalidParameters);
        Assert.Contains("plain JSON", problem.Message);
        Assert.DoesNotContain("hunter2", problem.Message);
    }

    [Fact]
    public void AVaultSession_IsNeverTheCmdletsSession_AndTheirDisconnectLeavesTheVaultWorking()
    {
        var (store, vault) = SecretFileVault();
        using var other = new TempStore();
        var mine = SessionRegistry.Add(other.ConnectSystem());
        try
        {
            SecretVault.SetSecret("V", vault, "db", SecretValue.FromString("x"), null);
            Assert.Same(mine, SessionRegistry.Find());
            Assert.Null(SessionRegistry.Find(store.Path));
            Assert.DoesNotContain(SessionRegistry.All, s => s.Store.Path == store.Path);

            // Disconnect-SecretOpsStore -All closes every session in the registry: the vault keeps its own.
            foreach (var session in SessionRegistry.All)
            {
                SessionRegistry.Remove(session);
            }

            Assert.Equal("x", Text(vault, "db"));
        }
        finally
        {
            SessionRegistry.Remove(mine);
        }
    }

    [Fact]
    public void AVault_ConnectsAsTheVault_AndTheConnectIsAudited()
    {
        var (store, vault) = SecretFileVault();
        Assert.Empty(SecretVault.GetSecretInfo("V", vault, "*"));
        using var admin = store.ConnectSystem();
        var connect = admin.ListAudit(new SecretOps.Core.Audit.AuditQuery(Action: "client.connect"))[0];
        Assert.Equal(("system", "ok", "vault"), (connect.ClientName, connect.Outcome, connect.Surface));
    }

    [Fact]
    public void GetSecret_OfAnExpiredSecret_SaysItExpired_AndWhen()
    {
        var (store, vault) = SecretFileVault();
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "short", SecretValue.FromString("x"), new SetSecretOptions { TimeToLive = TimeSpan.FromMilliseconds(200) });
        }

        Thread.Sleep(400);
        var expired = Assert.Throws<ExpiredException>(() => SecretVault.GetSecret("V", vault, "short"));
        Assert.Matches(@"expired at \d{4}-\d\d-\d\d", expired.Message);
        Assert.Equal(["short"], SecretVault.GetSecretInfo("V", vault, "*").Select(i => i.Name));
    }

    [Fact]
    public void Unlock_OfASecretFileVault_DoesNotUseThePassword_AndSaysWhereItsCredentialIs()
    {
        var (_, vault) = SecretFileVault();
        var unlocked = SecretVault.Unlock("V", vault, "not a passphrase of anything");
        Assert.False(unlocked.PasswordUsed);
        Assert.Equal(VaultAuthentication.SecretFile, unlocked.Authentication);
        Assert.Equal(vault.CredentialSource, unlocked.CredentialSource);
        Assert.Empty(SecretVault.GetSecretInfo("V", vault, "*"));
    }

    [Fact]
    public void AnEncryptedKeyFile_IsLocked_UntilUnlockGivesItsPassphrase()
    {
        var store = new TempStore();
        stores.Add(store);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = Path.Combine(store.Directory, "laptop.pem");
        File.WriteAllText(keyFile, ec.ExportEncryptedPkcs8PrivateKeyPem("key passphrase", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        using (var system = store.ConnectSystem())
        {
            system.AddClient("laptop", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = PemKeyReader.ReadPublicKey(ec.ExportSubjectPublicKeyInfoPem()) });
            system.Grant("laptop", "default", null, Permissions.Read);
            system.SetSecret("default", "db", SecretValue.FromString("x"));
        }

        var vault = Parse(("Path", store.Path), ("Client", "laptop"), ("KeyFile", keyFile));
        var locked = Assert.Throws<VaultLockedException>(() => SecretVault.GetSecret("Team", vault, "db"));
        Assert.Contains("Unlock-SecretVault -Name 'Team'", locked.Message);
        Assert.Throws<InvalidKeyException>(() => SecretVault.Unlock("Team", vault, "wrong"));
        Assert.True(SecretVault.Unlock("Team", vault, "key passphrase").PasswordUsed);
        using var value = SecretVault.GetSecret("Team", vault, "db");
        Assert.Equal("x", value!.GetString());
    }

    private static IEnumerable<KeyValuePair<string, object?>> Parameters(VaultSettings settings) =>
        settings.ToVaultParameters().Select(p => new KeyValuePair<string, object?>(p.Key, p.Value));

    [Fact]
    public void Test_IsValid_ForAWorkingVault_AndChangesNothing()
    {
        var (store, vault) = SecretFileVault();
        SecretVault.SetSecret("V", vault, "db", SecretValue.FromString("x"), null);
        var result = SecretVault.Test("V", vault.ToVaultParameters().Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));
        Assert.True(result.IsValid, string.Join("; ", result.Problems.Select(p => p.Message)));
        Assert.Empty(result.Problems);
        Assert.Equal(["db"], SecretVault.GetSecretInfo("V", vault, "*").Select(i => i.Name));
        using var session = store.ConnectSystem();
        Assert.Equal(1, session.GetEntry("default", "db").Version);
    }

    [Fact]
    public void Test_ReportsProblems_WithOneVerdict_AndNeverThrows()
    {
        var missingStore = SecretVault.Test("V", [new("Path", Path.Combine(Path.GetTempPath(), "secretops-no-such-dir", "x.db")), new("Client", "system"), new("Prompt", true)]);
        Assert.False(missingStore.IsValid);
        Assert.IsType<NotFoundException>(Assert.Single(missingStore.Problems));

        var secretKey = SecretVault.Test("V", [new("Password", "hunter2")]);
        Assert.False(secretKey.IsValid);
        Assert.IsType<InvalidParameterException>(Assert.Single(secretKey.Problems));

        var (_, vault) = SecretFileVault(ns: "nowhere");
        var missingNamespace = SecretVault.Test("V", vault.ToVaultParameters().Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));
        Assert.False(missingNamespace.IsValid);
        Assert.Contains("nowhere", Assert.Single(missingNamespace.Problems).Message);
    }

    [Fact]
    public void SecretEnvironmentVariable_Authenticates_OrSaysItIsUnset()
    {
        var (store, fileVault) = SecretFileVault();
        var variable = "SECRETOPS_TEST_VAULT_" + Guid.NewGuid().ToString("N");
        var vault = fileVault with { Authentication = VaultAuthentication.SecretEnvironmentVariable, CredentialSource = variable };
        var e = Assert.Throws<InvalidParameterException>(() => SecretVault.GetSecretInfo("V", vault, "*"));
        Assert.Contains(variable, e.Message);
        Environment.SetEnvironmentVariable(variable, store.Created.ClientSecret);
        try
        {
            Assert.Empty(SecretVault.GetSecretInfo("V", vault, "*"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
