using System.Reflection;

namespace SecretOps.Module.Tests;

internal static class ModuleFolder
{
    public static readonly string Path = typeof(ModuleFolder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ModuleFolder").Value!;

    public static string Bin => System.IO.Path.Combine(Path, "bin");
}
