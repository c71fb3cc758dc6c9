namespace SecretOps.Module.Tests;

public class ModuleLayoutTests
{
    public static TheoryData<string> SupportedNativeLibraries() =>
    [
        "win-x64/native/e_sqlite3.dll", "win-arm64/native/e_sqlite3.dll",
        "linux-x64/native/libe_sqlite3.so", "linux-arm64/native/libe_sqlite3.so", "linux-musl-x64/native/libe_sqlite3.so",
        "osx-x64/native/libe_sqlite3.dylib", "osx-arm64/native/libe_sqlite3.dylib",
    ];

    [Theory]
    [InlineData("SecretOps.psd1")]
    [InlineData("SecretOps.psm1")]
    [InlineData("SecretOps.Format.ps1xml")]
    [InlineData("SecretOps.Extension/SecretOps.Extension.psd1")]
    [InlineData("SecretOps.Extension/SecretOps.Extension.psm1")]
    [InlineData("bin/SecretOps.dll")]
    [InlineData("bin/SecretOps.Core.dll")]
    [InlineData("bin/SecretOps.Module.dll")]
    [InlineData("bin/Microsoft.Data.Sqlite.dll")]
    [InlineData("bin/YamlDotNet.dll")]
    public void BuiltModuleFolder_HasTheFile(string relativePath) =>
        Assert.True(File.Exists(Path.Combine(ModuleFolder.Path, relativePath)), $"{relativePath} is missing from {ModuleFolder.Path}");

    [Theory]
    [MemberData(nameof(SupportedNativeLibraries))]
    public void BuiltModuleFolder_ShipsNativeSqliteForEverySupportedPlatform(string relativePath) =>
        Assert.True(File.Exists(Path.Combine(ModuleFolder.Bin, "runtimes", relativePath)), $"runtimes/{relativePath} is missing");

    [Fact]
    public void BuiltModuleFolder_ShipsOnlySupportedPlatforms_AndNoPowerShellAssembly()
    {
        var rids = Directory.GetDirectories(Path.Combine(ModuleFolder.Bin, "runtimes")).Select(Path.GetFileName).Order();
        Assert.Equal(["linux-arm64", "linux-musl-x64", "linux-x64", "osx-arm64", "osx-x64", "win-arm64", "win-x64"], rids);
        Assert.False(File.Exists(Path.Combine(ModuleFolder.Bin, "System.Management.Automation.dll")), "PowerShell's own assembly must come from the host, not from us");
    }
}
