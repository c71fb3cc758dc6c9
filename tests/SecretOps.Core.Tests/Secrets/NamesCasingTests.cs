using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using SecretOps.Core.Secrets;
using SecretOps.Tests.Processes;

namespace SecretOps.Core.Tests.Secrets;

/// <summary>
/// Pins the rule docs/FORMAT.md §6.3 states for <c>secrets.name_key</c>, the names bound into a value's AD and the name keys
/// of the control log: Unicode 15.0's simple uppercase mapping (UnicodeData.txt field 12), code point by code point, except
/// U+0131 ı and U+017F ſ, which stay. Core carries the mappings itself (src/SecretOps.Core/Secrets/NameCasing.Table.cs,
/// generated here from UnicodeSimpleUppercase-15.0.0.txt), so no runtime, ICU, culture or globalization mode changes a name key.
/// </summary>
public sealed class NamesCasingTests
{
    /// <summary>The data file the rule and Core's table come from.</summary>
    public const string DataFile = "UnicodeSimpleUppercase-15.0.0.txt";

    /// <summary>Set to 1 to (re)write NameCasing.Table.cs from the data file instead of failing when it differs.</summary>
    public const string RegenerateVariable = "SECRETOPS_WRITE_CASING_TABLE";

    /// <summary>FORMAT.md §6.3's exceptions: code points left unchanged although Unicode 15.0 gives them an uppercase.</summary>
    private static readonly int[] Exceptions = [0x0131, 0x017F];

