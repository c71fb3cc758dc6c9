using System.Diagnostics;
using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;
using SecretOps.Core.Policy;
using SecretOps.Core.Tests.Store;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Configuration;

/// <summary>
/// Files and text an outsider controls, through the Core entry points that read them (configuration and profiles,
/// secret and key files, policy and configuration YAML): an endless device, a FIFO nobody writes to, a directory and
/// a file past every limit are refused at once with a message naming the file; hostile nesting is refused before
/// YamlDotNet parses it. Each call runs under a generous wall-clock bound that only a runaway (a hang, an
/// unbounded read, a quadratic parse) exceeds.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class UnboundedInputTests : IDisposable
{
    private static readonly TimeSpan Runaway = TimeSpan.FromSeconds(20);
    private static readonly string[] Variables = ["SECRETOPS_CONFIG", "SECRETOPS_PROFILE", "SECRETOPS_PASSPHRASE", "SECRETOPS_CLIENT_SECRET", "SECRETOPS_KEY_FILE"];

    private readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly string directory = System.IO.Directory.CreateTempSubdirectory("secretops-unbounded-").FullName;

    public UnboundedInputTests()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        System.IO.Directory.CreateDirectory(Path.Combine(directory, "a-directory"));
        // One byte past the largest limit (values and policies, 1 MiB), so past every limit.
        File.WriteAllBytes(Path.Combine(directory, "huge"), new byte[1024 * 1024 + 1]);
        using var mkfifo = Process.Start("mkfifo", [Path.Combine(directory, "fifo")]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    public static TheoryData<string, string> HostileFiles() => new()
    {
        { "/dev/zero", "is not a regular file (it is a character device)" },
        { "fifo", "is not a regular file (it is a FIFO" },
        { "a-directory", "is a directory" },
        { "huge", "larger than" },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void ConfigurationFile_ThatIsNotASmallRegularFile_IsRefusedAtOnce(string file, string reason)
    {
        var path = Resolve(file);
        var error = RefusedWithin(() => ConfigFile.Load(path));
        Assert.Contains($"configuration file '{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        if (reason == "larger than")
        {
            Assert.Contains("256 KiB", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void SecretFile_ThatIsNotASmallRegularFile_IsRefusedAtOnce(string file, string reason)
    {
        var path = Resolve(file);
        var error = RefusedWithin(() => Connector.ResolveCredential(new ConnectionRequest { SecretFile = path }));
        Assert.Contains($"secret file '{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void KeyFile_ThatIsNotASmallRegularFile_IsRefusedAtOnce_FromAFlagTheEnvironmentOrAProfile(string file, string reason)
    {
        var path = Resolve(file);
        Assert.Contains(reason, RefusedWithin(() => Connector.ResolveCredential(new ConnectionRequest { KeyFile = path })).Message, StringComparison.Ordinal);

        Environment.SetEnvironmentVariable("SECRETOPS_KEY_FILE", path);
        Assert.Contains($"key file '{path}'", RefusedWithin(() => Connector.ResolveCredential(new ConnectionRequest())).Message, StringComparison.Ordinal);
        Environment.SetEnvironmentVariable("SECRETOPS_KEY_FILE", null);

        var config = Path.Combine(directory, "config.yaml");
        File.WriteAllText(config, $"defaultProfile: p\nprofiles:\n  p:\n    keyFile: '{path}'\n");
        Environment.SetEnvironmentVariable("SECRETOPS_CONFIG", config);
        Assert.Contains(reason, RefusedWithin(() => Connector.ResolveCredential(new ConnectionRequest())).Message, StringComparison.Ordinal);
    }

    [Trait("Backend", "SqliteOnly")]
    [Fact]
    public void ProfileSecretFile_OnAnEndlessDevice_IsRefused_AndTheStoreIsUnchanged()
    {
        using var store = new TempStore();
        var before = RawDb.Fingerprint(store.Path);
        var config = Path.Combine(directory, "config.yaml");
        File.WriteAllText(config, $"defaultProfile: p\nprofiles:\n  p:\n    store: '{store.Path}'\n    secretFile: /dev/zero\n");
        Environment.SetEnvironmentVariable("SECRETOPS_CONFIG", config);
        var error = RefusedWithin(() =>
        {
            var resolved = Connector.Resolve(new ConnectionRequest());
            using var credential = Connector.ResolveCredential(new ConnectionRequest())!;
            using var session = Connector.Connect(resolved, credential, Surface.Api);
        });
        Assert.Contains("secret file '/dev/zero' is not a regular file (it is a character device)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, RawDb.Fingerprint(store.Path));
    }

    public static TheoryData<string> HostileNesting() => ["1 MiB of '['", "1 MiB of '{'", "block lists, 512 Ki levels on one line", "flow nesting inside a valid key"];

    private static string Nesting(string label, int size) => label switch
    {
        "1 MiB of '['" => new string('[', size),
        "1 MiB of '{'" => new string('{', size),
        "block lists, 512 Ki levels on one line" => string.Concat(Enumerable.Repeat("- ", size / 2)),
        _ => "namespaces:\n  - name: " + new string('[', size - 24),
    };

    [Theory]
    [MemberData(nameof(HostileNesting))]
    public void PolicyNesting_OfAMebibyte_IsRefusedBeforeItIsParsed(string label)
    {
        var yaml = Nesting(label, PolicyDocument.MaxLength);
        var error = RefusedWithin(() => PolicyDocument.Parse(yaml, "nested.yaml"));
        Assert.Contains("nested more than 64 deep", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(HostileNesting))]
    public void ConfigurationNesting_UpToItsLimit_IsRefusedBeforeItIsParsed(string label)
    {
        var path = Path.Combine(directory, "nested.yaml");
        File.WriteAllText(path, Nesting(label, ConfigFile.MaxLength));
        Assert.Contains("nested more than 64 deep", RefusedWithin(() => ConfigFile.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_64DeepIsAllowed_65IsNot()
    {
        Assert.Null(YamlGuard.FindProblem(new string('[', 64) + new string(']', 64), refuseAnchors: false));
        Assert.Contains("nested more than 64 deep", YamlGuard.FindProblem(new string('[', 65) + new string(']', 65), refuseAnchors: false));
        // Siblings do not add up: depth is what counts, not how many lists there are.
        Assert.Null(YamlGuard.FindProblem(string.Concat(Enumerable.Repeat("- " + new string('[', 60) + new string(']', 60) + "\n", 1000)), refuseAnchors: false));
    }

    private string Resolve(string file) => file.StartsWith('/') ? file : Path.Combine(directory, file);

    /// <summary>Runs <paramref name="action"/>, which must be refused as InvalidParameter before a runaway bound.</summary>
    private static InvalidParameterException RefusedWithin(Action action)
    {
        var run = Task.Run(() => Record.Exception(action));
        Assert.True(run.Wait(Runaway), $"Still running after {Runaway.TotalSeconds} s: a hang or an unbounded read.");
        var error = Assert.IsType<InvalidParameterException>(run.Result);
        Assert.Equal("SecretOps.InvalidParameter", error.ErrorId);
        return error;
    }

    public void Dispose()
    {
        foreach (var (name, value) in saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        System.IO.Directory.Delete(directory, recursive: true);
    }
}
