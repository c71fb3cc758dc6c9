using System.Text.RegularExpressions;

namespace SecretOps.Core.Secrets;

/// <summary>What names SecretOps accepts, checked before anything touches the store.</summary>
public static partial class Names
{
    /// <summary>Longest secret name, in UTF-16 characters.</summary>
    public const int MaxSecretNameLength = 256;

    /// <summary>Longest namespace or client name.</summary>
    public const int MaxIdentifierLength = 64;

    /// <summary>
    /// What secret names are unique and looked up by, and the form of a name bound into values and the control log: the name
    /// upper-cased by <see cref="NameCasing"/> (docs/FORMAT.md §6.3: Unicode 15.0 simple uppercase, ı and ſ unchanged), the
    /// same on every surface. SQLite's NOCASE folds only A–Z and would let "Émile" and "émile" be two secrets.
    /// </summary>
    internal static string LookupKey(string name) => NameCasing.ToUpper(name);

    /// <summary>
    /// Secret names: 1–256 characters, no control characters, no bidirectional formatting characters, no
    /// unpaired surrogates, no leading or trailing white space. Case is preserved; uniqueness ignores case
    /// (<see cref="LookupKey"/>) and nothing else: lookalikes (Cyrillic 'а' and Latin 'a', fullwidth forms,
    /// zero-width characters, NFC and NFD spellings) are different names.
    /// </summary>
    public static string ValidateSecretName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new InvalidParameterException("name", "A secret name cannot be empty.");
        }

        if (name.Length > MaxSecretNameLength)
        {
            throw new InvalidParameterException("name", $"A secret name is at most {MaxSecretNameLength} characters; this one has {name.Length}.");
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c))
            {
                throw new InvalidParameterException("name", $"A secret name cannot contain control characters (U+{(int)c:X4} at position {i + 1}).");
            }

            if (IsBidiControl(c))
            {
                // They reorder what is printed around them, so a listing could show one name as another.
                throw new InvalidParameterException("name", $"A secret name cannot contain bidirectional formatting characters (U+{(int)c:X4} at position {i + 1}).");
            }

            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new InvalidParameterException("name", $"A secret name cannot contain an unpaired surrogate (position {i + 1}); it is not valid Unicode text.");
            }
        }

        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
        {
            throw new InvalidParameterException("name", "A secret name cannot start or end with white space.");
        }

        return name;
    }

    /// <summary>Namespace names: 1–64 of letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    public static string ValidateNamespaceName(string? name) => ValidateIdentifier(name, "namespace");

    /// <summary>Client names: 1–64 of letters, digits, '.', '_', '-' and '@', starting with a letter or digit.</summary>
    public static string ValidateClientName(string? name)
    {
        if (name is not null && ClientPattern().IsMatch(name) && name.Length <= MaxIdentifierLength)
        {
            return name;
        }

        throw new InvalidParameterException("client", $"A client name is 1–{MaxIdentifierLength} letters, digits, '.', '_', '-' or '@', starting with a letter or digit; '{Printable(name)}' is not.");
    }

    /// <summary>Shows a refused name safely in a message: control characters escaped, length capped.</summary>
    public static string Printable(string? value)
    {
        if (value is null)
        {
            return "";
        }

        var shown = value.Length > 80 ? value[..80] + "…" : value;
        return string.Concat(shown.Select(c => char.IsControl(c) || char.IsSurrogate(c) || IsBidiControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    /// <summary>The explicit directional marks, embeddings, overrides and isolates (Trojan Source, CVE-2021-42574).</summary>
    private static bool IsBidiControl(char c) => c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static string ValidateIdentifier(string? name, string what)
    {
        if (name is not null && IdentifierPattern().IsMatch(name) && name.Length <= MaxIdentifierLength)
        {
            return name;
        }

        throw new InvalidParameterException(what, $"A {what} name is 1–{MaxIdentifierLength} letters, digits, '.', '_' or '-', starting with a letter or digit; '{Printable(name)}' is not.");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ClientPattern();
}
