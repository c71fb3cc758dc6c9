using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace SecretOps;

/// <summary>
/// The assembly load context that isolates SecretOps' engine and its dependencies (SQLite, YamlDotNet)
/// from other modules loaded in the same PowerShell process. The module's psm1 calls
/// <see cref="Initialize()"/> and imports the returned assembly.
/// </summary>
public sealed class LoadContext : AssemblyLoadContext
{
    /// <summary>Environment variable naming a native SQLite library to use instead of the bundled one.</summary>
    public const string NativeSqliteOverrideVariable = "SECRETOPS_NATIVE_SQLITE";

    private const string ModuleAssemblyName = "SecretOps.Module";
    private static readonly object Gate = new();
    private static LoadContext? instance;
    private static Assembly? moduleAssembly;

    private readonly string assemblyDirectory;
    private readonly AssemblyName sharedAssemblyName = typeof(LoadContext).Assembly.GetName();
    private IntPtr sqliteHandle;

    private LoadContext(string assemblyDirectory)
        : base(name: "SecretOps", isCollectible: false)
    {
        this.assemblyDirectory = assemblyDirectory;
    }

    /// <summary>The directory the isolated assemblies are loaded from.</summary>
    public string AssemblyDirectory => assemblyDirectory;

    /// <summary>
    /// Creates the context once per process (further calls return the same assembly) and loads the
    /// module assembly from the directory beside this assembly.
    /// </summary>
    public static Assembly Initialize() =>
        Initialize(Path.GetDirectoryName(typeof(LoadContext).Assembly.Location)
                   ?? throw new InvalidOperationException("SecretOps.dll has no location on disk."));

    /// <summary>Creates the context for <paramref name="directory"/> and loads the module assembly.</summary>
    public static Assembly Initialize(string directory)
    {
        lock (Gate)
        {
            if (moduleAssembly is not null)
            {
                return moduleAssembly;
            }

            instance = new LoadContext(Path.GetFullPath(directory));
            moduleAssembly = instance.LoadFromAssemblyName(new AssemblyName(ModuleAssemblyName));
            return moduleAssembly;
        }
    }

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The shared assembly lives in the default context so its types are the same on both sides.
        if (AssemblyName.ReferenceMatchesDefinition(sharedAssemblyName, assemblyName))
        {
            return typeof(LoadContext).Assembly;
        }

        // Only what ships in our folder loads here; everything else (System.Management.Automation,
        // SecretManagement) falls back to the default context and PowerShell's own copies.
        var candidate = Path.Combine(assemblyDirectory, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        if (unmanagedDllName != "e_sqlite3")
        {
            return IntPtr.Zero;
        }

        lock (Gate)
        {
            if (sqliteHandle == IntPtr.Zero)
            {
                var path = NativeSqlitePath(assemblyDirectory);
                sqliteHandle = path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
            }

            return sqliteHandle;
        }
    }

    /// <summary>
    /// The bundled native SQLite library for this platform under <c>runtimes/&lt;rid&gt;/native</c>,
    /// or the override from <see cref="NativeSqliteOverrideVariable"/>; null when none exists.
    /// </summary>
    public static string? NativeSqlitePath(string assemblyDirectory)
    {
        var overridePath = Environment.GetEnvironmentVariable(NativeSqliteOverrideVariable);
        if (!string.IsNullOrEmpty(overridePath))
        {
            return overridePath;
        }

        var fileName = OperatingSystem.IsWindows() ? "e_sqlite3.dll"
            : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib"
            : "libe_sqlite3.so";
        foreach (var rid in CandidateRuntimeIdentifiers())
        {
            var path = Path.Combine(assemblyDirectory, "runtimes", rid, "native", fileName);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static IEnumerable<string> CandidateRuntimeIdentifiers()
    {
        yield return RuntimeInformation.RuntimeIdentifier;
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        if (os == "linux" && IsMusl())
        {
            yield return $"linux-musl-{architecture}";
        }

        yield return $"{os}-{architecture}";
    }

    private static bool IsMusl() =>
        File.Exists("/lib/ld-musl-x86_64.so.1") || File.Exists("/lib/ld-musl-aarch64.so.1");
}
