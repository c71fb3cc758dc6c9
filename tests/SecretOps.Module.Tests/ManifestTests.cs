namespace SecretOps.Module.Tests;

/// <summary>The shipped manifest against the compiled cmdlets.</summary>
public class ManifestTests
{
    private static string ManifestText => File.ReadAllText(Path.Combine(ModuleFolder.Path, "SecretOps.psd1"));

    [Fact]
    public void CmdletsToExport_IsExactlyTheCompiledCmdlets()
    {
        var exported = PowerShellDataFile.ReadStringArray(ManifestText, "CmdletsToExport");
        Assert.NotNull(exported);
        Assert.Equal(exported.Count, exported.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        var compiled = ModuleMetadata.Cmdlets.Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(compiled);

        var notExported = compiled.Except(exported, StringComparer.OrdinalIgnoreCase).Order().ToList();
        var notCompiled = exported.Except(compiled, StringComparer.OrdinalIgnoreCase).Order().ToList();
        Assert.True(notExported.Count == 0 && notCompiled.Count == 0,
            $"module/SecretOps.psd1 CmdletsToExport is out of date. Compiled but not exported: [{string.Join(", ", notExported)}]. Exported but not compiled: [{string.Join(", ", notCompiled)}].");
    }

    [Fact]
    public void CmdletsToExport_UsesTheCompiledSpelling()
    {
        var exported = PowerShellDataFile.ReadStringArray(ManifestText, "CmdletsToExport")!;
        foreach (var cmdlet in ModuleMetadata.Cmdlets)
        {
            Assert.Contains(cmdlet.Name, exported);
        }
    }

    [Theory]
    [InlineData("FunctionsToExport")]
    [InlineData("AliasesToExport")]
    [InlineData("VariablesToExport")]
    [InlineData("CmdletsToExport")]
    public void Exports_AreExplicit_NeverWildcards(string key)
    {
        var values = PowerShellDataFile.ReadStringArray(ManifestText, key);
        Assert.NotNull(values);
        Assert.DoesNotContain(values, v => v.Contains('*', StringComparison.Ordinal));
    }

    [Fact]
    public void FormatsToProcess_LoadsTheFormatFile_AndItShips()
    {
        var formats = PowerShellDataFile.ReadStringArray(ManifestText, "FormatsToProcess");
        Assert.Equal(["SecretOps.Format.ps1xml"], formats);
        Assert.True(File.Exists(Path.Combine(ModuleFolder.Path, "SecretOps.Format.ps1xml")));
    }

    [Fact]
    public void TheBuiltManifest_IsTheSourceManifest() =>
        Assert.Equal(File.ReadAllText(Path.Combine(ModuleMetadata.RepoRoot, "module", "SecretOps.psd1")), ManifestText);
}

/// <summary>The data-file reader the manifest tests rely on.</summary>
public class PowerShellDataFileTests
{
    [Fact]
    public void ReadsArrays_SingleStrings_AndCommaLists_IgnoringComments()
    {
        const string text = """
            # CmdletsToExport = @('Commented-Out')
            @{
                <# block
                   CmdletsToExport = 'Nope' #>
                RootModule = 'x.psm1'
                CmdletsToExport = @(
                    'Get-A', "Set-B" # trailing comment
                    'It''s-C'
                )
                FunctionsToExport = 'One', 'Two'
                AliasesToExport = @()
                PrivateData = @{ PSData = @{ CmdletsToExport = @('Nested-Only') } }
            }
            """;
        Assert.Equal(["Get-A", "Set-B", "It's-C"], PowerShellDataFile.ReadStringArray(text, "cmdletstoexport"));
        Assert.Equal(["One", "Two"], PowerShellDataFile.ReadStringArray(text, "FunctionsToExport"));
        Assert.Empty(PowerShellDataFile.ReadStringArray(text, "AliasesToExport")!);
        Assert.Null(PowerShellDataFile.ReadStringArray(text, "VariablesToExport"));
    }

    [Theory]
    [InlineData("@{ CmdletsToExport = @('a' ")]
    [InlineData("@{ CmdletsToExport = Get-Stuff }")]
    [InlineData("@{ CmdletsToExport = @('a', $b) }")]
    [InlineData("@{ CmdletsToExport = \"$x\" }")]
    public void RefusesWhatItDoesNotUnderstand(string text) =>
        Assert.Throws<FormatException>(() => PowerShellDataFile.ReadStringArray(text, "CmdletsToExport"));
}
