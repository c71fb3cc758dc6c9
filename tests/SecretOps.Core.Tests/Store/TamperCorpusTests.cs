using Microsoft.Data.Sqlite;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// A pristine store, built once: two namespaces with two secrets each, three versions per secret, of
/// different value types. In <c>default</c> the System client also holds an explicit grant on each secret,
/// so it reads through its own per-secret stanza; in <c>prod</c> it reads the way every namespace holder
/// does: namespace stanza → NK → secret_keys → SK. <c>prod</c> is rotated after the writes, so a second
/// namespace key and secret key generation exist (unused by the stored versions). A second store with the
/// same names provides rows "from another store".
/// </summary>
public sealed class TamperCorpusFixture : IDisposable
{
    public static readonly string[] DefaultSecrets = ["alpha", "beta"];
    public static readonly string[] ProdSecrets = ["gamma", "delta"];

    public TamperCorpusFixture()
    {
        Pristine = new TempStore();
        Other = new TempStore();
        Populate(Pristine, Expected);
        Populate(Other, new Dictionary<(string, int), string>());
        using (var connection = RawDb.Open(Pristine.Path, readOnly: true))
        {
            Assert.Equal(2L, RawDb.Scalar(connection, "SELECT count(*) FROM stanzas WHERE scope_kind = 2"));
            Assert.Equal(1L, RawDb.Scalar(connection, "SELECT count(*) FROM namespace_keys WHERE generation = 2"));
            Assert.Equal(2L, RawDb.Scalar(connection, "SELECT count(*) FROM secret_keys WHERE generation = 2"));
        }

        using (var connection = RawDb.Open(Pristine.Path, readOnly: true))
        {
            foreach (var name in DefaultSecrets.Concat(ProdSecrets))
            {
                SecretIds[name] = RawDb.Uuid(RawDb.Scalar(connection, "SELECT id FROM secrets WHERE name = $n", ("$n", name))!);
            }

            foreach (var name in new[] { "default", "prod" })
            {
                NamespaceIds[name] = RawDb.Uuid(RawDb.Scalar(connection, "SELECT id FROM namespaces WHERE name = $n", ("$n", name))!);
            }
        }

        RawDb.Checkpoint(Pristine.Path);
    }

    public TempStore Pristine { get; }

    public TempStore Other { get; }

    /// <summary>(secret name, version) → the value as <see cref="Values.Describe"/> shows it.</summary>
    public Dictionary<(string Name, int Version), string> Expected { get; } = new();

    public Dictionary<string, Guid> SecretIds { get; } = new();

    public Dictionary<string, Guid> NamespaceIds { get; } = new();

    public Guid ClientId => Pristine.Created.ClientId;

    public static string NamespaceOf(string secret) => DefaultSecrets.Contains(secret) ? "default" : "prod";

    private static void Populate(TempStore store, Dictionary<(string, int), string> expected)
    {
        using var session = store.ConnectSystem();
        session.CreateNamespace("prod");
        for (var version = 1; version <= 3; version++)
        {
            foreach (var name in DefaultSecrets.Concat(ProdSecrets))
            {
                using var value = name switch
                {
                    "alpha" => SecretValue.FromString($"alpha-value-{version}"),
                    "beta" => SecretValue.FromCredential("beta-user", $"beta-password-{version}"),
                    "gamma" => SecretValue.FromBytes([0x67, (byte)version, 0xff, 0x00]),
                    _ => SecretValue.FromTable(new Dictionary<string, SecretValue> { ["k"] = SecretValue.FromString($"delta-{version}") }),
                };
                session.SetSecret(NamespaceOf(name), name, value);
                expected[(name, version)] = Values.Describe(value);
            }
        }

        foreach (var name in DefaultSecrets)
        {
            session.Grant(SecretStore.SystemClientName, "default", name, Permissions.Read);
        }

        session.RotateNamespaceKey("prod");
    }

    public void Dispose()
    {
        Pristine.Dispose();
        Other.Dispose();
    }
}

/// <summary>A read of (namespace, secret, version); a null version reads the current one.</summary>
public sealed record Read(string Namespace, string Name, int? Version)
{
    public override string ToString() => $"{Namespace}/{Name}@{Version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "current"}";

