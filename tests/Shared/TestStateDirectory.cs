using System.Runtime.CompilerServices;

namespace SecretOps.Tests.Shared;

/// <summary>
/// Every test process keeps the local verified heads of the stores it creates in a directory of its own, never in the
/// user's state directory: thousands of throwaway stores would otherwise leave a record each there. Child processes (the
/// CLI, pwsh) inherit it.
/// </summary>
internal static class TestStateDirectory
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SECRETOPS_STATE_DIR")))
        {
            var directory = Path.Combine(Path.GetTempPath(), $"secretops-test-heads-{Environment.ProcessId}");
            Directory.CreateDirectory(directory);
            Environment.SetEnvironmentVariable("SECRETOPS_STATE_DIR", directory);
        }
    }
}
