namespace SecretOps.Cli.Tests;

/// <summary>
/// Key-file clients with keys made by the real openssl: registered with <c>client add --public-key</c>, connecting
/// with <c>--key-file</c> or SECRETOPS_KEY_FILE. Keys SecretOps cannot use are refused as bad input (exit code 2)
/// with a message naming the file and what is wrong, before anything is read from or written to the store.
/// </summary>
// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class KeyFileClientTests(OpenSslKeys keys) : IClassFixture<OpenSslKeys>
{
    private static readonly Dictionary<string, string?> NoPassphrase = new() { ["SECRETOPS_PASSPHRASE"] = null };

    [Fact]
    public void RsaAndEcKeys_FromOpenSsl_WorkEndToEnd_InEveryPemEncoding()
    {
        keys.Require();
        using var store = CliStore.Create();
        store.Ok("ns", "create", "keys");
        store.Set("db", "from the store", "-n", "keys");
        store.Set("other", "not granted", "-n", "keys");

        foreach (var (client, publicKey, privateKeys, algorithm) in new[]
                 {
                     ("rsa-2048", "rsa2048.pub", new[] { "rsa2048.pkcs1", "rsa2048.pkcs8" }, "RSA-2048"),
                     ("rsa-3072", "rsa3072.pub", new[] { "rsa3072.pkcs1", "rsa3072.pkcs8" }, "RSA-3072"),
                     ("rsa-4096", "rsa4096.pub", new[] { "rsa4096.pkcs1", "rsa4096.pkcs8" }, "RSA-4096"),
                     ("ec-p256", "p256.pub", new[] { "p256.sec1", "p256.pkcs8" }, "EC P-256"),
                 })
        {
            var created = store.Json("client", "add", client, "--public-key", keys.Path(publicKey));
            Assert.Equal(System.Text.Json.JsonValueKind.Null, created.GetProperty("clientSecret").ValueKind);
            var shown = store.Json("client", "show", client);
            Assert.Equal("keyfile", shown.GetProperty("kind").GetString());
            Assert.Equal(algorithm, shown.GetProperty("keyAlgorithm").GetString());
            store.Ok("grant", client, "--secret", "db", "-n", "keys", "--permissions", "read");

            foreach (var privateKey in privateKeys)
            {
                var read = store.Run(["secret", "get", "db", "-n", "keys", "--client", client, "--key-file", keys.Path(privateKey)], stdin: (string?)null, NoPassphrase);
                Assert.True(read.ExitCode == 0 && read.Stdout == "from the store", $"{client} with {privateKey}: {read}");
            }

            var fromEnvironment = store.Ok(["secret", "get", "db", "-n", "keys"], stdin: null, CliStore.As(client, keyFile: keys.Path(privateKeys[0])));
            Assert.Equal("from the store", fromEnvironment.Stdout);
            store.Fails(5, ["secret", "get", "other", "-n", "keys"], stdin: null, CliStore.As(client, keyFile: keys.Path(privateKeys[^1])));
        }

        // Another client's valid key does not connect: that is a wrong credential (4), not bad input.
        store.Fails(4, ["secret", "get", "db", "-n", "keys"], stdin: null, CliStore.As("ec-p256", keyFile: keys.Path("rsa2048.pkcs1")));
        store.Fails(4, ["secret", "get", "db", "-n", "keys"], stdin: null, CliStore.As("rsa-2048", keyFile: keys.Path("p256-next.sec1")));
    }

    [Fact]
    public void AKeyFileClient_RotatesToANewKey_AndTheOldKeyStopsWorking()
    {
        keys.Require();
        using var store = CliStore.Create();
        store.Set("k", "v");
        store.Ok("client", "add", "laptop", "--public-key", keys.Path("p256.pub"));
        store.Ok("grant", "laptop", "--namespace", "default", "--permissions", "read");
        var before = store.Json("client", "show", "laptop").GetProperty("fingerprint").GetString();

        var old = CliStore.As("laptop", keyFile: keys.Path("p256.sec1"));
        var rotated = store.Ok(["client", "rotate", "--public-key", keys.Path("p256-next.pub")], stdin: null, old);
        Assert.Contains("Re-keyed client 'laptop'", rotated.Stdout);
        Assert.NotEqual(before, store.Json("client", "show", "laptop").GetProperty("fingerprint").GetString());
        Assert.Equal("v", store.Ok(["secret", "get", "k"], stdin: null, CliStore.As("laptop", keyFile: keys.Path("p256-next.sec1"))).Stdout);
        store.Fails(4, ["secret", "get", "k"], stdin: null, old);
    }

    [Fact]
    public void KeysSecretOpsCannotUse_AreRefusedWithExit2_NamingTheFileAndTheProblem_AndChangeNothing()
    {
        keys.Require();
        using var store = CliStore.Create();
        store.Set("k", "v");
        store.Ok("client", "add", "laptop", "--public-key", keys.Path("p256.pub"));
        store.Ok("grant", "laptop", "--namespace", "default", "--permissions", "read");
        var clients = Clients(store);
        var entries = store.AuditEntries();

        // Registering: what --public-key refuses.
        foreach (var (file, expected) in new[]
                 {
                     ("rsa1024.pub", "at least 2048 bits"),
                     ("ed25519.pub", "Ed25519 keys can only sign"),
                     ("rsa2048.pkcs8", "holds a private key"),
                     ("p256.sec1", "holds a private key"),
                     ("rsa2048.truncated", "incomplete or damaged"),
                 })
        {
            var refused = store.Fails(2, "client", "add", "refused", "--public-key", keys.Path(file));
            Assert.Contains($"public key file '{keys.Path(file)}'", refused.Stderr);
            Assert.Contains(expected, refused.Stderr);
            Assert.Equal("", refused.Stdout);
        }

        // Connecting: what --key-file and SECRETOPS_KEY_FILE refuse, before the store is touched.
        foreach (var (file, expected) in new[]
                 {
                     ("rsa1024.pkcs1", "at least 2048 bits"),
                     ("ed25519.pkcs8", "Ed25519 keys can only sign"),
                     ("p256.pub", "holds a public key, but a private key is needed"),
                     ("rsa2048.truncated", "incomplete or damaged"),
                 })
        {
            // A key file is refused for loose permissions before its content is read; openssl writes public keys 0644.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keys.Path(file), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var refused = store.Fails(2, ["secret", "get", "k", "--client", "laptop", "--key-file", keys.Path(file)], stdin: null, NoPassphrase);
            Assert.Contains($"Key file '{keys.Path(file)}'", refused.Stderr);
            Assert.Contains(expected, refused.Stderr);
            Assert.Equal("", refused.Stdout);

            var fromEnvironment = store.Fails(2, ["secret", "get", "k"], stdin: null, CliStore.As("laptop", keyFile: keys.Path(file)));
            Assert.Contains($"Key file '{keys.Path(file)}'", fromEnvironment.Stderr);
            Assert.Contains(expected, fromEnvironment.Stderr);
        }

        Assert.Equal(entries, store.AuditEntries());
        Assert.Equal(clients, Clients(store));
        Assert.Equal("v", store.Ok(["secret", "get", "k"], stdin: null, CliStore.As("laptop", keyFile: keys.Path("p256.pkcs8"))).Stdout);
    }

    private static List<string> Clients(CliStore store) =>
        store.Json("client", "list").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("fingerprint").GetString()}").ToList();
}