    /// <summary>Every version and the current read of one secret in its home namespace.</summary>
    public static Read[] All(string name, string? ns = null)
    {
        ns ??= TamperCorpusFixture.NamespaceOf(name);
        return [new(ns, name, 1), new(ns, name, 2), new(ns, name, 3), new(ns, name, null)];
    }

    public static Read[] AllIn(string ns) =>
        (ns == "default" ? TamperCorpusFixture.DefaultSecrets : TamperCorpusFixture.ProdSecrets).SelectMany(n => All(n)).ToArray();
}

/// <summary>What a tamper case may use: the open file, the pristine store's ids, the other store.</summary>
public sealed class TamperContext(SqliteConnection connection, TamperCorpusFixture fixture)
{
    public SqliteConnection Connection => connection;

    public TamperCorpusFixture Fixture => fixture;

    public byte[] Secret(string name) => RawDb.Uuid(fixture.SecretIds[name]);

    public byte[] Namespace(string name) => RawDb.Uuid(fixture.NamespaceIds[name]);

    public byte[] Client => RawDb.Uuid(fixture.ClientId);

    public int Exec(string sql, params (string Name, object? Value)[] parameters) => RawDb.Execute(connection, sql, parameters);

    public void FlipVersion(string column, string name, int version, int index = 3) =>
        RawDb.FlipByte(connection, "versions", column, "secret_id = $s AND version = $v", index, ("$s", Secret(name)), ("$v", version));

    public void FlipSecretKey(string column, string name, int index = 3) =>
        RawDb.FlipByte(connection, "secret_keys", column, "secret_id = $s AND generation = 1", index, ("$s", Secret(name)));

    public void FlipNamespaceStanza(string column, string ns, int index = 3) =>
        RawDb.FlipByte(connection, "stanzas", column, "client_id = $c AND scope_kind = 1 AND scope_id = $id AND generation = 1", index, ("$c", Client), ("$id", Namespace(ns)));

    public void FlipSecretStanza(string column, string name, int index = 3) =>
        RawDb.FlipByte(connection, "stanzas", column, "client_id = $c AND scope_kind = 2 AND scope_id = $id AND generation = 1", index, ("$c", Client), ("$id", Secret(name)));

    /// <summary>Swaps the (nonce, ciphertext) of two version rows.</summary>
    public void SwapVersionCiphertexts(string a, int va, string b, int vb)
    {
        Exec("CREATE TEMP TABLE swap AS SELECT nonce, ciphertext FROM versions WHERE secret_id = $a AND version = $va", ("$a", Secret(a)), ("$va", va));
        Exec("UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE secret_id = $b AND version = $vb), ciphertext = (SELECT ciphertext FROM versions WHERE secret_id = $b AND version = $vb) WHERE secret_id = $a AND version = $va",
            ("$a", Secret(a)), ("$va", va), ("$b", Secret(b)), ("$vb", vb));
        Exec("UPDATE versions SET nonce = (SELECT nonce FROM swap), ciphertext = (SELECT ciphertext FROM swap) WHERE secret_id = $b AND version = $vb", ("$b", Secret(b)), ("$vb", vb));
        Exec("DROP TABLE swap");
    }
}

/// <summary>
/// One alteration of the file, the reads that must then fail as tampered, and the reads that may instead
/// find nothing because the alteration moved their row away. Every other read must return its exact value.
/// </summary>
public sealed record TamperCase(string Name, Action<TamperContext> Apply, Read[] Tampered, Read[]? Missing = null);

