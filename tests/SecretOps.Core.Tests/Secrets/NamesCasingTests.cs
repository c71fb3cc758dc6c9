using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using SecretOps.Core.Secrets;

namespace SecretOps.Core.Tests.Secrets;

/// <summary>
/// Pins the rule docs/FORMAT.md §6.3 states for <c>secrets.name_key</c> and the names bound into a value's AD:
/// .NET's <c>ToUpperInvariant</c>, which is Unicode's simple uppercase mapping (UnicodeData.txt field 12) code point by
/// code point, except U+0131 (both modes) and U+017F (globalization-invariant mode only, as the CLI runs), over the Unicode
/// version of the casing data in use. A runtime or ICU whose casing differs in any other code point fails here, naming it.
/// </summary>
public sealed class NamesCasingTests
{
    /// <summary>The simple uppercase mappings Unicode 16.0.0 added to 15.0.0's (none was changed or removed).</summary>
    private static readonly (int Lower, int Upper)[] AddedInUnicode16 =
    [
        (0x019B, 0xA7DC), (0x0264, 0xA7CB), (0x1C8A, 0x1C89), (0xA7CD, 0xA7CC), (0xA7DB, 0xA7DA),
        .. Enumerable.Range(0, 22).Select(i => (0x10D70 + i, 0x10D50 + i)),
    ];

    /// <summary>FORMAT.md §6.3's exceptions: code points .NET leaves unchanged although Unicode gives them an uppercase.</summary>
    private static readonly int[] IcuExceptions = [0x0131];

    private static readonly int[] InvariantModeExceptions = [0x0131, 0x017F];

    private static Dictionary<int, int> Unicode15([CallerFilePath] string here = "")
    {
        var table = new Dictionary<int, int>();
        foreach (var line in File.ReadLines(Path.Combine(Path.GetDirectoryName(here)!, "UnicodeSimpleUppercase-15.0.0.txt")))
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

    private static bool InvariantGlobalization =>
        (AppContext.TryGetSwitch("System.Globalization.Invariant", out var on) && on)
        || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT") is "1" or "true";

    /// <summary>
    /// Checks <paramref name="upper"/> on every code point against UnicodeData's simple uppercase of the version the casing data
    /// implements (15.0 or 16.0, told by U+0264), with <paramref name="exceptions"/> unchanged. Returns that version.
    /// </summary>
    private static string AssertSimpleUppercaseExcept(Func<string, string> upper, int[] exceptions)
    {
        var expected = Unicode15();
        var version = upper("\u0264") == "\uA7CB" ? "16.0" : "15.0";
        if (version == "16.0")
        {
            foreach (var (lower, upperCase) in AddedInUnicode16)
            {
                expected[lower] = upperCase;
            }
        }

        var differences = new List<string>();
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            var text = char.ConvertFromUtf32(codePoint);
            var want = exceptions.Contains(codePoint) ? codePoint : expected.GetValueOrDefault(codePoint, codePoint);
            var got = upper(text);
            if (got.Length != text.Length || char.ConvertToUtf32(got, 0) != want)
            {
                differences.Add($"U+{codePoint:X4} -> {string.Join(" ", got.EnumerateRunes().Select(r => $"U+{r.Value:X4}"))}, expected U+{want:X4}");
            }
        }

        Assert.True(differences.Count == 0,
            $"Casing differs from Unicode {version} simple uppercase (with the exceptions of FORMAT.md §6.3) in {differences.Count} code points; "
            + "update FORMAT.md §6.3 and this test (a new Unicode version adds mappings): " + string.Join("; ", differences.Take(40)));
        return version;
    }

    [Fact]
    public void LookupKey_IsUnicodeSimpleUppercase_ExceptTheDocumentedCodePoints()
    {
        // This process runs as the PowerShell module and the API do (ICU), unless started in invariant mode as the CLI is.
        AssertSimpleUppercaseExcept(Names.LookupKey, InvariantGlobalization ? InvariantModeExceptions : IcuExceptions);
        // Unpaired surrogates (which names refuse) pass through; the result always has the input's length.
        Assert.Equal("\uD801X", Names.LookupKey("\uD801x"));
    }

    [Fact]
    public void CliCasingTables_AreUnicodeSimpleUppercase_ExceptDotlessIAndLongS()
    {
        // The CLI is built with InvariantGlobalization: ToUpperInvariant then uses the runtime's own tables, not ICU. Those are
        // reached here directly (an internal of System.Private.CoreLib; if it moves, find its replacement and keep this check).
        var casing = typeof(object).Assembly.GetType("System.Globalization.InvariantModeCasing")
            ?.GetMethod("ToUpper", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(string)])
            ?? throw new InvalidOperationException("System.Globalization.InvariantModeCasing.ToUpper(string) is gone from this runtime");
        var version = AssertSimpleUppercaseExcept(text => (string)casing.Invoke(null, [text])!, InvariantModeExceptions);
        // .NET 8 carries Unicode 15.0 data, .NET 10 Unicode 16.0 (FORMAT.md §6.3).
        if (Environment.Version.Major >= 10)
        {
            Assert.Equal("16.0", version);
        }
    }

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
    [InlineData("i\u0131\u0130", "I\u0131\u0130")]        // dotless ı stays; İ is already upper case
    [InlineData("аa", "АA")]                              // Cyrillic а is not Latin a
    public void LookupKey_Examples(string name, string key) => Assert.Equal(key, Names.LookupKey(name));

    [Fact]
    public void LongS_DependsOnTheGlobalizationMode()
    {
        // Whatever the Unicode versions, ICU (this process) and the CLI (invariant mode) disagree on ſ; FORMAT.md §6.3 says what follows.
        Assert.Equal(InvariantGlobalization ? "\u017F" : "S", Names.LookupKey("\u017F"));
    }
}
