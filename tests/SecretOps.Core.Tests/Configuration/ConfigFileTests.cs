using SecretOps.Core.Configuration;

namespace SecretOps.Core.Tests.Configuration;

public class ConfigFileTests
{
    [Fact]
    public void Profiles_Parse_AndTheDefaultIsSelected()
    {
        var config = ConfigFile.Parse(
            """
            defaultProfile: work
            profiles:
              work:
                store: /srv/secrets/team.db
                client: ci-runner
                namespace: prod
                secretFile: ~/.config/secretops/ci.secret
                environmentOverrides: true
                shared: true
                idleTimeoutMinutes: -1
              home:
                store: /home/me/s.db
            """, "test");
        var selected = config.Select(null)!;
        Assert.Equal("/srv/secrets/team.db", selected.Store);
        Assert.Equal("ci-runner", selected.Client);
        Assert.True(selected.EnvironmentOverrides);
        Assert.True(selected.Shared);
        Assert.Equal("/home/me/s.db", config.Select("HOME")!.Store);
        Assert.Throws<InvalidParameterException>(() => config.Select("nope"));
    }

    [Theory]
    [InlineData("profiles:\n  a:\n    stor: x\n", "stor")]
    [InlineData("profiles:\n  a:\n    shared: maybe\n", "line 3")]
    [InlineData("defaultProfile: missing\nprofiles: {}\n", "not one of the profiles")]
    [InlineData("profiles:\n  a:\n    store: x\n  a:\n    store: y\n", "line")]
    [InlineData("profiles: [1, 2", "line")]
    [InlineData("surprise: true\n", "surprise")]
    [InlineData("profiles:\n  a:\n    idleTimeoutMinutes: soon\n", "line 3, column 25: a value has the wrong type")]
    [InlineData("profiles:\n  a:\n    idleTimeoutMinutes: 99999999999\n", "a value has the wrong type")]
    [InlineData("profiles: 7\n", "line 1")]
    [InlineData("defaultProfile: [a, b]\n", "a value has the wrong shape")]
    [InlineData("profiles:\n  a:\n    store: [x, y]\n", "a value has the wrong shape")]
    [InlineData("profiles:\n  a:\n    store: !!binary aGVsbG8=\n", "line 3")]
    [InlineData("profiles:\n  a:\n    Store: x\n", "unknown key 'Store'")]
    [InlineData("--- {}\n--- {}\n", "line 2")]
    // Found by fuzzing (tests/SecretOps.Fuzz): YamlDotNet's InvalidOperationException and ArgumentException (afl on
    // the policy harness; configuration files share the parser), and profiles whose names differ only in case (an
    // ArgumentException from the dictionary; the config harness on its own near-valid seed, before afl ran).
    [InlineData("...\0", "not valid YAML")]
    [InlineData("!!+!", "not valid YAML")]
    [InlineData("- {a\n- b\n", "line 1")]
    [InlineData("profiles:\n  Work: {}\n  work: {}\n", "profiles 'Work' and 'work' differ only in case")]
    public void MalformedOrUnknown_IsRefusedWithWhereAndWhy(string yaml, string expected)
    {
        var error = Assert.Throws<InvalidParameterException>(() => ConfigFile.Parse(yaml, "config.yaml"));
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("config.yaml", error.Message);
    }

    [Fact]
    public void AliasBomb_IsRefusedBySize_BeforeParsing()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("secretops-config-").FullName, "config.yaml");
        try
        {
            File.WriteAllText(path, "a: &a [" + string.Join(",", Enumerable.Repeat("x", 10)) + "]\n"
                + string.Concat(Enumerable.Range(0, 20000).Select(i => $"b{i}: &b{i} [*a,*a,*a,*a]\n")));
            Assert.Contains("larger than", Assert.Throws<InvalidParameterException>(() => ConfigFile.Load(path)).Message);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void DirectoryOrNonUtf8File_IsRefused_NotIgnored()
    {
        using var directory = new SecretOps.Core.Tests.Store.TempDirectory("secretops-config-");
        var asDirectory = directory.File("config.yaml");
        Directory.CreateDirectory(asDirectory);
        Assert.Contains("is a directory", Assert.Throws<InvalidParameterException>(() => ConfigFile.Load(asDirectory)).Message, StringComparison.Ordinal);

        var binary = directory.File("binary.yaml");
        File.WriteAllBytes(binary, [0x70, 0x72, 0xFF, 0xFE, 0x00, 0x3A]);
        Assert.Contains("is not UTF-8 text", Assert.Throws<InvalidParameterException>(() => ConfigFile.Load(binary)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_IsAnEmptyConfiguration() =>
        Assert.Null(ConfigFile.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "config.yaml")).Select(null));
}
