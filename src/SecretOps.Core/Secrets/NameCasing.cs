using System.Text;

namespace SecretOps.Core.Secrets;

/// <summary>
/// The one way names are upper-cased wherever their case is ignored (docs/FORMAT.md §6.3): each code point replaced by its
/// Unicode 15.0 simple uppercase mapping (UnicodeData.txt field 12), except U+0131 ı and U+017F ſ, which stay as they are.
/// The mappings are compiled in (NameCasing.Table.cs), so the result is the same on every surface, runtime, culture and
/// globalization mode; nothing here asks ICU or the runtime's casing data.
/// </summary>
internal static partial class NameCasing
{
    /// <summary>Compares names as the rule makes them equal: ordinally, after upper-casing both.</summary>
    public static readonly IEqualityComparer<string> Comparer = new NameKeyComparer();

    /// <summary>
    /// <paramref name="name"/> upper-cased; the same instance when nothing changes (every read does this, so an upper-case
    /// ASCII name costs two vectorized scans and no allocation). Always as many UTF-16 code units as the input; unpaired
    /// surrogates stay.
    /// </summary>
    public static string ToUpper(string name)
    {
        var text = name.AsSpan();
        var nonAscii = text.IndexOfAnyExceptInRange('\0', '\u007F');
        if (nonAscii < 0)
        {
            return text.IndexOfAnyInRange('a', 'z') < 0 ? name : string.Create(name.Length, name, static (upper, ascii) => Ascii.ToUpper(ascii, upper, out _));
        }

        return text[..nonAscii].IndexOfAnyInRange('a', 'z') < 0 && !ChangesFrom(name, nonAscii)
            ? name
            : string.Create(name.Length, name, static (upper, source) => Upper(source, upper));
    }

    /// <summary>True when the two names are one name by the rule.</summary>
    public static bool SameName(string? a, string? b) =>
        a is null || b is null ? ReferenceEquals(a, b) : a.Length == b.Length && string.Equals(ToUpper(a), ToUpper(b), StringComparison.Ordinal);

    /// <summary>The simple uppercase of <paramref name="codePoint"/> by the rule (itself when it has none).</summary>
    public static int ToUpper(int codePoint)
    {
        // Ranges holds (first, last, step, delta) rows sorted by first, never overlapping: find the last row starting at or
        // before the code point.
        var ranges = Ranges;
        int low = 0, high = (ranges.Length / 4) - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (ranges[middle * 4] <= codePoint)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        if (high < 0)
        {
            return codePoint;
        }

        var row = ranges.Slice(high * 4, 4);
        return codePoint <= row[1] && (codePoint - row[0]) % row[2] == 0 ? codePoint + row[3] : codePoint;
    }

    // Whether any code point from start on (where one begins) changes.
    private static bool ChangesFrom(string name, int start)
    {
        for (var i = start; i < name.Length; i++)
        {
            var c = name[i];
            if (c < 0x80)
            {
                if (char.IsAsciiLetterLower(c))
                {
                    return true;
                }
            }
            else if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                var codePoint = char.ConvertToUtf32(c, name[++i]);
                if (ToUpper(codePoint) != codePoint)
                {
                    return true;
                }
            }
            else if (!char.IsSurrogate(c) && ToUpper(c) != c)
            {
                return true;
            }
        }

        return false;
    }

    // Writes name upper-cased to upper (as long): runs of ASCII at once, the rest code point by code point from the table.
    private static void Upper(ReadOnlySpan<char> name, Span<char> upper)
    {
        var i = 0;
        while (i < name.Length)
        {
            var c = name[i];
            if (c < 0x80)
            {
                var run = name[i..].IndexOfAnyExceptInRange('\0', '\u007F');
                run = run < 0 ? name.Length - i : run;
                Ascii.ToUpper(name.Slice(i, run), upper.Slice(i, run), out _);
                i += run;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                // The table maps supplementary code points only to supplementary ones (the table's test checks), so a pair stays a pair.
                var codePoint = ToUpper(char.ConvertToUtf32(c, name[i + 1]));
                upper[i] = (char)(0xD800 + ((codePoint - 0x10000) >> 10));
                upper[i + 1] = (char)(0xDC00 + ((codePoint - 0x10000) & 0x3FF));
                i += 2;
            }
            else
            {
                upper[i] = char.IsSurrogate(c) ? c : (char)ToUpper(c);
                i++;
            }
        }
    }

    private sealed class NameKeyComparer : IEqualityComparer<string>
    {
        public bool Equals(string? x, string? y) => SameName(x, y);

        public int GetHashCode(string obj) => StringComparer.Ordinal.GetHashCode(ToUpper(obj));
    }
}
