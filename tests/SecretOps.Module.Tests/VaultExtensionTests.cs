using System.Text.RegularExpressions;

namespace SecretOps.Module.Tests;

/// <summary>
/// The SecretManagement extension as SecretManagement sees it, checked on the built module folder without
/// PowerShell: the nested module's name and exports, each vault function's parameter names (exactly those
/// SecretManagement splats, none mandatory), the parent manifest exporting none of them, and every file the
/// manifests reference being present.
/// </summary>
public class VaultExtensionTests
{
    /// <summary>reference/secretmanagement-contract.md §2: the parameters SecretManagement splats.</summary>
    public static readonly Dictionary<string, string[]> Contract = new(StringComparer.Ordinal)
    {
        ["Get-Secret"] = ["Name", "VaultName", "AdditionalParameters"],
        ["Set-Secret"] = ["Name", "Secret", "VaultName", "AdditionalParameters", "Metadata"],
        ["Remove-Secret"] = ["Name", "VaultName", "AdditionalParameters"],
        ["Get-SecretInfo"] = ["Filter", "VaultName", "AdditionalParameters"],
        ["Test-SecretVault"] = ["VaultName", "AdditionalParameters"],
        ["Set-SecretInfo"] = ["Name", "Metadata", "VaultName", "AdditionalParameters"],
        ["Unlock-SecretVault"] = ["Password", "VaultName", "AdditionalParameters"],
        ["Unregister-SecretVault"] = ["VaultName", "AdditionalParameters"],
    };

    private static string ExtensionFolder => Path.Combine(ModuleFolder.Path, "SecretOps.Extension");

    private static string ExtensionManifest => File.ReadAllText(Path.Combine(ExtensionFolder, "SecretOps.Extension.psd1"));

    private static string ExtensionScript => File.ReadAllText(Path.Combine(ExtensionFolder, "SecretOps.Extension.psm1"));

    private static string ParentManifest => File.ReadAllText(Path.Combine(ModuleFolder.Path, "SecretOps.psd1"));

    public static TheoryData<string> VaultFunctions() => new(Contract.Keys);

    [Fact]
    public void TheExtensionFolderAndManifest_AreNamedAsSecretManagementLooksThemUp()
    {
        Assert.True(Directory.Exists(ExtensionFolder));
        Assert.Contains("SecretOps.Extension", Directory.GetDirectories(ModuleFolder.Path).Select(Path.GetFileName));
        Assert.Contains("SecretOps.Extension.psd1", Directory.GetFiles(ExtensionFolder).Select(Path.GetFileName));
        Assert.Equal(["SecretOps.Extension.psm1"], PowerShellDataFile.ReadStringArray(ExtensionManifest, "RootModule"));
    }

    [Fact]
    public void TheExtensionManifest_ExportsExactlyTheVaultFunctions()
    {
        var exported = PowerShellDataFile.ReadStringArray(ExtensionManifest, "FunctionsToExport");
        Assert.NotNull(exported);
        Assert.Equal(Contract.Keys.Order(StringComparer.Ordinal), exported.Order(StringComparer.Ordinal));
        Assert.Empty(PowerShellDataFile.ReadStringArray(ExtensionManifest, "CmdletsToExport")!);
        Assert.Empty(PowerShellDataFile.ReadStringArray(ExtensionManifest, "AliasesToExport")!);
        Assert.Empty(PowerShellDataFile.ReadStringArray(ExtensionManifest, "VariablesToExport")!);
    }

    [Fact]
    public void TheScript_ExportsExactlyTheVaultFunctions()
    {
        var exportCall = Regex.Match(ExtensionScript, @"Export-ModuleMember\s+-Function\s+@\((?<names>[^)]*)\)");
        Assert.True(exportCall.Success, "The psm1 should end with Export-ModuleMember -Function @( … ).");
        var names = Regex.Matches(exportCall.Groups["names"].Value, "'([^']+)'").Select(m => m.Groups[1].Value);
        Assert.Equal(Contract.Keys.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(VaultFunctions))]
    public void EachVaultFunction_HasExactlyTheContractsParameters_NoneMandatory(string name)
    {
        var functions = PowerShellScript.Functions(ExtensionScript);
        Assert.True(functions.TryGetValue(name, out var function), $"The psm1 defines no function {name}.");
        Assert.Equal(Contract[name].Order(StringComparer.Ordinal), function.Parameters.Order(StringComparer.Ordinal));
        Assert.DoesNotMatch(new Regex("Mandatory", RegexOptions.IgnoreCase), function.ParamBlock);
        Assert.DoesNotMatch(new Regex(@"\bthrow\b", RegexOptions.IgnoreCase), function.Body);
    }

