using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SecretOps.Tests.Files;

namespace SecretOps.Cli.Tests;

/// <summary><c>policy export</c> and <c>policy apply</c>: access policy as YAML, applied as a diff.</summary>
// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class PolicyCommandTests
{
    [Fact]
    public void ExportThenApplyOnAFreshStore_ReproducesTheGrants_AndApplyingTwiceIsANoOp()
    {
        using var source = CliStore.Create();
        var (publicKey, privateKey) = KeyPair(source.Directory);
        source.Ok("client", "add", "deploy", "--public-key", publicKey, "--description", "deploy runbook");
        source.AddGenerated("ops", more: ["--role", "admin", "--description", "on call"]);
        source.Ok("ns", "create", "prod", "--description", "production", "--max-versions", "5");
        source.Set("motd", "hello");
        source.Ok("grant", "deploy", "-n", "prod", "--permissions", "read");
        source.Ok("grant", "deploy", "--secret", "motd", "--permissions", "read");
        source.Ok("grant", "ops", "-n", "prod", "--permissions", "read,write,permit");

        // To stdout, or to a new owner-only file that is never overwritten.
        var yaml = source.Ok("policy", "export").Stdout;
        Assert.Contains("BEGIN PUBLIC KEY", yaml);
        Assert.DoesNotContain("secretops_", yaml);
        var file = Path.Combine(source.Directory, "policy.yaml");
        Assert.Contains("Exported the policy", source.Ok("policy", "export", file).Stdout);
        Assert.Equal(yaml, File.ReadAllText(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        File.AppendAllText(file, "# kept\n");
        Assert.Contains("never overwrites", source.Fails(6, "policy", "export", file).Stderr);
        Assert.EndsWith("# kept\n", File.ReadAllText(file), StringComparison.Ordinal);

        // A fresh store holding the same secret (grants on one secret need it to exist).
        using var target = CliStore.Create();
        target.Set("motd", "hello");
        var before = State(target);
        var plan = target.Json("policy", "apply", file, "--dry-run");
        Assert.True(plan.GetProperty("dryRun").GetBoolean());
        var kinds = plan.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("kind").GetString()).ToList();
        Assert.Contains("createNamespace", kinds);
        Assert.Contains("createClient", kinds);
        Assert.Contains("grant", kinds);
        Assert.Empty(plan.GetProperty("createdClients").EnumerateArray());
        Assert.Equal(before, State(target));

        var applied = target.Run("policy", "apply", file, "-o", "json");
        Assert.True(applied.ExitCode == 0, applied.ToString());
        var created = JsonDocument.Parse(applied.Stdout).RootElement.GetProperty("createdClients").EnumerateArray().Single();
        Assert.Equal("ops", created.GetProperty("clientName").GetString());
        var opsSecret = created.GetProperty("clientSecret").GetString()!;
        Assert.StartsWith("secretops_", opsSecret, StringComparison.Ordinal);
        Assert.Equal("", applied.Stderr);

        Assert.Equal(Grants(source), Grants(target));
        Assert.Equal(Clients(source), Clients(target));
        var prod = target.Json("ns", "list").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "prod");
        Assert.Equal(5, prod.GetProperty("maxVersions").GetInt32());
        Assert.Equal("production", prod.GetProperty("description").GetString());

        // Applying again has nothing to do, from the file or from standard input, with or without --prune.
        var again = target.Json("policy", "apply", file, "--dry-run", "--prune");
        Assert.Empty(again.GetProperty("changes").EnumerateArray());
        Assert.Contains("Nothing to do", target.Ok(["policy", "apply", "-", "--dry-run"], yaml).Stdout);
        Assert.Contains("Nothing to do", target.Ok("policy", "apply", file).Stdout);
        target.Fails(2, ["policy", "apply", "-", "--passphrase-stdin"], CliStore.Passphrase + "\n" + yaml, new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null });
        Assert.Equal(Grants(source), Grants(target));

        // The created clients work: ops writes with its new secret, deploy reads with the key it already had.
        target.Ok(["secret", "set", "db", "--value", "from ops", "-n", "prod"], stdin: null, CliStore.As("ops", secret: opsSecret));
        Assert.Equal("from ops", target.Ok(["secret", "get", "db", "-n", "prod"], stdin: null, CliStore.As("deploy", keyFile: privateKey)).Stdout);
        Assert.Equal("hello", target.Ok(["secret", "get", "motd"], stdin: null, CliStore.As("deploy", keyFile: privateKey)).Stdout);
    }

    [Fact]
    public void DryRun_ChangesNothing_AndPruneAndRetirement_NeedYes()
    {
        using var store = CliStore.Create();
        store.Set("s", "v");
        var extra = CliStore.As("extra", secret: store.AddGenerated("extra"));
        store.Ok("grant", "extra", "-n", "default", "--permissions", "read");
        var file = Path.Combine(store.Directory, "policy.yaml");
        File.WriteAllText(file, """
            clients:
              - name: extra
                kind: generated
            grants:
              - client: system
                namespace: default
                permissions: [read, write, delete, permit]
              - client: system
                namespace: default
                secret: s
                permissions: [read, write, delete, permit]
            """);
        var before = State(store);

        Assert.Contains("--yes", store.Fails(2, "policy", "apply", file, "--prune").Stderr);
        var plan = store.Ok("policy", "apply", file, "--prune", "--dry-run").Stdout;
        Assert.Contains("Would apply 1 change(s)", plan);
        Assert.Contains("revoke read from 'extra' on namespace 'default'", plan);
        Assert.Contains("nothing was changed", plan);
        Assert.Contains("Nothing to do", store.Ok("policy", "apply", file, "--dry-run").Stdout);
        Assert.Equal(before, State(store));
        Assert.Equal("v", store.Ok(["secret", "get", "s"], stdin: null, extra).Stdout);

        var pruned = store.Ok("policy", "apply", file, "--prune", "--yes").Stdout;
        Assert.Contains("Applied 1 change(s)", pruned);
        store.Fails(5, ["secret", "get", "s"], stdin: null, extra);

        // Retiring a client by policy is as final as 'client retire': --yes off a terminal, even without --prune.
        File.WriteAllText(file, "clients:\n  - name: extra\n    kind: generated\n    status: retired\n");
        var refused = store.Fails(2, "policy", "apply", file);
        Assert.Contains("retire client 'extra'", refused.Stderr);
        Assert.Contains("--yes", refused.Stderr);
        Assert.Equal("active", store.Json("client", "show", "extra").GetProperty("status").GetString());
        store.Ok("policy", "apply", file, "--yes");
        Assert.Equal("retired", store.Json("client", "show", "extra").GetProperty("status").GetString());
    }

    [Fact]
    public void MalformedOrHostileYaml_IsRefusedWithExit2AndAMessage_AndChangesNothing()
    {
        using var store = CliStore.Create();
        store.AddGenerated("ci");
        store.Ok("grant", "ci", "-n", "default", "--permissions", "read");
        var before = State(store);

        var bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + string.Concat(Enumerable.Range(0, 9).Select(i => $"b{i}: &b{i} [{string.Join(",", Enumerable.Repeat(i == 0 ? "*a" : $"*b{i - 1}", 10))}]\n"));
        var cases = new (string Name, byte[] Content, string Expected)[]
        {
            ("unknown-key", Utf8("namespaces:\n  - name: prod\n    colour: red\n"), "colour"),
            ("top-level-unknown", Utf8("secrets:\n  - name: x\n"), "secrets"),
            ("wrong-type", Utf8("namespaces:\n  - name: prod\n    maxVersions: lots\n"), "line 3"),
            ("not-a-list", Utf8("grants: {not: a list}\n"), "line 1"),
            ("version", Utf8("version: 2\n"), "version 2"),
            ("duplicate-key", Utf8("clients:\n  - name: a\n    name: b\n"), "line"),
            ("unterminated", Utf8("namespaces: [\n"), "line"),
            ("anchor", Utf8("namespaces:\n  - &n {name: a}\n  - *n\n"), "anchors and aliases"),
            ("alias-bomb", Utf8(bomb), "anchors and aliases"),
            ("huge", Utf8("namespaces:\n" + string.Concat(Enumerable.Repeat("  - name: n\n", 100_000))), "huge.yaml' is larger than 1 MiB (1048576 bytes)"),
            ("too-many", Utf8("namespaces:\n" + string.Concat(Enumerable.Range(0, 10_001).Select(i => $"  - name: n{i}\n"))), "more than 10000 entries"),
            ("binary", [0xff, 0xfe, 0x00, 0x01, 0x80], "not UTF-8"),
            ("semantic", Utf8("""
                namespaces:
                  - name: bad name!
                clients:
                  - name: human
                    kind: passphrase
                  - name: ci
                    kind: generated
                    role: wizard
                grants:
                  - client: ghost
                    namespace: default
                    permissions: [read]
                  - client: ci
                    namespace: default
                    permissions: [fly]
                """), "needs a passphrase"),
        };

        foreach (var (name, content, expected) in cases)
        {
            var file = Path.Combine(store.Directory, name + ".yaml");
            File.WriteAllBytes(file, content);
            var entries = store.AuditEntries();
            var refused = store.Fails(2, "policy", "apply", file);

            // A file that does not parse is refused before the store is opened; only the semantic checks read it.
            if (name != "semantic")
            {
                Assert.Equal(entries, store.AuditEntries());
            }

            Assert.True(refused.Stderr.Contains(expected, StringComparison.Ordinal), $"{name}: {refused}");
            Assert.True(refused.Stderr.Contains("nothing was changed", StringComparison.Ordinal), $"{name}: {refused}");
            Assert.Equal(1, refused.Stderr.Count(c => c == '\n'));
            Assert.Equal("", refused.Stdout);
        }

        // Every problem of a semantically wrong file is reported at once, on one line.
        var semantic = store.Fails(2, "policy", "apply", Path.Combine(store.Directory, "semantic.yaml"), "--dry-run").Stderr;
        foreach (var expected in new[] { "bad name!", "needs a passphrase", "not one of the known values", "no such client", "read, write, delete, permit", "'secretops client add'" })
        {
            Assert.Contains(expected, semantic);
        }

        // A missing policy file is SecretOps.NotFound (exit 3), as for Import-SecretOpsPolicy: Core reads it for both.
        Assert.Contains("There is no policy file", store.Fails(3, "policy", "apply", Path.Combine(store.Directory, "missing.yaml")).Stderr);
        store.Fails(2, "policy", "apply", store.Directory);
        Assert.Equal(before, State(store));
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A P-256 key pair as PEM files: the public half to register, the private half to connect with.</summary>
    private static (string PublicKey, string PrivateKey) KeyPair(string directory)
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = Path.Combine(directory, "deploy.pub");
        var privateKey = Path.Combine(directory, "deploy.pem");
        File.WriteAllText(publicKey, key.ExportSubjectPublicKeyInfoPem());
        CredentialFile.Write(privateKey, key.ExportPkcs8PrivateKeyPem());
        return (publicKey, privateKey);
    }

    private static List<string> Grants(CliStore store) =>
        store.Json("permissions").EnumerateArray()
            .Select(p => $"{p.GetProperty("client").GetString()} {p.GetProperty("scope").GetString()} {p.GetProperty("namespace").GetString()}/{p.GetProperty("secret").GetString()} "
                         + string.Join(",", p.GetProperty("permissions").EnumerateArray().Select(f => f.GetString())))
            .Order(StringComparer.Ordinal).ToList();

    private static List<string> Clients(CliStore store) =>
        store.Json("client", "list").EnumerateArray()
            .Select(c => string.Join(" ", new[] { "name", "kind", "role", "status", "description" }.Select(k => c.GetProperty(k).GetString())))
            .ToList();

    /// <summary>Clients, namespaces and grants, without times that move on their own (last used).</summary>
    private static string State(CliStore store) => string.Join("\n",
        Clients(store)
            .Concat(store.Json("ns", "list").EnumerateArray().Select(n => n.GetRawText()))
            .Concat(Grants(store)));
}