/// <summary>
/// Someone with write access to the store file alters it directly. Whatever they do to ciphertexts, keys,
/// stanzas or the rows that place them, a read either returns the exact value that was written or throws
/// <see cref="TamperedException"/> (SecretOps.Tampered): never a wrong value, never another exception.
/// </summary>
[Trait("Backend", "SqliteOnly")]
public class TamperCorpusTests(TamperCorpusFixture fixture) : IClassFixture<TamperCorpusFixture>
{
    private static readonly TamperCase[] Cases =
    [
        // versions: the ciphertext and its nonce.
        new("versions.ciphertext byte flipped (own-stanza path)", c => c.FlipVersion("ciphertext", "alpha", 2), [new("default", "alpha", 2)]),
        new("versions.ciphertext byte flipped (namespace-key path)", c => c.FlipVersion("ciphertext", "gamma", 2), [new("prod", "gamma", 2)]),
        new("versions.ciphertext tag byte flipped", c => c.FlipVersion("ciphertext", "beta", 1, index: -1), [new("default", "beta", 1)]),
        new("versions.ciphertext truncated below a tag", c => c.Exec("UPDATE versions SET ciphertext = substr(ciphertext, 1, 10) WHERE secret_id = $s AND version = 1", ("$s", c.Secret("alpha"))), [new("default", "alpha", 1)]),
        new("versions.nonce byte flipped", c => c.FlipVersion("nonce", "beta", 1), [new("default", "beta", 1)]),
        new("versions.nonce byte flipped (current version, namespace-key path)", c => c.FlipVersion("nonce", "delta", 3), [new("prod", "delta", 3), new("prod", "delta", null)]),
        new("versions.nonce shortened", c => c.Exec("UPDATE versions SET nonce = substr(nonce, 1, 11) WHERE secret_id = $s AND version = 2", ("$s", c.Secret("gamma"))), [new("prod", "gamma", 2)]),

        // versions: the columns that name the key and the type.
        new("versions.key_generation 1 -> 2", c => c.Exec("UPDATE versions SET key_generation = 2 WHERE secret_id = $s AND version = 1", ("$s", c.Secret("alpha"))), [new("default", "alpha", 1)]),
        new("versions.key_generation 1 -> 0 (namespace-key path)", c => c.Exec("UPDATE versions SET key_generation = 0 WHERE secret_id = $s AND version = 1", ("$s", c.Secret("gamma"))), [new("prod", "gamma", 1)]),
        new("versions.value_type String -> SecureString", c => c.Exec("UPDATE versions SET value_type = 2 WHERE secret_id = $s AND version = 3", ("$s", c.Secret("alpha"))), [new("default", "alpha", 3), new("default", "alpha", null)]),
        new("versions.value_type Credential -> String", c => c.Exec("UPDATE versions SET value_type = 1 WHERE secret_id = $s AND version = 2", ("$s", c.Secret("beta"))), [new("default", "beta", 2)]),
        new("versions.value_type Hashtable -> undefined 99", c => c.Exec("UPDATE versions SET value_type = 99 WHERE secret_id = $s AND version = 1", ("$s", c.Secret("delta"))), [new("prod", "delta", 1)]),

        // versions: rows moved where they do not belong.
        new("versions row moved to another secret in the namespace", c =>
        {
            c.Exec("DELETE FROM versions WHERE secret_id = $b AND version = 2", ("$b", c.Secret("beta")));
            c.Exec("UPDATE versions SET secret_id = $b WHERE secret_id = $a AND version = 2", ("$a", c.Secret("alpha")), ("$b", c.Secret("beta")));
        }, [new("default", "beta", 2)], [new("default", "alpha", 2)]),
        new("versions row moved to a secret in another namespace", c =>
        {
            c.Exec("DELETE FROM versions WHERE secret_id = $a AND version = 1", ("$a", c.Secret("alpha")));
            c.Exec("UPDATE versions SET secret_id = $a WHERE secret_id = $g AND version = 1", ("$a", c.Secret("alpha")), ("$g", c.Secret("gamma")));
        }, [new("default", "alpha", 1)], [new("prod", "gamma", 1)]),
        new("versions row moved to another version number", c =>
        {
            c.Exec("DELETE FROM versions WHERE secret_id = $a AND version = 1", ("$a", c.Secret("alpha")));
            c.Exec("UPDATE versions SET version = 1 WHERE secret_id = $a AND version = 2", ("$a", c.Secret("alpha")));
        }, [new("default", "alpha", 1)], [new("default", "alpha", 2)]),
        new("versions row renumbered as a new current version", c =>
        {
            c.Exec("UPDATE versions SET version = 4 WHERE secret_id = $g AND version = 3", ("$g", c.Secret("gamma")));
            c.Exec("UPDATE secrets SET current_version = 4 WHERE id = $g", ("$g", c.Secret("gamma")));
        }, [new("prod", "gamma", 4), .. Read.All("gamma")]),
        new("ciphertext and nonce swapped between secrets in two namespaces", c => c.SwapVersionCiphertexts("alpha", 1, "gamma", 1),
            [new("default", "alpha", 1), new("prod", "gamma", 1)]),
        new("ciphertext and nonce swapped between secrets in one namespace", c => c.SwapVersionCiphertexts("gamma", 2, "delta", 2),
            [new("prod", "gamma", 2), new("prod", "delta", 2)]),
        new("ciphertext and nonce swapped between two versions of a secret", c => c.SwapVersionCiphertexts("beta", 1, "beta", 3),
            [new("default", "beta", 1), new("default", "beta", 3), new("default", "beta", null)]),
        new("versions row copied from another store (own-stanza path)", c => CopyVersionFromOtherStore(c, "alpha", 2), [new("default", "alpha", 2)]),
        new("versions row copied from another store (namespace-key path)", c => CopyVersionFromOtherStore(c, "gamma", 3), [new("prod", "gamma", 3), new("prod", "gamma", null)]),

        // secret_keys: a secret key wrapped under the namespace key.
        new("secret_keys.wrapped_key byte flipped", c => c.FlipSecretKey("wrapped_key", "gamma"), Read.All("gamma")),
        new("secret_keys.nonce byte flipped", c => c.FlipSecretKey("nonce", "delta"), Read.All("delta")),
        new("secret_keys.namespace_generation 1 -> 2 (a generation that exists)", c => c.Exec("UPDATE secret_keys SET namespace_generation = 2 WHERE secret_id = $s AND generation = 1", ("$s", c.Secret("gamma"))), Read.All("gamma")),
        new("secret_keys.namespace_generation 1 -> 3 (never existed)", c => c.Exec("UPDATE secret_keys SET namespace_generation = 3 WHERE secret_id = $s AND generation = 1", ("$s", c.Secret("gamma"))), Read.All("gamma")),
        new("secret_keys.namespace_generation 1 -> 0", c => c.Exec("UPDATE secret_keys SET namespace_generation = 0 WHERE secret_id = $s AND generation = 1", ("$s", c.Secret("delta"))), Read.All("delta")),
        new("secret_keys.generation 1 -> 3", c => c.Exec("UPDATE secret_keys SET generation = 3 WHERE secret_id = $s AND generation = 1", ("$s", c.Secret("gamma"))), Read.All("gamma")),
        new("secret_keys generations 1 and 2 swapped", c =>
        {
            c.Exec("UPDATE secret_keys SET generation = -1 WHERE secret_id = $s AND generation = 1", ("$s", c.Secret("delta")));
            c.Exec("UPDATE secret_keys SET generation = 1 WHERE secret_id = $s AND generation = 2", ("$s", c.Secret("delta")));
            c.Exec("UPDATE secret_keys SET generation = 2 WHERE secret_id = $s AND generation = -1", ("$s", c.Secret("delta")));
        }, Read.All("delta")),
        new("versions.key_generation 1 -> 2 (a generation that exists)", c => c.Exec("UPDATE versions SET key_generation = 2 WHERE secret_id = $s AND version = 2", ("$s", c.Secret("delta"))), [new("prod", "delta", 2)]),
        new("secret_keys rows swapped between two secrets", c =>
        {
            c.Exec("UPDATE secret_keys SET secret_id = x'00' WHERE secret_id = $g", ("$g", c.Secret("gamma")));
            c.Exec("UPDATE secret_keys SET secret_id = $g WHERE secret_id = $d", ("$g", c.Secret("gamma")), ("$d", c.Secret("delta")));
            c.Exec("UPDATE secret_keys SET secret_id = $d WHERE secret_id = x'00'", ("$d", c.Secret("delta")));
        }, [.. Read.All("gamma"), .. Read.All("delta")]),
        new("namespace stanza generations 1 and 2 swapped", c =>
        {
            c.Exec("UPDATE stanzas SET generation = -1 WHERE scope_kind = 1 AND scope_id = $p AND generation = 1", ("$p", c.Namespace("prod")));
            c.Exec("UPDATE stanzas SET generation = 1 WHERE scope_kind = 1 AND scope_id = $p AND generation = 2", ("$p", c.Namespace("prod")));
            c.Exec("UPDATE stanzas SET generation = 2 WHERE scope_kind = 1 AND scope_id = $p AND generation = -1", ("$p", c.Namespace("prod")));
        }, Read.AllIn("prod")),

        // stanzas: the namespace key's, read on the namespace-key path (prod).
        new("namespace stanza header byte flipped", c => c.FlipNamespaceStanza("header", "prod", 10), Read.AllIn("prod")),
        new("namespace stanza header point marker changed", c => c.FlipNamespaceStanza("header", "prod", 0), Read.AllIn("prod")),
        new("namespace stanza nonce byte flipped", c => c.FlipNamespaceStanza("nonce", "prod"), Read.AllIn("prod")),
        new("namespace stanza wrapped_key byte flipped", c => c.FlipNamespaceStanza("wrapped_key", "prod"), Read.AllIn("prod")),
        new("namespace stanza algorithm P-256 -> P-384", c => SetStanzaAlgorithm(c, 1, c.Namespace("prod"), 2), Read.AllIn("prod")),
        new("namespace stanza algorithm P-256 -> RSA-OAEP", c => SetStanzaAlgorithm(c, 1, c.Namespace("prod"), 3), Read.AllIn("prod")),
        new("namespace stanza algorithm P-256 -> undefined 99", c => SetStanzaAlgorithm(c, 1, c.Namespace("prod"), 99), Read.AllIn("prod")),

        // stanzas: a secret key's own stanza (default).
        new("secret stanza header byte flipped", c => c.FlipSecretStanza("header", "alpha", 40), Read.All("alpha")),
        new("secret stanza nonce byte flipped", c => c.FlipSecretStanza("nonce", "alpha"), Read.All("alpha")),
        new("secret stanza wrapped_key byte flipped", c => c.FlipSecretStanza("wrapped_key", "beta", -1), Read.All("beta")),
        new("secret stanza algorithm P-256 -> RSA-OAEP", c => SetStanzaAlgorithm(c, 2, c.Secret("alpha"), 3), Read.All("alpha")),

        // stanzas: moved to another scope.
        new("secret stanza moved to another secret's scope", c =>
            c.Exec("UPDATE stanzas SET scope_id = $g WHERE scope_kind = 2 AND scope_id = $a", ("$a", c.Secret("alpha")), ("$g", c.Secret("gamma"))),
            Read.All("gamma")),
        new("secret stanza moved over another secret's own stanza", c =>
        {
            c.Exec("DELETE FROM stanzas WHERE scope_kind = 2 AND scope_id = $b", ("$b", c.Secret("beta")));
            c.Exec("UPDATE stanzas SET scope_id = $b WHERE scope_kind = 2 AND scope_id = $a", ("$a", c.Secret("alpha")), ("$b", c.Secret("beta")));
        }, Read.All("beta")),
        new("namespace stanza moved to another namespace", c =>
        {
            c.Exec("DELETE FROM stanzas WHERE scope_kind = 1 AND scope_id = $p", ("$p", c.Namespace("prod")));
            c.Exec("UPDATE stanzas SET scope_id = $p WHERE scope_kind = 1 AND scope_id = $d", ("$d", c.Namespace("default")), ("$p", c.Namespace("prod")));
        }, Read.AllIn("prod")),
        new("secret stanza moved to a namespace scope", c =>
        {
            c.Exec("DELETE FROM stanzas WHERE scope_kind = 1 AND scope_id = $p", ("$p", c.Namespace("prod")));
            c.Exec("UPDATE stanzas SET scope_kind = 1, scope_id = $p WHERE scope_kind = 2 AND scope_id = $a", ("$a", c.Secret("alpha")), ("$p", c.Namespace("prod")));
        }, Read.AllIn("prod")),

        // secrets: a secret moved into another namespace, both ways. The control log still holds it where it was: every read
        // of it, in either namespace, is refused.
        new("secret moved from prod into default (namespace-key path)", c =>
            c.Exec("UPDATE secrets SET namespace_id = $d WHERE id = $g", ("$d", c.Namespace("default")), ("$g", c.Secret("gamma"))),
            [.. Read.All("gamma", "default"), .. Read.All("gamma")]),
        new("secret moved from default into prod (own-stanza path)", c =>
            c.Exec("UPDATE secrets SET namespace_id = $p WHERE id = $a", ("$p", c.Namespace("prod")), ("$a", c.Secret("alpha"))),
            [.. Read.All("alpha", "prod"), .. Read.All("alpha")]),
    ];

