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
    /// <paramref name="name"/> upper-cased; the same instance when nothing changes (every read does this, so plain upper-case
    /// ASCII costs one pass and no allocation). Always as many UTF-16 code units as the input; unpaired surrogates stay.
    /// </summary>
    public static string ToUpper(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c < 0x80 ? char.IsAsciiLetterLower(c) : ChangesAt(name, i))
            {
                return string.Create(name.Length, (name, i), static (upper, state) =>
                {
                    state.name.AsSpan().CopyTo(upper);
                    UpperFrom(upper, state.i);
                });
            }
        }

        return name;
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

    // Whether the (non-ASCII) code point starting at name[index] changes. A low surrogate is never the start of one here:
    // after a pair's high surrogate the scan sees the low one alone, which does not change.
    private static bool ChangesAt(string name, int index)
    {
        var c = name[index];
        if (char.IsHighSurrogate(c) && index + 1 < name.Length && char.IsLowSurrogate(name[index + 1]))
        {
            var codePoint = char.ConvertToUtf32(c, name[index + 1]);
            return ToUpper(codePoint) != codePoint;
        }

        return !char.IsSurrogate(c) && ToUpper(c) != c;
    }

    // Upper-cases text in place from start, which is where a code point begins.
    private static void UpperFrom(Span<char> text, int start)
    {
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80)
            {
                text[i] = char.IsAsciiLetterLower(c) ? (char)(c - 0x20) : c;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                // The table maps supplementary code points only to supplementary ones (the table's test checks), so the pair stays a pair.
                var upper = ToUpper(char.ConvertToUtf32(c, text[i + 1]));
                text[i] = (char)(0xD800 + ((upper - 0x10000) >> 10));
                text[i + 1] = (char)(0xDC00 + ((upper - 0x10000) & 0x3FF));
                i++;
            }
            else if (!char.IsSurrogate(c))
            {
                text[i] = (char)ToUpper(c);
            }
        }
    }

    private sealed class NameKeyComparer : IEqualityComparer<string>
    {
        public bool Equals(string? x, string? y) => SameName(x, y);

        public int GetHashCode(string obj) => StringComparer.Ordinal.GetHashCode(ToUpper(obj));
    }
}