    private static string Here([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;

    private static string TableSourcePath => Path.GetFullPath(Path.Combine(Here(), "..", "..", "..", "src", "SecretOps.Core", "Secrets", "NameCasing.Table.cs"));

    /// <summary>The data file: every code point with a simple uppercase mapping in Unicode 15.0.0, and that mapping.</summary>
    private static SortedDictionary<int, int> Unicode15()
    {
        var table = new SortedDictionary<int, int>();
        foreach (var line in File.ReadLines(Path.Combine(Here(), DataFile)))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split(';');
            table[int.Parse(fields[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = int.Parse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        Assert.Equal(1450, table.Count);
        return table;
    }

    /// <summary>What §6.3 maps each code point to (those absent map to themselves).</summary>
    private static SortedDictionary<int, int> Rule()
    {
        var table = Unicode15();
        foreach (var exception in Exceptions)
        {
            Assert.True(table.Remove(exception));
        }

        return table;
    }

    [Fact]
    public void LookupKey_IsUnicode15SimpleUppercase_ExceptDotlessIAndLongS_OnEveryCodePoint()
    {
        var rule = Rule();
        var differences = new List<string>();
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            var want = rule.GetValueOrDefault(codePoint, codePoint);
            if (NameCasing.ToUpper(codePoint) != want)
            {
                differences.Add($"U+{codePoint:X4}: ToUpper(int) gives U+{NameCasing.ToUpper(codePoint):X4}, expected U+{want:X4}");
            }

            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            // Alone, then before a letter that changes and after one, so both the scan and the in-place pass see it.
            var text = char.ConvertFromUtf32(codePoint);
            var upper = char.ConvertFromUtf32(want);
            foreach (var (name, key) in new[] { (text, upper), (text + "a", upper + "A"), ("a" + text, "A" + upper) })
            {
                var got = Names.LookupKey(name);
                if (!string.Equals(got, key, StringComparison.Ordinal))
                {
                    differences.Add($"U+{codePoint:X4}: '{Hex(name)}' -> '{Hex(got)}', expected '{Hex(key)}'");
                }
            }
        }

        Assert.True(differences.Count == 0,
            $"Name keys differ from Unicode 15.0 simple uppercase minus U+0131 and U+017F (FORMAT.md §6.3) in {differences.Count} places: "
            + string.Join("; ", differences.Take(40)));
    }

    /// <summary>
    /// Core's table is exactly what <see cref="TableSource"/> makes of the data file, so the two cannot drift. After a change to
    /// either, regenerate it: <c>SECRETOPS_WRITE_CASING_TABLE=1 dotnet test tests/SecretOps.Core.Tests --filter
    /// "FullyQualifiedName~NamesCasingTests.GeneratedTable"</c>, then rebuild and run this class again.
    /// </summary>
    [Fact]
    public void GeneratedTable_IsTheDataFile()
    {
        var generated = TableSource(Rule());
        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1")
        {
            File.WriteAllText(TableSourcePath, generated, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }

        Assert.True(File.ReadAllText(TableSourcePath) == generated,
            $"{TableSourcePath} is not what {DataFile} gives: run this test with {RegenerateVariable}=1 to rewrite it, then rebuild.");
    }

    [Fact]
    public void LookupKey_KeepsUnpairedSurrogatesAndTheLength()
    {
        Assert.Equal("\uD801X", Names.LookupKey("\uD801x"));
        Assert.Equal("X\uDC28", Names.LookupKey("x\uDC28"));
        Assert.Equal("\uDC28\uD801", Names.LookupKey("\uDC28\uD801"));
        // A pair is one code point: DESERET SMALL LETTER LONG I → CAPITAL, still a pair.
        Assert.Equal("A\uD801\uDC00", Names.LookupKey("a\uD801\uDC28"));
        Assert.Equal("\uD801\uDC00\uD801", Names.LookupKey("\uD801\uDC28\uD801"));
    }

    [Theory]
    [InlineData("DB-PASSWORD")]
    [InlineData("ÉMILE/ſ/\u0131/ß")]
    [InlineData("")]
    public void LookupKey_OfANameThatIsItsOwnKey_IsTheSameString(string name) => Assert.Same(name, Names.LookupKey(name));

    [Theory]
    [InlineData("db-password", "DB-PASSWORD")]
    [InlineData("Émile", "ÉMILE")]
    [InlineData("straße", "STRAßE")]                      // ß has no simple uppercase: no "SS"
    [InlineData("ﬁle", "ﬁLE")]                            // nor do ligatures
    [InlineData("ŉ", "ŉ")]
    [InlineData("\u01C6\u01C5", "\u01C4\u01C4")]          // dž and the titlecase Dž both map to DŽ
    [InlineData("ςσ", "ΣΣ")]                              // final sigma too, with no context rule
    [InlineData("µ", "Μ")]                                // MICRO SIGN → GREEK CAPITAL MU
    [InlineData("ÿ", "Ÿ")]
    [InlineData("\u10D0", "\u1C90")]                      // Georgian Mkhedruli → Mtavruli
    [InlineData("\U00010428", "\U00010400")]              // Deseret, outside the BMP
    [InlineData("i\u0131\u0130", "I\u0131\u0130")]        // dotless ı stays; İ is already upper case; i is I in every culture
    [InlineData("ſecret", "ſECRET")]                      // long s stays: not "SECRET"
    [InlineData("\u019B\u0264\u1C8A\uA7CD\uA7DB", "\u019B\u0264\u1C8A\uA7CD\uA7DB")] // uppercases Unicode 16.0 added: not here
    [InlineData("\U00010D70\U00010D85", "\U00010D70\U00010D85")]                     // Garay, new in 16.0: unchanged
    [InlineData("аa", "АA")]                              // Cyrillic а is not Latin a
    public void LookupKey_Examples(string name, string key) => Assert.Equal(key, Names.LookupKey(name));

    /// <summary>
    /// The same name keys in a process in globalization-invariant mode (as the CLI runs), one with ICU (as pwsh and programs on the
    /// API run) and one with ICU and a Turkish culture, for names on which those disagree when asked to upper-case. Each child
    /// first shows that its own runtime casing is what that setting gives, so the comparison is not between three alike processes.
    /// </summary>
    [Fact]
    public void NameKeys_AreTheSame_InEveryGlobalizationModeAndCulture()
    {
        string[] names =
        [
            "ſecret", "\u0131", "i", "İstanbul", "\U00010D70\U00010D85", "\u019B", "\u0264", "straße", "ςσ", "db-password", "Émile", "ǅ", "µ", "ﬁ",
            "\uD801x", "k\u212A",
        ];
        var inProcess = names.Select(Names.LookupKey).Select(Hex).ToList();

        var invariant = ProbeNameKeys(names, invariantMode: true, culture: null);
        Assert.Equal("culture= ToUpperInvariant(ſ)=017F ToUpper(i)=0049", invariant.Description);
        var icu = ProbeNameKeys(names, invariantMode: false, culture: "en-US");
        Assert.Equal("culture=en-US ToUpperInvariant(ſ)=0053 ToUpper(i)=0049", icu.Description);
        var turkish = ProbeNameKeys(names, invariantMode: false, culture: "tr-TR");
        Assert.Equal("culture=tr-TR ToUpperInvariant(ſ)=0053 ToUpper(i)=0130", turkish.Description);

        Assert.Equal(inProcess, invariant.Keys);
        Assert.Equal(inProcess, icu.Keys);
        Assert.Equal(inProcess, turkish.Keys);
        Assert.Equal("017F 0045 0043 0052 0045 0054", inProcess[0]);
    }

    private static (string Description, List<string> Keys) ProbeNameKeys(string[] names, bool invariantMode, string? culture)
    {
        var probe = typeof(NamesCasingTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ApiProbeAssembly").Value!;
        string[] command = culture is null ? ["dotnet", "exec", probe, "name-keys"] : ["dotnet", "exec", probe, "name-keys", culture];
        var start = IsolatedProcess.StartInfo(command, new Dictionary<string, string?> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = invariantMode ? "1" : "0" });
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(string.Concat(names.Select(name => Hex(name) + "\n")));
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the probe did not finish in a minute");
        Assert.True(process.ExitCode == 0, $"the probe failed: {stderr.Result}");
        var lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (lines[0], lines.Skip(1).ToList());
    }

    [Fact]
    public void Comparer_IsTheNameKeys()
    {
        Assert.True(NameCasing.Comparer.Equals("émile", "ÉMILE"));
        Assert.Equal(NameCasing.Comparer.GetHashCode("émile"), NameCasing.Comparer.GetHashCode("ÉMILE"));
        Assert.False(NameCasing.Comparer.Equals("ſecret", "secret"));
        Assert.False(NameCasing.Comparer.Equals("\u019B", "\uA7DC"));
        Assert.False(NameCasing.Comparer.Equals("ß", "SS"));
        Assert.False(NameCasing.Comparer.Equals("a", null));
        Assert.True(NameCasing.Comparer.Equals(null, null));
    }

    /// <summary>
    /// The C# of NameCasing.Table.cs for <paramref name="rule"/>: rows (first, last, step, delta) covering every mapping, where
    /// the code points first, first + step, … last map to themselves + delta. Sorted by first and never overlapping (a row with
    /// step 2 only skips code points without a mapping), which is what NameCasing.ToUpper(int)'s binary search relies on.
    /// </summary>
    private static string TableSource(SortedDictionary<int, int> rule)
    {
        var rows = new List<(int First, int Last, int Step, int Delta)>();
        foreach (var (from, to) in rule)
        {
            // A mapping may not change how many UTF-16 code units the name has, nor produce a surrogate.
            Assert.True(from > 0xFFFF == to > 0xFFFF && to is < 0xD800 or > 0xDFFF, $"U+{from:X4} -> U+{to:X4}");
            var delta = to - from;
            if (rows.Count > 0 && rows[^1] is var last && last.Delta == delta
                && (last.First == last.Last ? from - last.Last is 1 or 2 : from - last.Last == last.Step))
            {
                rows[^1] = (last.First, from, from - last.Last, delta);
                continue;
            }

            rows.Add((from, from, 1, delta));
        }

        var source = new StringBuilder();
        source.Append("""
            // <auto-generated>
            // Unicode 15.0.0's simple uppercase mappings (UnicodeData.txt field 12) without U+0131 and U+017F: docs/FORMAT.md §6.3.
            // Generated from tests/SecretOps.Core.Tests/Secrets/UnicodeSimpleUppercase-15.0.0.txt by NamesCasingTests, which fails
            // when this file is not what the data file gives. Do not edit. To regenerate (after changing the data file or the
            // generator, NamesCasingTests.TableSource):
            //   SECRETOPS_WRITE_CASING_TABLE=1 dotnet test tests/SecretOps.Core.Tests --filter "FullyQualifiedName~NamesCasingTests.GeneratedTable"
            // </auto-generated>
            namespace SecretOps.Core.Secrets;

            internal static partial class NameCasing
            {
                /// <summary>
                /// Rows of four: first, last, step, delta. The code points first, first + step, … up to last map to themselves + delta;
                /// every other code point maps to itself. Sorted by first; rows never overlap.
                /// </summary>
                private static ReadOnlySpan<int> Ranges => new int[]
                {

            """);
        foreach (var (first, last, step, delta) in rows)
        {
            source.Append(CultureInfo.InvariantCulture, $"        0x{first:X4}, 0x{last:X4}, {step}, {delta},\n");
        }

        source.Append("    };\n}\n");
        return source.ToString().ReplaceLineEndings("\n");
    }

    private static string Hex(string text) => string.Join(" ", text.Select(c => $"{(int)c:X4}"));
}
