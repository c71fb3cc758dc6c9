using System.Text;
using SecretOps.Core.Tests.Store;

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

    /// <summary>A client's environment on a machine of its own: its token (if any), and a state folder no other machine shares.</summary>
    private Dictionary<string, string?> Machine(string? tokenFile, Dictionary<string, string?>? client = null)
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

        // Every request body is kept verbatim in the log (store_log), and every answer is made of log entries or the
        // instance's replica (under tmp/): the files below hold all the server ever received or sent. The secret's name
        // is stored in plain, so finding it shows the scan reads what the requests carried.
        var canaryBytes = Encoding.UTF8.GetBytes(canary);
        var replicas = Directory.GetDirectories(Path.Combine(server.Folder, "tmp"), "secretops-replica-*");
        var files = Directory.EnumerateFiles(server.Folder)
            .Concat(replicas.SelectMany(replica => Directory.EnumerateFiles(replica, "*", SearchOption.AllDirectories)))
            .Where(path => Path.GetFileName(path) != "instance.lock") // empty, and locked by the running instance
            .ToList();
        Assert.Single(replicas);
        Assert.Contains(files, path => Path.GetFileName(path) == "store.db");
        Assert.Contains(files, path => File.ReadAllBytes(path).AsSpan().IndexOf("watched"u8) >= 0);
        foreach (var path in files)
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

    [Fact]
    public void ATeammateWhoCanWriteTheServersDatabase_CannotForgeARevision_ClientsRefuseTheStore()
    {
        var system = PushAsSystem();
        Hosted(system, "secret", "set", "target", "--value", "the real value");
        var head = (long)RawDb.Scalar(server.DatabasePath, "SELECT max(revision) FROM store_log")!;

        // With raw SQL on the server's database, the attacker alters the last byte of the newest revision (the set's
        // batch), and the server, restarted, rebuilds its replica from the altered log for every new machine.
        server.Kill();
        var content = (byte[])RawDb.Scalar(server.DatabasePath, "SELECT content FROM store_log WHERE revision = $r", ("$r", head))!;
        content[^1] ^= 0x01;
        RawDb.Execute(server.DatabasePath, "UPDATE store_log SET content = $c WHERE revision = $r", ("$c", content), ("$r", head));
        server.Restart();

        var newMachine = Machine(system["SECRETOPS_TOKEN_FILE"]!);
        var check = file.Run(["--store", server.Store, "store", "check"], stdin: (string?)null, newMachine);
        // The last byte is the audit entry's signature: the client's check of the chain finds it, as in a file.
        Assert.True(check.ExitCode == 7, $"the altered store was not refused as tampered: {check}");
        Assert.Contains("signature does not verify", check.Stderr, StringComparison.Ordinal);
        var read = file.Run(["--store", server.Store, "secret", "get", "target"], stdin: (string?)null, newMachine);
        Assert.True(read.ExitCode != 0 || read.Stdout == "the real value", $"a forged revision was served: {read}");
    }

    [Fact]
    public void AClientWithAGeneratedSecret_DerivesItsToken_AndUsesTheServerWithNoTokenFile()
    {
        var added = file.Json("client", "add", "ci", "--role", "admin", "--generate-secret");
        var id = added.GetProperty("clientId").GetString()!;
        var secret = new Dictionary<string, string?> { ["SECRETOPS_CLIENT_SECRET"] = added.GetProperty("clientSecret").GetString() };

        // The client derives its token (on the file, by name: connecting proves the secret); the operator enrols that key.
        var derived = file.Run(["--client", "ci", "client", "token"], stdin: (string?)null, secret);
        Assert.True(derived.ExitCode == 0, $"client token: {derived}");
        Assert.Contains("safe channel", derived.Stderr, StringComparison.Ordinal);
        var token = derived.Stdout.Trim();
        Assert.StartsWith("secretops-enrol-v1:" + id + ":", token, StringComparison.Ordinal);
        var enrolled = server.EnrolDerived(id, token);
        Assert.True(enrolled.ExitCode == 0, $"enrol --token-file: {enrolled}");
        Assert.DoesNotContain(token.Split(':')[2], enrolled.Stdout + enrolled.Stderr, StringComparison.Ordinal);

        // With no token file anywhere, the secret alone pushes, writes and reads; a new machine derives the same key.
        file.Set("before-push", "pushed value");
        file.Ok("grant", "ci", "--namespace", "default", "--permissions", "read,write");
        var machine = Machine(tokenFile: null, secret);
        file.Ok(["--client", id, "store", "push", server.Store], stdin: null, machine);
        Hosted(machine, "--client", id, "secret", "set", "derived", "--value", "signed with the derived key");
        Assert.Equal("pushed value", Hosted(Machine(tokenFile: null, secret), "--client", id, "secret", "get", "before-push").Stdout);
        Assert.Equal("signed with the derived key", Hosted(Machine(tokenFile: null, secret), "--client", id, "secret", "get", "derived").Stdout);

        // The same token, derived again on a machine that only has the server, is the one the operator enrolled.
        Assert.Equal(token, file.Run(["--store", server.Store, "--client", id, "client", "token"], stdin: (string?)null, Machine(tokenFile: null, secret)).Stdout.Trim());

        // By name there is no id to sign as: the CLI says so, and what to give instead.
        var byName = file.Run(["--store", server.Store, "--client", "ci", "secret", "get", "derived"], stdin: (string?)null, machine);
        CliStore.AssertFailure(byName, 2, ["secret", "get"]);
        Assert.Contains("by its id", byName.Stderr, StringComparison.Ordinal);
        Assert.Contains("--token-file", byName.Stderr, StringComparison.Ordinal);

        // Another generated secret under ci's id signs with another key: the server refuses every request.
        var other = file.Json("client", "add", "other", "--generate-secret").GetProperty("clientSecret").GetString();
        var forged = file.Run(["--store", server.Store, "--client", id, "secret", "get", "derived"], stdin: (string?)null,
            Machine(tokenFile: null, new Dictionary<string, string?> { ["SECRETOPS_CLIENT_SECRET"] = other }));
        CliStore.AssertFailure(forged, 4, ["secret", "get"]);
        Assert.DoesNotContain("signed with the derived key", forged.Stdout, StringComparison.Ordinal);
        Assert.Contains("signature does not match", forged.Stderr, StringComparison.Ordinal);

        // A passphrase client derives no token: its key comes from the operator's enrol.
        var passphrase = file.Run(["client", "token"], stdin: (string?)null);
        CliStore.AssertFailure(passphrase, 2, ["client", "token"]);
        Assert.Contains("generated secret", passphrase.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AClientDisabledInTheStore_IsServedNothingFromItsNextRequest_EvenWithTheValueInItsReplica_AndTheServerAuditsIt()
    {
        file.Set("db", "the value");
        var added = file.Json("client", "add", "ci", "--generate-secret");
        var ci = added.GetProperty("clientId").GetString()!;
        file.Ok("grant", "ci", "--namespace", "default", "--permissions", "read");
        var system = PushAsSystem();
        var machine = Machine(server.Enrol(ci), new Dictionary<string, string?> { ["SECRETOPS_CLIENT_SECRET"] = added.GetProperty("clientSecret").GetString() });
        Assert.Equal("the value", Hosted(machine, "--client", "ci", "secret", "get", "db").Stdout);

        Hosted(system, "client", "disable", "ci");
        var refused = file.Run(["--store", server.Store, "--client", "ci", "secret", "get", "db"], stdin: (string?)null, machine);
        CliStore.AssertFailure(refused, 4, ["secret", "get"]);
        Assert.Contains("'ci' is disabled in the hosted store", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("the value", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
        var audit = server.Audit();
        Assert.Contains(audit, line => line.Contains("\tRefusedByStore\tGET\t/v1/store/changes\t", StringComparison.Ordinal) && line.Contains("client " + ci, StringComparison.Ordinal));

        Hosted(system, "client", "enable", "ci");
        Assert.Equal("the value", Hosted(machine, "--client", "ci", "secret", "get", "db").Stdout);
    }

    [Fact]
    public void AServerKilledMidLife_LeavesItsReplicaFolder_OnlyUntilTheNextInstanceStarts()
    {
        var system = PushAsSystem();
        Hosted(system, "secret", "set", "kept", "--value", "in the log");
        string[] ReplicaFolders() => Directory.GetDirectories(Path.Combine(server.Folder, "tmp"), "secretops-replica-*");
        var killed = Assert.Single(ReplicaFolders());

        server.Kill();
        Assert.Equal([killed], ReplicaFolders());
        server.Restart();
        Assert.Equal("in the log", Hosted(system, "secret", "get", "kept").Stdout);
        Assert.NotEqual(killed, Assert.Single(ReplicaFolders()));
    }

    public void Dispose()
    {
        server.Dispose();
        file.Dispose();
    }
}
