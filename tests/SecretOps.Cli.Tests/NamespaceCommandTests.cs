using System.Text.Json;

namespace SecretOps.Cli.Tests;

// These scenarios also run against a server (CliStore.Hosted; the README's test command).
[Trait("Hosted", "Also")]
public class NamespaceCommandTests
{
    [Fact]
    public void Namespaces_SeparateSecrets_AndAreListed()
    {
        using var store = CliStore.Create();
        var created = store.Json("ns", "create", "team-a", "--description", "Team A's secrets");
        Assert.Equal("team-a", created.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("maxVersions").ValueKind);
        store.Fails(6, "ns", "create", "TEAM-A");

        store.Set("shared-name", "in default");
        store.Set("shared-name", "in team-a", "--namespace", "team-a");
        Assert.Equal("in default", store.Get("shared-name"));
        Assert.Equal("in team-a", store.Get("shared-name", "-n", "team-a"));
        var fromEnvironment = store.Ok(["secret", "get", "shared-name"], stdin: null, new Dictionary<string, string?> { ["SECRETOPS_NAMESPACE"] = "team-a" });
        Assert.Equal("in team-a", fromEnvironment.Stdout);

        var listed = store.Json("ns", "list").EnumerateArray().ToDictionary(n => n.GetProperty("name").GetString()!);
        Assert.Equal(["default", "team-a"], listed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, listed["team-a"].GetProperty("secretCount").GetInt32());
        Assert.Equal("Team A's secrets", listed["team-a"].GetProperty("description").GetString());
        Assert.Contains("Team A's secrets", store.Ok("ns", "list").Stdout);

        store.Fails(3, "secret", "list", "-n", "team-b");
        store.Fails(2, "ns", "create", "bad name");
        store.Fails(2, "ns", "create", "");
    }

    [Fact]
    public void Retention_KeepsTheNewestVersions_AndCanBeChangedOrRemoved()
    {
        using var store = CliStore.Create();
        store.Ok("ns", "create", "kept", "--max-versions", "2");
        for (var i = 1; i <= 4; i++)
        {
            store.Set("s", $"v{i}", "-n", "kept");
        }

        Assert.Equal([3, 4], Versions(store, "kept"));
        store.Fails(3, "secret", "get", "s", "-n", "kept", "--version", "1");

        // Lowering retention prunes now; --no-retention keeps everything from then on.
        Assert.Equal(1, store.Json("ns", "set", "kept", "--max-versions", "1").GetProperty("maxVersions").GetInt32());
        Assert.Equal([4], Versions(store, "kept"));
        var unlimited = store.Json("ns", "set", "kept", "--no-retention", "--description", "now unlimited");
        Assert.Equal(JsonValueKind.Null, unlimited.GetProperty("maxVersions").ValueKind);
        Assert.Equal("now unlimited", unlimited.GetProperty("description").GetString());
        store.Set("s", "v5", "-n", "kept");
        store.Set("s", "v6", "-n", "kept");
        Assert.Equal([4, 5, 6], Versions(store, "kept"));

        store.Fails(2, "ns", "set", "kept", "--max-versions", "0");
        store.Fails(2, "ns", "set", "kept", "--max-versions", "3", "--no-retention");
        store.Fails(2, "ns", "create", "zero", "--max-versions", "0");
        store.Fails(3, "ns", "set", "missing", "--max-versions", "3");
        Assert.Equal([4, 5, 6], Versions(store, "kept"));
    }

    [Fact]
    public void Remove_NeedsYes_NeedsForceWhenNotEmpty_AndNeverRemovesDefault()
    {
        using var store = CliStore.Create();
        store.Ok("ns", "create", "empty");
        store.Ok("ns", "create", "full");
        store.Set("s", "v", "-n", "full");

        Assert.Contains("--yes", store.Fails(2, "ns", "rm", "empty").Stderr);
        store.Ok("ns", "rm", "empty", "--yes");
        store.Fails(3, "ns", "rm", "empty", "--yes");

        Assert.Contains("--force", store.Fails(6, "ns", "rm", "full", "--yes").Stderr.Replace("force the removal", "--force", StringComparison.Ordinal));
        Assert.Equal("v", store.Get("s", "-n", "full"));
        var removed = store.Json("ns", "rm", "full", "--force", "--yes");
        Assert.True(removed.GetProperty("removed").GetBoolean());
        store.Fails(3, "secret", "get", "s", "-n", "full");

        Assert.Contains("default namespace cannot be removed", store.Fails(2, "ns", "rm", "default", "--yes", "--force").Stderr);
        Assert.Equal(["default"], store.Json("ns", "list").EnumerateArray().Select(n => n.GetProperty("name").GetString()));
    }

    private static List<int> Versions(CliStore store, string ns) =>
        store.Json("secret", "history", "s", "-n", ns).EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ToList();
}
