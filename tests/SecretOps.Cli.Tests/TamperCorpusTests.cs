using Microsoft.Data.Sqlite;
using SecretOps.Core.Tests.Store;

namespace SecretOps.Cli.Tests;

/// <summary>
/// The tamper corpus through the real CLI: every column that holds ciphertext, a nonce, a wrapped key, a key
/// generation or a value bound into associated data, altered, truncated or swapped between secrets, versions and
/// namespaces, makes <c>secret get</c> exit 7 with nothing on standard output and no value on standard error.
/// (Core's TamperCorpusTests runs the full corpus against the engine.)
/// </summary>
// Hundreds of CLI processes: the README's test command runs this class once, against the native CLI (Cli.cs).
[Trait("Workload", "Heavy")]
public class TamperCorpusTests
{
    private const string SecretId = "(SELECT id FROM secrets WHERE name = $name)";

    /// <summary>A case: what to alter (with a raw connection to the file) and which read must then fail.</summary>
    private sealed record Case(Action<SqliteConnection> Alter, params string[] Read);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["versions.ciphertext byte flipped"] = new(c => RawDb.FlipByte(c, "versions", "ciphertext", $"secret_id = {SecretId} AND version = 2", 0, ("$name", "a")), "a"),
        ["versions.ciphertext tag byte flipped"] = new(c => RawDb.FlipByte(c, "versions", "ciphertext", $"secret_id = {SecretId} AND version = 2", -1, ("$name", "a")), "a"),
        ["versions.ciphertext truncated"] = new(c => Update(c, $"UPDATE versions SET ciphertext = substr(ciphertext, 1, length(ciphertext) - 1) WHERE secret_id = {SecretId} AND version = 2"), "a"),
        ["versions.nonce byte flipped"] = new(c => RawDb.FlipByte(c, "versions", "nonce", $"secret_id = {SecretId} AND version = 2", 3, ("$name", "a")), "a"),
        ["versions.key_generation changed"] = new(c => Update(c, $"UPDATE versions SET key_generation = 2 WHERE secret_id = {SecretId} AND version = 2"), "a"),
        ["versions.value_type changed"] = new(c => Update(c, $"UPDATE versions SET value_type = 2 WHERE secret_id = {SecretId} AND version = 2"), "a"),
        ["versions.version renumbered"] = new(c => Update(c, $"UPDATE versions SET version = 3 WHERE secret_id = {SecretId} AND version = 2; UPDATE secrets SET current_version = 3 WHERE name = $name"), "a"),
        ["version swapped between two versions of a secret"] = new(c => Update(c,
            $"UPDATE versions SET version = -1 WHERE secret_id = {SecretId} AND version = 1; UPDATE versions SET version = 1 WHERE secret_id = {SecretId} AND version = 2; UPDATE versions SET version = 2 WHERE secret_id = {SecretId} AND version = -1"), "a"),
        ["version row moved to another secret"] = new(c => Update(c,
            $"DELETE FROM versions WHERE secret_id = (SELECT id FROM secrets WHERE name = 'b'); UPDATE versions SET secret_id = (SELECT id FROM secrets WHERE name = 'b') WHERE secret_id = {SecretId} AND version = 1"), "b"),
        ["version row moved to a secret in another namespace"] = new(c => Update(c,
            $"DELETE FROM versions WHERE secret_id = (SELECT id FROM secrets WHERE name = 'p'); UPDATE versions SET secret_id = (SELECT id FROM secrets WHERE name = 'p') WHERE secret_id = {SecretId} AND version = 1"), "p", "--namespace", "prod"),
        ["ciphertext and nonce swapped between two secrets"] = new(c => Update(c,
            """
            UPDATE versions SET nonce = (SELECT v.nonce FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'b'),
                                ciphertext = (SELECT v.ciphertext FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'b')
            WHERE secret_id = (SELECT id FROM secrets WHERE name = $name) AND version = 2
            """), "a"),
        ["secret names swapped"] = new(c => Update(c,
            "UPDATE secrets SET name = 'tmp', name_key = 'TMP' WHERE name = 'a'; UPDATE secrets SET name = 'a', name_key = 'A' WHERE name = 'b'; UPDATE secrets SET name = 'b', name_key = 'B' WHERE name = 'tmp'"), "a"),
        ["secret moved to another namespace"] = new(c => Update(c, "UPDATE secrets SET namespace_id = (SELECT id FROM namespaces WHERE name = 'prod') WHERE name = $name"), "a", "--namespace", "prod"),
        ["secret_keys.wrapped_key byte flipped"] = new(c => RawDb.FlipByte(c, "secret_keys", "wrapped_key", $"secret_id = {SecretId}", 5, ("$name", "a")), "a"),
        ["secret_keys.nonce byte flipped"] = new(c => RawDb.FlipByte(c, "secret_keys", "nonce", $"secret_id = {SecretId}", 0, ("$name", "a")), "a"),
        ["secret_keys.namespace_generation changed"] = new(c => Update(c, $"UPDATE secret_keys SET namespace_generation = 3 WHERE secret_id = {SecretId}"), "a"),
        ["secret key swapped between two secrets"] = new(c => Update(c,
            """
            UPDATE secret_keys SET nonce = (SELECT k.nonce FROM secret_keys k JOIN secrets s ON s.id = k.secret_id WHERE s.name = 'b'),
                                   wrapped_key = (SELECT k.wrapped_key FROM secret_keys k JOIN secrets s ON s.id = k.secret_id WHERE s.name = 'b')
            WHERE secret_id = (SELECT id FROM secrets WHERE name = $name)
            """), "a"),
        ["namespace key stanza wrapped_key byte flipped"] = new(c => RawDb.FlipByte(c, "stanzas", "wrapped_key", "scope_kind = 1 AND scope_id = (SELECT id FROM namespaces WHERE name = 'default')", 7), "a"),
        ["namespace key stanza header byte flipped"] = new(c => RawDb.FlipByte(c, "stanzas", "header", "scope_kind = 1 AND scope_id = (SELECT id FROM namespaces WHERE name = 'default')", 10), "a"),
        ["namespace key stanza nonce byte flipped"] = new(c => RawDb.FlipByte(c, "stanzas", "nonce", "scope_kind = 1 AND scope_id = (SELECT id FROM namespaces WHERE name = 'default')", 2), "a"),
        ["namespace key stanzas swapped between namespaces"] = new(c => Update(c,
            """
            UPDATE stanzas SET scope_id = x'00' WHERE scope_kind = 1 AND scope_id = (SELECT id FROM namespaces WHERE name = 'default');
            UPDATE stanzas SET scope_id = (SELECT id FROM namespaces WHERE name = 'default') WHERE scope_kind = 1 AND scope_id = (SELECT id FROM namespaces WHERE name = 'prod');
            UPDATE stanzas SET scope_id = (SELECT id FROM namespaces WHERE name = 'prod') WHERE scope_kind = 1 AND scope_id = x'00'
            """), "a"),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void AlteredStore_MakesSecretGetExit7_AndShowsNoValue(string label)
    {
        using var store = CliStore.Create();
        store.Ok("ns", "create", "prod");
        store.Set("a", "first-value-of-a");
        store.Set("a", "second-value-of-a");
        store.Set("b", "value-of-b");
        store.Set("p", "value-of-p", "--namespace", "prod");

        var tamper = Cases[label];
        using (var connection = RawDb.Open(store.StorePath))
        {
            tamper.Alter(connection);
        }

        var read = store.Fails(7, ["secret", "get", .. tamper.Read]);
        Assert.Equal("", read.Stdout);
        foreach (var value in new[] { "first-value-of-a", "second-value-of-a", "value-of-b", "value-of-p" })
        {
            Assert.DoesNotContain(value, read.Stderr, StringComparison.Ordinal);
        }
    }

    private static void Update(SqliteConnection connection, string sql) => Assert.True(RawDb.Execute(connection, sql, ("$name", "a")) > 0, sql);
}
