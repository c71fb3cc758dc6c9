using System.Text.RegularExpressions;

namespace SecretOps.Module.Tests;

/// <summary>
/// Core's messages name no command of any surface: Core sets a <see cref="SecretOpsHint"/> and each surface words it
/// with its own command (the CLI in Invocation.cs, the cmdlets and the vault in ErrorMapping.cs). Read from the
/// sources, since neither surface's code can run here.
/// </summary>
public partial class SurfaceHintTests
{
    private static readonly string Src = Path.Combine(ModuleMetadata.RepoRoot, "src");

    /// <summary>Hints only one surface can take (the vault is the module's alone).</summary>
    private static readonly HashSet<SecretOpsHint> ModuleOnly = [SecretOpsHint.UnlockVault];

    public static TheoryData<string> Hints() => new(Enum.GetNames<SecretOpsHint>().Where(n => n != nameof(SecretOpsHint.None)));

    [Theory]
    [MemberData(nameof(Hints))]
    public void EveryHint_IsWordedByEverySurface(string hint)
    {
        var module = File.ReadAllText(Path.Combine(Src, "SecretOps.Module", "ErrorMapping.cs"));
        Assert.Contains($"SecretOpsHint.{hint}", module, StringComparison.Ordinal);
        if (!ModuleOnly.Contains(Enum.Parse<SecretOpsHint>(hint)))
        {
            var cli = File.ReadAllText(Path.Combine(Src, "SecretOps.Cli", "Invocation.cs"));
            Assert.Contains($"SecretOpsHint.{hint}", cli, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CoreMessages_NameNoSurfaceCommand()
    {
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Src, "SecretOps.Core"), "*.cs", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            foreach (var (line, number) in File.ReadLines(file).Select((l, i) => (l, i + 1)))
            {
                if (line.TrimStart().StartsWith("//", StringComparison.Ordinal) || !SurfaceCommand().IsMatch(line))
                {
                    continue;
                }

                // The exported policy's comment tells its reader how to apply it with either surface: file content, not a message.
                if (name == "PolicyDocument.cs" && line.TrimStart().StartsWith("\"# ", StringComparison.Ordinal))
                {
                    continue;
                }

                offenders.Add($"{Path.GetRelativePath(Src, file)}:{number}: {line.Trim()}");
            }
        }

        Assert.True(offenders.Count == 0,
            "Core messages must not name a surface's command; throw with a SecretOpsHint and word it in Invocation.cs and ErrorMapping.cs:\n" + string.Join("\n", offenders));
    }

    /// <summary>Inside a string: 'secretops …', a --long-option, a -PowerShellParameter, or a Verb-SecretOps… cmdlet.</summary>
    [GeneratedRegex("""
        "[^"]*('secretops\s|(^|[\s(,])--[a-z][a-z-]+|(^|[\s(,])-[A-Z][A-Za-z]+\b|\b[A-Z][a-z]+-Secret[A-Za-z]+)
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex SurfaceCommand();
}
