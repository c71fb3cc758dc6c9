using System.Runtime.Loader;

namespace SecretOps.Module.Tests;

public class LoadContextTests
{
    [Fact]
    public void ModuleAssembly_LoadsInItsOwnContext_AndSqliteRunsFromTheBundledNativeLibrary()
    {
        var moduleAssembly = LoadContext.Initialize(ModuleFolder.Bin);
        var context = AssemblyLoadContext.GetLoadContext(moduleAssembly)!;
        Assert.Equal("SecretOps", context.Name);

        var sqlite = context.LoadFromAssemblyName(new System.Reflection.AssemblyName("Microsoft.Data.Sqlite"));
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(sqlite));
        var connectionType = sqlite.GetType("Microsoft.Data.Sqlite.SqliteConnection", throwOnError: true)!;
        using var connection = (System.Data.Common.DbConnection)Activator.CreateInstance(connectionType, "Data Source=:memory:")!;
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select sqlite_version()";
        Assert.Matches(@"^3\.\d+\.\d+$", (string)command.ExecuteScalar()!);

        // Nothing of ours but the shared assembly, and none of our dependencies, is in the default context.
        var leaked = AssemblyLoadContext.Default.Assemblies
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
