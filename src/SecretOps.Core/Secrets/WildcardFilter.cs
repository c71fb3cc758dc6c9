using System.Text;
using System.Text.RegularExpressions;

namespace SecretOps.Core.Secrets;

/// <summary>
/// Name filters as SecretManagement users expect: a case-insensitive wildcard (<c>*</c>, <c>?</c>,
/// <c>[a-z]</c>) that also matches the pattern literally, and falls back to a literal match when the
/// pattern is not a valid wildcard. No pattern, or <c>*</c>, matches everything.
/// </summary>
public sealed class WildcardFilter
{
    private readonly string? pattern;
    private readonly string? patternKey;
    private readonly Regex? regex;

    /// <summary>Builds the filter.</summary>
    public WildcardFilter(string? pattern)
    {
        // "*" is what SecretManagement sends for "all": no per-name matching at all.
        this.pattern = string.IsNullOrEmpty(pattern) || pattern == "*" ? null : pattern;
        if (this.pattern is not null)
        {
            patternKey = Names.LookupKey(this.pattern);
            regex = ToRegex(this.pattern);
        }
    }

    /// <summary>
    /// For a pattern that is a literal followed by one trailing <c>*</c> (what completion sends), the literal;
    /// otherwise null. Lets the store narrow a listing with an index before matching.
    /// </summary>
    public string? LiteralPrefix
    {
        get
        {
            if (pattern is null || pattern.Length < 2 || pattern[^1] != '*')
            {
                return null;
            }

            var prefix = new System.Text.StringBuilder();
            for (var i = 0; i < pattern.Length - 1; i++)
            {
                var c = pattern[i];
                if (c == '`' && i + 1 < pattern.Length - 1)
                {
                    prefix.Append(pattern[++i]);
                }
                else if (c is '*' or '?' or '[' or ']' or '`')
                {
                    return null;
                }
                else
                {
                    prefix.Append(c);
                }
            }

            return prefix.ToString();
        }
    }

    /// <summary>True when <paramref name="name"/> matches: the same name (by its name key, as lookups go), or the wildcard.</summary>
    public bool IsMatch(string name) =>
        pattern is null || string.Equals(Names.LookupKey(name), patternKey, StringComparison.Ordinal) || regex?.IsMatch(name) == true;

    private static Regex? ToRegex(string wildcard)
    {
        var builder = new StringBuilder("^");
        for (var i = 0; i < wildcard.Length; i++)
        {
            var c = wildcard[i];
            switch (c)
            {
                case '*':
                    builder.Append(".*");
                    break;
                case '?':
                    builder.Append('.');
                    break;
                case '`' when i + 1 < wildcard.Length:
                    builder.Append(Regex.Escape(wildcard[++i].ToString()));
                    break;
                case '[':
                    var close = wildcard.IndexOf(']', i + 1);
                    if (close <= i + 1)
                    {
                        return null;
                    }

                    var set = wildcard[(i + 1)..close];
                    builder.Append('[').Append(set.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("^", @"\^", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    builder.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        try
        {
            return new Regex(builder.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromMilliseconds(200));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