    [Fact]
    public void VaultFunctionsAreDefinedOnce()
    {
        var names = Regex.Matches(ExtensionScript, @"(?im)^\s*function\s+([\w-]+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void OnlyALockedVaultThrows_AndOnlyAsSecretManagementsPasswordRequiredException()
    {
        var throws = Regex.Matches(ExtensionScript, @"(?im)^\s*throw\b.*$").Select(m => m.Value.Trim()).ToList();
        Assert.Equal(2, throws.Count);
        Assert.Contains("'Microsoft.PowerShell.SecretManagement.PasswordRequiredException' -as [type]", ExtensionScript, StringComparison.Ordinal);
        // SecretManagement's types are resolved when called, never as literals SecretOps would need at import.
        Assert.DoesNotContain("[Microsoft.PowerShell.SecretManagement.", ExtensionScript, StringComparison.Ordinal);
    }

    [Fact]
    public void TheScript_CallsOnlyMethodsTheModuleAssemblyHas_WithMatchingArity()
    {
        var type = ModuleMetadata.ModuleAssembly.GetType("SecretOps.Module.VaultCommands");
        Assert.NotNull(type);
        Assert.Contains("GetType('SecretOps.Module.VaultCommands', $true)", ExtensionScript, StringComparison.Ordinal);
        var calls = Regex.Matches(ExtensionScript, @"\$commands::(?<method>\w+)\((?<args>[^)]*)\)");
        Assert.Equal(Contract.Count, calls.Count);
        foreach (Match call in calls)
        {
            var method = type.GetMethods().SingleOrDefault(m => m.IsStatic && m.IsPublic && m.Name == call.Groups["method"].Value);
            Assert.True(method is not null, $"VaultCommands has no public static {call.Groups["method"].Value}.");
            var arguments = call.Groups["args"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(method.GetParameters().Length, arguments.Length);
        }
    }

    [Fact]
    public void TheParentManifest_ListsTheExtension_AndExportsNoVaultFunction()
    {
        var nested = PowerShellDataFile.ReadStringArray(ParentManifest, "NestedModules");
        Assert.NotNull(nested);
        Assert.Contains(nested, n => n.TrimStart('.', '/', '\\') == "SecretOps.Extension");
        foreach (var key in new[] { "FunctionsToExport", "CmdletsToExport", "AliasesToExport" })
        {
            var exported = PowerShellDataFile.ReadStringArray(ParentManifest, key) ?? [];
            Assert.DoesNotContain(exported, e => Contract.ContainsKey(e) || Contract.Keys.Any(k => string.Equals(k, e, StringComparison.OrdinalIgnoreCase)));
        }

        Assert.Empty(PowerShellDataFile.ReadStringArray(ParentManifest, "FunctionsToExport")!);
    }

    [Fact]
    public void TheBuiltExtension_IsTheSourceExtension()
    {
        foreach (var file in new[] { "SecretOps.Extension.psd1", "SecretOps.Extension.psm1" })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(ModuleMetadata.RepoRoot, "module", "SecretOps.Extension", file)), File.ReadAllText(Path.Combine(ExtensionFolder, file)));
        }
    }

    [Theory]
    [InlineData("SecretOps.psd1")]
    [InlineData("SecretOps.Extension/SecretOps.Extension.psd1")]
    public void EveryFileAManifestReferences_IsInTheBuiltFolder(string manifestPath)
    {
        var manifest = Path.Combine(ModuleFolder.Path, manifestPath);
        var folder = Path.GetDirectoryName(manifest)!;
        var text = File.ReadAllText(manifest);
        var referenced = 0;
        foreach (var key in new[] { "RootModule", "FormatsToProcess", "TypesToProcess", "ScriptsToProcess", "RequiredAssemblies", "FileList" })
        {
            foreach (var file in PowerShellDataFile.ReadStringArray(text, key) ?? [])
            {
                referenced++;
                var path = Path.GetFullPath(Path.Combine(folder, file.Replace('\\', '/')));
                Assert.True(File.Exists(path), $"{manifestPath} {key} names '{file}', which is not in the built module folder.");
            }
        }

        foreach (var module in PowerShellDataFile.ReadStringArray(text, "NestedModules") ?? [])
        {
            referenced++;
            var path = Path.GetFullPath(Path.Combine(folder, module.Replace('\\', '/')));
            var name = Path.GetFileName(path);
            Assert.True(File.Exists(path) || File.Exists(Path.Combine(path, name + ".psd1")) || File.Exists(Path.Combine(path, name + ".psm1")),
                $"{manifestPath} NestedModules names '{module}', which is not in the built module folder.");
        }

        Assert.True(referenced > 0);
    }

