using System.Text;
using System.Text.Json;

namespace SecretOps.Cli.Tests;

// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class SecretCommandTests
{
    private const int MaxValueSize = 1024 * 1024;

    [Fact]
    public void String_RoundTrips_FromValue_Stdin_AndFile()
    {
        using var store = CliStore.Create();
        var text = "pässwörd ✓ with spaces  ";
        store.Set("from-value", text);
        Assert.Equal(text, store.Get("from-value"));

        // --stdin drops exactly one trailing newline, nothing else.
        store.Ok(["secret", "set", "from-stdin", "--stdin"], stdin: text + "\n\n");
        Assert.Equal(text + "\n", store.Get("from-stdin"));
        store.Ok(["secret", "set", "crlf", "--stdin"], stdin: "line\r\n");
        Assert.Equal("line", store.Get("crlf"));

        // --file is taken byte for byte.
        var file = Path.Combine(store.Directory, "value.txt");
        File.WriteAllText(file, "file value\n");
        store.Ok("secret", "set", "from-file", "--file", file);
        Assert.Equal("file value\n", store.Get("from-file"));

        var entry = store.Json("secret", "list", "from-file")[0];
        Assert.Equal("string", entry.GetProperty("type").GetString());
    }

    [Fact]
    public void Bytes_RoundTrip_Raw_IncludingZeroAndFF()
    {
        using var store = CliStore.Create();
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0x00, 0xFF, 0x0A }).ToArray();
        var result = store.Run(["secret", "set", "blob", "--stdin", "--type", "bytes"], all);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(all, store.Ok("secret", "get", "blob").StdoutBytes);

        var file = Path.Combine(store.Directory, "blob.bin");
        var fromFile = new byte[] { 0xFF, 0x00, 0xFE, 0x00, 0x0D, 0x0A };
        File.WriteAllBytes(file, fromFile);
        store.Ok("secret", "set", "file-blob", "--file", file, "--type", "bytes");
        Assert.Equal(fromFile, store.Ok("secret", "get", "file-blob").StdoutBytes);
        Assert.Equal("bytes", store.Json("secret", "list", "file-blob")[0].GetProperty("type").GetString());
    }

    [Fact]
    public void Credential_RoundTrips_AsJson()
    {
        using var store = CliStore.Create();
        store.Ok("secret", "set", "login", "--type", "credential", "--username", "admin@example", "--value", "s3cr\"et");
        var printed = JsonDocument.Parse(store.Get("login")).RootElement;
        Assert.Equal("admin@example", printed.GetProperty("userName").GetString());
        Assert.Equal("s3cr\"et", printed.GetProperty("password").GetString());

        store.Ok(["secret", "set", "login2", "--type", "credential", "--username", "u", "--stdin"], stdin: "pw\n");
        Assert.Equal("pw", JsonDocument.Parse(store.Get("login2")).RootElement.GetProperty("password").GetString());

        var missingUser = store.Fails(2, "secret", "set", "login3", "--type", "credential", "--value", "x");
        Assert.Contains("--username", missingUser.Stderr);
        Assert.Contains("--username", store.Fails(2, "secret", "set", "text", "--username", "u", "--value", "x").Stderr);
    }

    [Fact]
    public void Versions_History_Restore_AndRemovingAVersion()
    {
        using var store = CliStore.Create();
        store.Set("api", "one");
        store.Set("api", "two");
        store.Set("api", "three");
        Assert.Equal("three", store.Get("api"));
        Assert.Equal("one", store.Get("api", "--version", "1"));

        var history = store.Json("secret", "history", "api").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], history.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([false, false, true], history.Select(v => v.GetProperty("isCurrent").GetBoolean()));
        Assert.Contains("(current)", store.Ok("secret", "history", "api").Stdout);

        var restored = store.Json("secret", "restore", "api", "--version", "1");
        Assert.Equal(4, restored.GetProperty("version").GetInt32());
        Assert.Equal("one", store.Get("api"));

        store.Ok("secret", "rm", "api", "--version", "2", "--yes");
        store.Fails(3, "secret", "get", "api", "--version", "2");
        Assert.Equal([1, 3, 4], store.Json("secret", "history", "api").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));

        // The current version cannot be removed alone; the whole secret can.
        store.Fails(6, "secret", "rm", "api", "--version", "4", "--yes");
        store.Fails(2, "secret", "restore", "api", "--version", "0");
        store.Fails(3, "secret", "restore", "api", "--version", "9");
        var removed = store.Json("secret", "rm", "api", "--yes");
        Assert.True(removed.GetProperty("removed").GetBoolean());
        store.Fails(3, "secret", "get", "api");
        Assert.Empty(store.Names());
    }

    [Fact]
    public void Remove_WithoutYes_WhenStdinIsNotATerminal_IsAUsageError_AndRemovesNothing()
    {
        using var store = CliStore.Create();
        store.Set("keep", "v");
        var result = store.Fails(2, "secret", "rm", "keep");
        Assert.Contains("--yes", result.Stderr);
        Assert.Equal("v", store.Get("keep"));
    }

    [Fact]
    public void MissingSecret_IsNotFound()
    {
        using var store = CliStore.Create();
        Assert.Contains("does not exist", store.Fails(3, "secret", "get", "nope").Stderr);
        store.Fails(3, "secret", "history", "nope");
        store.Fails(3, "secret", "rm", "nope", "--yes");
        store.Set("there", "v");
        store.Fails(3, "secret", "get", "there", "--version", "7");
    }

    [Fact]
    public void Ttl_ExpiredSecret_ExitsWith8_AndIsHiddenFromListsUnlessAsked()
    {
        using var store = CliStore.Create();
        store.Set("short", "soon gone", "--ttl", "1s");
        store.Set("long", "stays", "--ttl", "2h");
        var expires = store.Json("secret", "list", "long")[0].GetProperty("expiresAt").GetString();
        Assert.NotNull(expires);

        Thread.Sleep(1500);
        var expired = store.Fails(8, "secret", "get", "short");
        Assert.Contains("expired", expired.Stderr);
        Assert.Equal(["long"], store.Names());
        var all = store.Json("secret", "list", "--include-expired");
        Assert.Equal(2, all.GetArrayLength());
        Assert.True(all.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "short").GetProperty("isExpired").GetBoolean());
        Assert.Contains("(expired)", store.Ok("secret", "list", "--include-expired").Stdout);

        // An old version stays readable; setting again without --ttl revives the secret.
        Assert.Equal("soon gone", store.Get("short", "--version", "1"));
        store.Set("short", "back");
        Assert.Equal("back", store.Get("short"));
    }

    [Fact]
    public void Metadata_IsTyped_Replaced_AndKept()
    {
        using var store = CliStore.Create();
        store.Set("db", "v", "--meta", "env=prod", "--meta", "port=5432", "--meta", "rotated=true", "--meta", "since=2026-01-31T12:00:00Z", "--meta", "url=a=b");
        var metadata = store.Json("secret", "list", "db")[0].GetProperty("metadata");
        Assert.Equal("prod", metadata.GetProperty("env").GetString());
        Assert.Equal(5432, metadata.GetProperty("port").GetInt32());
        Assert.True(metadata.GetProperty("rotated").GetBoolean());
        Assert.Equal("2026-01-31T12:00:00.000Z", metadata.GetProperty("since").GetString());
        Assert.Equal("a=b", metadata.GetProperty("url").GetString());
        Assert.Contains("env=prod", store.Ok("secret", "list").Stdout);

        // A new version without --meta keeps the metadata; with --meta replaces it.
        store.Set("db", "v2");
        Assert.Equal("prod", store.Json("secret", "list", "db")[0].GetProperty("metadata").GetProperty("env").GetString());
        store.Set("db", "v3", "--meta", "owner=ops");
        var replaced = store.Json("secret", "list", "db")[0].GetProperty("metadata");
        Assert.Equal(["owner"], replaced.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void ExpectedVersion_MakesSetACompareAndSwap()
    {
        using var store = CliStore.Create();
        store.Set("cas", "first", "--expected-version", "0");
        store.Fails(6, "secret", "set", "cas", "--value", "again", "--expected-version", "0");
        store.Set("cas", "second", "--expected-version", "1");
        var conflict = store.Fails(6, "secret", "set", "cas", "--value", "lost", "--expected-version", "1");
        Assert.Contains("version 2", conflict.Stderr);
        Assert.Equal("second", store.Get("cas"));
        Assert.Equal(2, store.Json("secret", "history", "cas").GetArrayLength());
        store.Fails(2, "secret", "set", "cas", "--value", "x", "--expected-version", "-1");
    }

    [Fact]
    public void List_FiltersByWildcard_AndLiterally()
    {
        using var store = CliStore.Create();
        foreach (var name in new[] { "db-prod", "db-test", "DB-Stage", "web[1]", "a*b", "axb", "other" })
        {
            store.Set(name, "v");
        }

        Assert.Equal(7, store.Names().Count);
        Assert.Equal(["db-prod", "DB-Stage", "db-test"], store.Names("db-*").OrderBy(n => n, StringComparer.OrdinalIgnoreCase));
        Assert.Equal(["db-prod"], store.Names("DB-PROD"));
        Assert.Equal(["db-prod", "db-test"], store.Names("db-[pt]*").OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(["web[1]"], store.Names("web[1]"));
        Assert.Equal(["a*b", "axb"], store.Names("a*b").OrderBy(n => n, StringComparer.Ordinal));
        Assert.Empty(store.Names("zzz*"));
        Assert.Equal("", store.Ok("secret", "list", "zzz*").Stdout);
    }

    [Fact]
    public void Output_JsonAndYaml_Parse_AndAgree()
    {
        using var store = CliStore.Create();
        store.Set("one", "v", "--meta", "n=1");
        store.Set("two", "v");
        var json = store.Json("secret", "list");
        Assert.Equal(JsonValueKind.Array, json.ValueKind);
        Assert.Equal(2, json.GetArrayLength());

        var yamlText = store.Ok("secret", "list", "--output", "yaml").Stdout;
        var yaml = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<List<Dictionary<string, object>>>(yamlText);
        Assert.Equal(2, yaml.Count);
        Assert.Equal("one", yaml[0]["name"]);
        Assert.Equal(json[0].EnumerateObject().Select(p => p.Name), yaml[0].Keys);

        var single = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(store.Ok("store", "info", "-o", "yaml").Stdout);
        Assert.Equal("2", single["secrets"]);
        Assert.Equal(JsonValueKind.Object, store.Json("ns", "list")[0].ValueKind);
        Assert.Equal(JsonValueKind.Array, store.Json("audit", "list").ValueKind);
        Assert.Equal("[]", store.Ok("secret", "list", "nothing*", "-o", "json").Stdout.Trim());
    }

    [Fact]
    public void BadInput_IsRefused_WithASpecificMessage_AndChangesNothing()
    {
        using var store = CliStore.Create();
        store.Set("existing", "v");
        var before = store.Names();
        var history = store.Json("secret", "history", "existing").GetArrayLength();

        void Refused(int exitCode, string expected, params string[] arguments)
        {
            var result = store.Fails(exitCode, arguments);
            Assert.Contains(expected, result.Stderr, StringComparison.OrdinalIgnoreCase);
        }

        Refused(2, "cannot be empty", "secret", "set", "", "--value", "v");
        Refused(2, "at most 256", "secret", "set", new string('n', 257), "--value", "v");
        Refused(2, "control characters", "secret", "set", "bad\u0007name", "--value", "v");
        Refused(2, "control characters", "secret", "get", "bad\nname");
        Refused(2, "white space", "secret", "set", " padded", "--value", "v");
        Refused(3, "Namespace 'nowhere' does not exist", "secret", "set", "x", "--value", "v", "--namespace", "nowhere");
        Refused(2, "namespace name", "secret", "set", "x", "--value", "v", "--namespace", "bad/ns");
        Refused(2, "must be positive", "secret", "set", "existing", "--value", "v", "--ttl", "0s");
        Refused(2, "not a time to live", "secret", "set", "existing", "--value", "v", "--ttl=-5m");
        Refused(2, "not a time to live", "secret", "set", "existing", "--value", "v", "--ttl", "soon");
        Refused(2, "at most 100 years", "secret", "set", "existing", "--value", "v", "--ttl", "40000d");
        Refused(2, "not key=value", "secret", "set", "existing", "--value", "v", "--meta", "novalue");
        Refused(2, "not key=value", "secret", "set", "existing", "--value", "v", "--meta", "=v");
        Refused(2, "Metadata key", "secret", "set", "existing", "--value", "v", "--meta", "bad key=v");
        Refused(2, "given twice", "secret", "set", "existing", "--value", "v", "--meta", "k=1", "--meta", "k=2");
        Refused(2, "one way", "secret", "set", "existing", "--value", "v", "--file", "x");
        Refused(2, "does not exist", "secret", "set", "existing", "--file", Path.Combine(store.Directory, "missing"));
        Refused(2, "is a directory", "secret", "set", "existing", "--file", store.Directory);
        Refused(2, "'hashtable' not recognized", "secret", "set", "existing", "--value", "v", "--type", "hashtable");
        Refused(2, "--value, --stdin or --file", "secret", "set", "existing");

        var big = Path.Combine(store.Directory, "big.bin");
        File.WriteAllBytes(big, new byte[MaxValueSize + 1]);
        Refused(2, "1 MiB", "secret", "set", "existing", "--file", big, "--type", "bytes");
        var limit = Path.Combine(store.Directory, "limit.bin");
        File.WriteAllBytes(limit, new byte[MaxValueSize]);
        Refused(2, "limit is", "secret", "set", "existing", "--file", limit, "--type", "bytes");
        var stdinTooBig = store.Run(["secret", "set", "existing", "--stdin", "--type", "bytes"], new byte[MaxValueSize + 10]);
        CliStore.AssertFailure(stdinTooBig, 2, ["secret", "set", "--stdin"]);

        var notText = Path.Combine(store.Directory, "latin1.txt");
        File.WriteAllBytes(notText, [0x70, 0xE4, 0x73]);
        Refused(2, "not valid UTF-8", "secret", "set", "existing", "--file", notText);

        Assert.Equal(before, store.Names());
        Assert.Equal(history, store.Json("secret", "history", "existing").GetArrayLength());
        Assert.Equal("v", store.Get("existing"));
    }

    [Fact]
    public void PassphraseStdin_Authenticates_AndCannotBeCombinedWithStdinValues()
    {
        using var store = CliStore.Create();
        var noEnvironment = new Dictionary<string, string?> { ["SECRETOPS_PASSPHRASE"] = null };
        var set = store.Run(["secret", "set", "via-arg", "--value", "v", "--passphrase-stdin"], CliStore.Passphrase + "\n", noEnvironment);
        Assert.True(set.ExitCode == 0, set.ToString());
        var get = store.Run(["--passphrase-stdin", "secret", "get", "via-arg"], CliStore.Passphrase + "\r\n", noEnvironment);
        Assert.Equal("v", get.Stdout);

        var both = store.Fails(2, ["secret", "set", "x", "--stdin", "--passphrase-stdin"], CliStore.Passphrase + "\nvalue", noEnvironment);
        Assert.Contains("--passphrase-stdin", both.Stderr);
        var nothing = store.Fails(2, ["secret", "list", "--passphrase-stdin"], "", noEnvironment);
        Assert.Contains("No passphrase on standard input", nothing.Stderr);
        Assert.Equal(["via-arg"], store.Names());
    }

    [Fact]
    public void NamesKeepCase_AndMatchIgnoringCase_AndUnicodeWorks()
    {
        using var store = CliStore.Create();
        store.Set("Prod/DB Password", "a");
        Assert.Equal("a", store.Get("prod/db password"));
        store.Set("PROD/DB PASSWORD", "b");
        Assert.Equal(["Prod/DB Password"], store.Names());
        store.Set("ключ-🔑", "c");
        Assert.Equal("c", store.Get("ключ-🔑"));
        store.Set("@at-sign", "d");
        Assert.Equal("d", store.Get("@at-sign"));
    }
}
