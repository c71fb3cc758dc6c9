using System.Text;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A store hosted by a real server process, used through the real CLI (<c>--store http://127.0.0.1:port</c>): pushed from a
/// file, read and written by several clients on several "machines" (state folders), pulled back with nothing lost.
/// </summary>
public sealed class HostedStoreTests : IDisposable
{
    private readonly CliStore file = CliStore.Create(fileOnly: true);
    private readonly HostedServer server = HostedServer.Start();

    /// <summary>Pushes the file store to the server as its System client; returns the environment that reaches it from a new machine.</summary>
    private Dictionary<string, string?> PushAsSystem()
    {
        var system = ClientId("system");
        var environment = Machine(server.Enrol(system));
        file.Ok(["store", "push", server.Store], stdin: null, environment);
        return environment;
    }

    /// <summary>A client's environment on a machine of its own: its token, and a state folder no other machine shares.</summary>
    private Dictionary<string, string?> Machine(string tokenFile, Dictionary<string, string?>? client = null)
    {
        var environment = new Dictionary<string, string?>(client ?? new Dictionary<string, string?>())
        {
            ["SECRETOPS_TOKEN_FILE"] = tokenFile,
            ["XDG_STATE_HOME"] = Directory.CreateDirectory(Path.Combine(file.Directory, "machine-" + Guid.NewGuid().ToString("N")[..8])).FullName,
        };
        return environment;
    }

    private string ClientId(string name) => file.Json("client", "show", name).GetProperty("id").GetString()!;

    private CliResult Hosted(Dictionary<string, string?> environment, params string[] arguments) =>
        file.Ok(["--store", server.Store, .. arguments], stdin: null, environment);

    [Fact]
    public void APushedStore_IsReadAndWrittenThroughTheServer_FromTwoMachines_AndPulledBackWhole()
    {
        file.Set("before-push", "pushed value");
        var first = PushAsSystem();
        var second = Machine(first["SECRETOPS_TOKEN_FILE"]!);

        Assert.Equal("pushed value", Hosted(first, "secret", "get", "before-push").Stdout);
        Hosted(first, "secret", "set", "after-push", "--value", "written through the server");
        Assert.Equal("written through the server", Hosted(second, "secret", "get", "after-push").Stdout);
        Hosted(second, "secret", "set", "after-push", "--value", "second version");
        Assert.Equal("second version", Hosted(first, "secret", "get", "after-push").Stdout);

        // The file is not changed by the push, and the pull brings back everything the server holds.
        Assert.Throws<Xunit.Sdk.TrueException>(() => file.Ok("secret", "get", "after-push"));
        var pulled = Path.Combine(file.Directory, "pulled.db");
        file.Ok(["store", "pull", server.Store, pulled], stdin: null, first);
        Assert.Equal("second version", file.Ok(["--store", pulled, "secret", "get", "after-push"], stdin: null).Stdout);
        Assert.Equal("pushed value", file.Ok(["--store", pulled, "secret", "get", "before-push"], stdin: null).Stdout);
        file.Ok(["--store", pulled, "store", "check"], stdin: null);
        var audit = file.Json(["--store", pulled, "audit", "list"]).EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("secret.set", audit);
        Assert.Contains("secret.get", audit);
    }

    [Fact]
    public void TheServer_NeverHoldsOrLogsAValue()
    {
        const string canary = "canary-7d1f0c4e-never-on-the-server";
        var system = PushAsSystem();
        Hosted(system, "secret", "set", "watched", "--value", canary);
        Assert.Equal(canary, Hosted(system, "secret", "get", "watched").Stdout);

        var canaryBytes = Encoding.UTF8.GetBytes(canary);
        foreach (var path in Directory.EnumerateFiles(server.Folder))
        {
            Assert.True(File.ReadAllBytes(path).AsSpan().IndexOf(canaryBytes) < 0, $"{path} holds the value");
        }

        Assert.DoesNotContain(canary, server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAToken_OrBeforeAPush_TheCliSaysWhatToDo()
    {
        var noToken = file.Run(["--store", server.Store, "secret", "get", "x"], stdin: (string?)null);
        CliStore.AssertFailure(noToken, 2, ["secret", "get"]);
        Assert.Contains("enrolment token", noToken.Stderr, StringComparison.Ordinal);
        Assert.Contains("--token-file", noToken.Stderr, StringComparison.Ordinal);

        var nothingHosted = file.Run(["--store", server.Store, "secret", "get", "x"], stdin: (string?)null, Machine(server.Enrol(ClientId("system"))));
        CliStore.AssertFailure(nothingHosted, 3, ["secret", "get"]);
        Assert.Contains("hosts no store yet", nothingHosted.Stderr, StringComparison.Ordinal);
        Assert.Contains("store push", nothingHosted.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        server.Dispose();
        file.Dispose();
    }
}