    [Fact]
    public void TheExtensionScript_LoadsTheEngineFromTheModulesBinFolder_ThroughTheSharedLoadContext()
    {
        Assert.Contains("[SecretOps.LoadContext]::Initialize($binPath)", ExtensionScript, StringComparison.Ordinal);
        Assert.Contains("'bin'", ExtensionScript, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(ModuleFolder.Bin, "SecretOps.dll")));
        // Never Import-Module -Assembly here (SecretManagement resolves SecretOps.Extension\<function>).
        Assert.DoesNotContain("Import-Module", ExtensionScript, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ScriptParser_ReadsFunctionsAndParameters()
    {
        const string script = """
            # function Commented-Out { param($X) }
            function Get-A {
                [CmdletBinding()]
                param(
                    [Parameter()] [string] $Name = 'x(y)',
                    [hashtable]
                    $AdditionalParameters, [ValidateSet('a', 'b')] $Kind
                )
                if ($true) { "{ not a brace" }
            }

            function Get-B { param([object] $Secret) $Secret }
            """;
        var functions = PowerShellScript.Functions(script);
        Assert.Equal(["Get-A", "Get-B"], functions.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["Name", "AdditionalParameters", "Kind"], functions["Get-A"].Parameters);
        Assert.Equal(["Secret"], functions["Get-B"].Parameters);
    }
}

/// <summary>
/// Just enough of a PowerShell reader for the extension script: <c>function Name { [CmdletBinding()] param(…) … }</c>,
/// with comments and quoted strings skipped when matching braces and parentheses, and the parameter names
/// taken from the top level of the param block (attributes and default values skipped).
/// </summary>
internal static class PowerShellScript
{
    public static Dictionary<string, ScriptFunction> Functions(string text)
    {
        var code = Blank(text);
        var result = new Dictionary<string, ScriptFunction>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in Regex.Matches(code, @"(?im)^\s*function\s+(?<name>[\w-]+)\s*\{"))
        {
            var open = match.Index + match.Length - 1;
            var close = Matching(code, open, '{', '}');
            var body = code[(open + 1)..close];
            var param = Regex.Match(body, @"(?i)\bparam\s*\(");
            if (!param.Success)
            {
                result[match.Groups["name"].Value] = new ScriptFunction([], "", text.Substring(open + 1, close - open - 1));
                continue;
            }

            var paramOpen = param.Index + param.Length - 1;
            var paramClose = Matching(body, paramOpen, '(', ')');
            var block = body[(paramOpen + 1)..paramClose];
            result[match.Groups["name"].Value] = new ScriptFunction(ParameterNames(block), text.Substring(open + 1 + paramOpen + 1, paramClose - paramOpen - 1), text.Substring(open + 1, close - open - 1));
        }

        return result;
    }

    /// <summary>The variables at nesting depth 0 of a param block that start a parameter (first after a comma or the start).</summary>
    private static List<string> ParameterNames(string block)
    {
        var names = new List<string>();
        var depth = 0;
        var expectName = true;
        for (var i = 0; i < block.Length; i++)
        {
            var c = block[i];
            if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}')
            {
                depth--;
            }
            else if (depth == 0 && c == ',')
            {
                expectName = true;
            }
            else if (depth == 0 && c == '$' && expectName)
            {
                var name = Regex.Match(block[(i + 1)..], @"^[\w]+").Value;
                names.Add(name);
                expectName = false;
                i += name.Length;
            }
        }

        return names;
    }

    private static int Matching(string code, int open, char opening, char closing)
    {
        var depth = 0;
        for (var i = open; i < code.Length; i++)
        {
            if (code[i] == opening)
            {
                depth++;
            }
            else if (code[i] == closing && --depth == 0)
            {
                return i;
            }
        }

        throw new FormatException($"Unbalanced '{opening}' at offset {open}.");
    }

    /// <summary>The text with comments and string contents replaced by spaces (same length, same offsets).</summary>
    private static string Blank(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] == '<' && i + 1 < chars.Length && chars[i + 1] == '#')
            {
                var end = text.IndexOf("#>", i + 2, StringComparison.Ordinal);
                end = end < 0 ? chars.Length : end + 2;
                Fill(chars, i, end);
                i = end - 1;
            }
            else if (chars[i] == '#')
            {
                var end = text.IndexOf('\n', i);
                end = end < 0 ? chars.Length : end;
                Fill(chars, i, end);
                i = end - 1;
            }
            else if (chars[i] is '\'' or '"')
            {
                var quote = chars[i];
                var end = i + 1;
                while (end < chars.Length && (chars[end] != quote || (quote == '"' && chars[end - 1] == '`')))
                {
                    end++;
                }

                Fill(chars, i + 1, end);
                i = end;
            }
        }

        return new string(chars);
    }

    private static void Fill(char[] chars, int start, int end)
    {
        for (var i = start; i < end && i < chars.Length; i++)
        {
            if (chars[i] != '\n')
            {
                chars[i] = ' ';
            }
        }
    }
}

internal sealed record ScriptFunction(IReadOnlyList<string> Parameters, string ParamBlock, string Body);
