using System.Diagnostics;
using System.Reflection;
using SecretOps.Tests.Processes;

namespace SecretOps.Cli.Tests;

/// <summary>
/// A secret whose name has ſ (U+017F) or ƛ (U+019B) is the same secret to the CLI and to a program on Core's API running with
/// ICU, as pwsh and the module do (tests/SecretOps.ApiProbe); tests/Pester/CrossSurface.Tests.ps1 does the same with the module.
/// Before Core pinned one casing table (docs/FORMAT.md §6.3) the CLI (invariant globalization: ſ unchanged, and on .NET 10
/// ƛ → U+A7DC) and ICU (ſ → S, ƛ unchanged on Unicode 15) wrote different name keys: a secret made by one surface was missing
/// from the other, failed to decrypt there, or made it refuse the store's whole control log.
/// </summary>
public class CrossSurfaceNameTests
{
    private static readonly string ApiProbe = typeof(CrossSurfaceNameTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ApiProbeAssembly").Value!;

    /// <summary>A name, and the same name typed in another case.</summary>
    public static TheoryData<string, string> Names() => new()
    {
        { "ſecret-key", "ſECRET-KEY" },
        { "\u019Bambda", "\u019BAMBDA" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void CreatedByTheCli_IsReadAndChangedByTheApi(string name, string otherCase)
    {
        using var store = CliStore.Create();
        store.Set(name, "from the cli");

        Assert.Equal("from the cli", Api(store, "get", store.StorePath, "default", name));
        Assert.Equal("from the cli", Api(store, "get", store.StorePath, "default", otherCase));
        Assert.Equal([name], ApiNames(store));
        Assert.Equal("2", Api(store, "set", store.StorePath, "default", otherCase, "from the api").TrimEnd());

        Assert.Equal("from the api", store.Get(name));
        Assert.Equal([name], store.Names());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void CreatedByTheApi_IsReadAndChangedByTheCli(string name, string otherCase)
    {
        using var store = CliStore.Create();
        Assert.Equal("1", Api(store, "set", store.StorePath, "default", name, "from the api").TrimEnd());

        Assert.Equal("from the api", store.Get(otherCase));
        Assert.Equal([name], store.Names());
        store.Set(otherCase, "from the cli");
        Assert.Equal(2, store.Json("secret", "history", name).GetArrayLength());

        Assert.Equal("from the cli", Api(store, "get", store.StorePath, "default", name));
        Assert.Equal([name], ApiNames(store));
    }

    [Fact]
    public void NamesThatOnlyAnotherCasingWouldJoin_AreTwoSecrets_OnBothSurfaces()
    {
        using var store = CliStore.Create();
        store.Set("ſecret", "long s");
        // ſ has no uppercase by the rule, so SECRET is another secret; ſECRET is the first one.
        Assert.Equal("1", Api(store, "set", store.StorePath, "default", "SECRET", "capital s").TrimEnd());
        Assert.Equal("2", Api(store, "set", store.StorePath, "default", "ſECRET", "long s again").TrimEnd());
        // U+A7DC is ƛ's uppercase only since Unicode 16, after the rule's 15.0: another secret too.
        store.Set("\u019Bx", "lambda");
        Assert.Equal("1", Api(store, "set", store.StorePath, "default", "\uA7DCx", "capital lambda").TrimEnd());

        Assert.Equal("long s again", store.Get("ſecret"));
        Assert.Equal("capital s", store.Get("secret"));
        Assert.Equal("lambda", store.Get("\u019BX"));
        Assert.Equal("capital lambda", store.Get("\uA7DCX"));
        Assert.Equal("lambda", Api(store, "get", store.StorePath, "default", "\u019BX"));
        Assert.Equal("capital s", Api(store, "get", store.StorePath, "default", "Secret"));
        string[] all = ["SECRET", "ſecret", "\u019Bx", "\uA7DCx"];
        Assert.Equal(all.Order(StringComparer.Ordinal), store.Names().Order(StringComparer.Ordinal));
        Assert.Equal(all.Order(StringComparer.Ordinal), ApiNames(store).Order(StringComparer.Ordinal));
    }

    private static List<string> ApiNames(CliStore store) =>
        Api(store, "list", store.StorePath, "default").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Runs the API probe with the store's environment (the System client's passphrase, the state directories); its standard output.</summary>
    private static string Api(CliStore store, params string[] arguments)
    {
        var start = IsolatedProcess.StartInfo(["dotnet", "exec", ApiProbe, .. arguments], store.Environment);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"SecretOps.ApiProbe {string.Join(' ', arguments)} did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, $"SecretOps.ApiProbe {string.Join(' ', arguments)}: exit {process.ExitCode}; {stderr.Result}");
        return stdout.Result;
    }
}
