using System.Runtime.Loader;

namespace SecretOps.Module.Tests;

public class LoadContextTests
{
    [Fact]
    public void ModuleAssembly_LoadsInItsOwnContext_BesideAnotherYamlDotNet_AndSqliteRunsFromTheBundledNativeLibrary()
    {
        // Another module got there first: YamlDotNet 15 in the default context.
        var foreignYaml = typeof(YamlDotNet.Serialization.DeserializerBuilder).Assembly;
        Assert.Equal(15, foreignYaml.GetName().Version!.Major);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(foreignYaml));

        var moduleAssembly = LoadContext.Initialize(ModuleFolder.Bin);
        var context = AssemblyLoadContext.GetLoadContext(moduleAssembly)!;
        Assert.Equal("SecretOps", context.Name);

        // Ours is the version we ship, in our context, and Core really uses it: parse a configuration through it.
        var ownYaml = context.LoadFromAssemblyName(new System.Reflection.AssemblyName("YamlDotNet"));
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(ownYaml));
        Assert.Equal(16, ownYaml.GetName().Version!.Major);
        var core = context.LoadFromAssemblyName(new System.Reflection.AssemblyName("SecretOps.Core"));
        var configFile = core.GetType("SecretOps.Core.Configuration.ConfigFile", throwOnError: true)!;
        var parsed = configFile.GetMethod("Parse")!.Invoke(null, ["defaultProfile: p\nprofiles:\n  p:\n    store: /x.db\n", "test"]);
        Assert.NotNull(parsed);

        var sqlite = context.LoadFromAssemblyName(new System.Reflection.AssemblyName("Microsoft.Data.Sqlite"));
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(sqlite));
        var connectionType = sqlite.GetType("Microsoft.Data.Sqlite.SqliteConnection", throwOnError: true)!;
        using var connection = (System.Data.Common.DbConnection)Activator.CreateInstance(connectionType, "Data Source=:memory:")!;
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select sqlite_version()";
        Assert.Matches(@"^3\.\d+\.\d+$", (string)command.ExecuteScalar()!);

        // Nothing of ours but the shared assembly, and none of our dependencies, is in the default context;
        // the only YamlDotNet there is the other module's.
        var leaked = AssemblyLoadContext.Default.Assemblies
            .Where(a => a != foreignYaml)
            .Select(a => a.GetName().Name!)
            .Where(n => n.StartsWith("SecretOps.", StringComparison.Ordinal) && n is not ("SecretOps.Module.Tests")
                        || n.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal)
                        || n.StartsWith("SQLitePCLRaw", StringComparison.Ordinal)
                        || n == "YamlDotNet");
        Assert.Empty(leaked);
    }

    [Fact]
    public void NativeSqlitePath_FindsThisPlatformsLibrary() =>
        Assert.True(File.Exists(LoadContext.NativeSqlitePath(ModuleFolder.Bin)));
}