    public static TheoryData<string> CaseNames() => new(Cases.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void AlteredStore_ReadsTheExactValue_OrFailsAsTampered(string caseName)
    {
        var tamper = Cases.Single(c => c.Name == caseName);
        using var directory = new TempDirectory("secretops-tamper-");
        var path = directory.File("store.db");
        File.Copy(fixture.Pristine.Path, path);
        using (var connection = RawDb.Open(path))
        {
            tamper.Apply(new TamperContext(connection, fixture));
        }

        using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
        using var session = SecretStore.Open(path).Connect(SecretStore.SystemClientName, credential);
        var reads = TamperCorpusFixture.DefaultSecrets.Concat(TamperCorpusFixture.ProdSecrets).SelectMany(n => Read.All(n))
            .Concat(tamper.Tampered).Distinct().ToList();
        var problems = new List<string>();
        foreach (var read in reads)
        {
            var mustBeTampered = tamper.Tampered.Contains(read);
            var mayBeMissing = tamper.Missing?.Contains(read) == true;
            try
            {
                using var result = session.GetSecret(read.Namespace, read.Name, read.Version);
                var actual = Values.Describe(result.Value);
                if (!fixture.Expected.TryGetValue((read.Name, result.Version), out var expected) || actual != expected || (read.Version is { } v && v != result.Version))
                {
                    problems.Add($"{read}: returned a WRONG value ({actual}, version {result.Version})");
                }
                else if (mustBeTampered)
                {
                    problems.Add($"{read}: returned its value; expected SecretOps.Tampered");
                }
            }
            catch (TamperedException e) when (e.ErrorId == "SecretOps.Tampered")
            {
                if (!mustBeTampered)
                {
                    problems.Add($"{read}: unexpectedly tampered ({e.Message})");
                }
            }
            catch (NotFoundException) when (mayBeMissing)
            {
            }
            catch (Exception e)
            {
                problems.Add($"{read}: {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(problems.Count == 0, $"{caseName}:\n" + string.Join("\n", problems));
    }

    private static readonly Dictionary<string, Action<SqliteConnection>> ClientRowAlterations = new()
    {
        ["private_key byte flipped"] = c => RawDb.FlipByte(c, "clients", "private_key", "1", 5),
        ["private_key tag byte flipped"] = c => RawDb.FlipByte(c, "clients", "private_key", "1", -1),
        ["private_key truncated"] = c => RawDb.Execute(c, "UPDATE clients SET private_key = substr(private_key, 1, 8)"),
        ["private_key_nonce byte flipped"] = c => RawDb.FlipByte(c, "clients", "private_key_nonce", "1", 0),
        ["private_key NULL"] = c => RawDb.Execute(c, "UPDATE clients SET private_key = NULL"),
        ["kdf_salt byte flipped"] = c => RawDb.FlipByte(c, "clients", "kdf_salt", "1", 0),
        ["kdf_salt empty"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_salt = x''"),
        ["kdf_salt NULL"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_salt = NULL"),
        ["kdf_memory_kib doubled"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_memory_kib = kdf_memory_kib * 2"),
        ["kdf_memory_kib 8 GiB (over the cap)"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_memory_kib = 8388608"),
        ["kdf_memory_kib 0"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_memory_kib = 0"),
        ["kdf_memory_kib NULL"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_memory_kib = NULL"),
        ["kdf_iterations + 1"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_iterations = kdf_iterations + 1"),
        ["kdf_iterations 1000000 (over the cap)"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_iterations = 1000000"),
        ["kdf_iterations 0"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_iterations = 0"),
        ["kdf_parallelism + 1"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_parallelism = kdf_parallelism + 1"),
        ["kdf_parallelism 100000 (over the cap)"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_parallelism = 100000"),
        ["kdf_parallelism -1"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_parallelism = -1"),
        ["kdf_* set on a generated-secret client"] = c => RawDb.Execute(c, "UPDATE clients SET kdf_memory_kib = 64, kdf_iterations = 1, kdf_parallelism = 1"),
        ["public_key byte flipped"] = c => RawDb.FlipByte(c, "clients", "public_key", "1", -3),
        ["public_key replaced by another client's"] = c => RawDb.Execute(c, "UPDATE clients SET public_key = $k", ("$k", ClientPrivateKeyFactory.NewSpki())),
        ["kind passphrase <-> generated"] = c => RawDb.Execute(c, "UPDATE clients SET kind = 3 - kind"),
    };

    public static TheoryData<string, string> ClientRowCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in ClientRowAlterations.Keys)
        {
            if (name != "kdf_* set on a generated-secret client")
            {
                data.Add("passphrase", name);
            }

            if (name.StartsWith("private_key", StringComparison.Ordinal) || name.StartsWith("kdf_salt", StringComparison.Ordinal) || name.StartsWith("kind", StringComparison.Ordinal) || name.StartsWith("public_key", StringComparison.Ordinal)
                || name == "kdf_* set on a generated-secret client")
            {
                data.Add("generated", name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ClientRowCases))]
    public void AlteredClientRow_FailsToConnect_AndIsAudited(string kind, string alteration)
    {
        using var store = new TempStore(generateSecret: kind == "generated");
        using (var connection = RawDb.Open(store.Path))
        {
            ClientRowAlterations[alteration](connection);
        }

        var auditBefore = RawDb.Rows(store.Path, "audit").Count;
        var error = Record.Exception(() => store.ConnectSystem().Dispose());
        // What the control log holds (kind, public key) is refused as tampered; the envelope's own columns fail to authenticate.
        var logged = alteration.StartsWith("kind", StringComparison.Ordinal) || alteration.StartsWith("public_key replaced", StringComparison.Ordinal);
        Assert.True(logged ? error is TamperedException { ErrorId: "SecretOps.Tampered" } : error is AuthenticationFailedException { ErrorId: "SecretOps.AuthenticationFailed" },
            $"{kind} client, {alteration}: {error?.GetType().Name ?? "connected"}: {error?.Message}");
        var audit = RawDb.Rows(store.Path, "audit");
        Assert.Equal(auditBefore + 1, audit.Count);
        Assert.Contains("'client.connect'", audit[^1], StringComparison.Ordinal);
        Assert.Contains("'failed'", audit[^1], StringComparison.Ordinal);
    }

    private static void SetStanzaAlgorithm(TamperContext c, int scopeKind, byte[] scopeId, int algorithm) =>
        Assert.Equal(1, c.Exec("UPDATE stanzas SET algorithm = $a WHERE scope_kind = $k AND scope_id = $s AND generation = 1", ("$a", algorithm), ("$k", scopeKind), ("$s", scopeId)));

    private static void CopyVersionFromOtherStore(TamperContext c, string name, int version)
    {
        using var other = RawDb.Open(c.Fixture.Other.Path, readOnly: true);
        using var command = RawDb.Command(other, "SELECT v.key_generation, v.value_type, v.nonce, v.ciphertext FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = $n AND v.version = $v",
            ("$n", name), ("$v", version));
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1, c.Exec("UPDATE versions SET key_generation = $g, value_type = $t, nonce = $nonce, ciphertext = $c WHERE secret_id = $s AND version = $v",
            ("$g", reader.GetInt64(0)), ("$t", reader.GetInt64(1)), ("$nonce", (byte[])reader[2]), ("$c", (byte[])reader[3]), ("$s", c.Secret(name)), ("$v", version)));
    }
}

internal static class ClientPrivateKeyFactory
{
    public static byte[] NewSpki()
    {
        using var key = SecretOps.Core.Crypto.ClientPrivateKey.Generate();
        return key.PublicKey.ExportSubjectPublicKeyInfo();
    }
}
