using System.Text;

namespace SecretOps.Module.Tests;

/// <summary>
/// Reads string arrays out of a PowerShell data file (.psd1) without PowerShell: a small lexer that
/// understands comments (<c>#</c> and <c>&lt;# #&gt;</c>), single- and double-quoted strings (with their
/// escapes), <c>@( … )</c> arrays separated by commas or new lines, and nested hashtables. Enough for a
/// manifest; anything it does not understand fails the test instead of being guessed at.
/// </summary>
internal static class PowerShellDataFile
{
    /// <summary>
    /// The strings assigned to top-level <paramref name="key"/> (case-insensitive): <c>'a'</c>,
    /// <c>'a', 'b'</c> or <c>@('a'; 'b' …)</c>. Null when the key is absent.
    /// </summary>
    public static IReadOnlyList<string>? ReadStringArray(string text, string key)
    {
        var tokens = Tokenize(text);
        var depth = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Kind == TokenKind.Punctuation && token.Text is "@{" or "{")
            {
                depth++;
            }
            else if (token.Kind == TokenKind.Punctuation && token.Text == "}")
            {
                depth--;
            }
            else if (depth == 1 && token.Kind == TokenKind.Word && string.Equals(token.Text, key, StringComparison.OrdinalIgnoreCase)
                     && i + 1 < tokens.Count && tokens[i + 1].Text == "=")
            {
                return ReadValue(tokens, i + 2, key);
            }
        }

        return null;
    }

    private static List<string> ReadValue(List<Token> tokens, int start, string key)
    {
        var values = new List<string>();
        var i = Skip(tokens, start, TokenKind.NewLine);
        if (i < tokens.Count && tokens[i].Text == "@(")
        {
            for (i++; i < tokens.Count && tokens[i].Text != ")"; i++)
            {
                var t = tokens[i];
                if (t.Kind == TokenKind.String)
                {
                    values.Add(t.Text);
                }
                else if (t.Kind != TokenKind.NewLine && t.Text is not ("," or ";"))
                {
                    throw new FormatException($"{key}: unexpected '{t.Text}' in the array.");
                }
            }

            return i < tokens.Count ? values : throw new FormatException($"{key}: the array is not closed.");
        }

        // A single string or a comma list without @( ).
        while (i < tokens.Count && tokens[i].Kind == TokenKind.String)
        {
            values.Add(tokens[i].Text);
            i++;
            if (i < tokens.Count && tokens[i].Text == ",")
            {
                i = Skip(tokens, i + 1, TokenKind.NewLine);
                continue;
            }

            break;
        }

        return values.Count > 0 ? values : throw new FormatException($"{key}: expected a string or an array of strings.");
    }

    private static int Skip(List<Token> tokens, int i, TokenKind kind)
    {
        while (i < tokens.Count && tokens[i].Kind == kind)
        {
            i++;
        }

        return i;
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        for (var i = 0; i < text.Length;)
        {
            var c = text[i];
            if (c == '\n')
            {
                tokens.Add(new Token(TokenKind.NewLine, "\n"));
                i++;
            }
            else if (char.IsWhiteSpace(c) || c == '`' && i + 1 < text.Length && text[i + 1] is '\n' or '\r')
            {
                i++;
            }
            else if (c == '<' && At(text, i, "<#"))
            {
                var end = text.IndexOf("#>", i + 2, StringComparison.Ordinal);
                i = end < 0 ? throw new FormatException("Unclosed <# comment.") : end + 2;
            }
            else if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c is '\'' or '\u2018' or '\u2019')
            {
                var value = new StringBuilder();
                for (i++; ; i++)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException("Unclosed single-quoted string.");
                    }

                    if (text[i] is '\'' or '\u2018' or '\u2019')
                    {
                        if (i + 1 < text.Length && text[i + 1] is '\'' or '\u2018' or '\u2019')
                        {
                            value.Append('\'');
                            i++;
                            continue;
                        }

                        i++;
                        break;
                    }

                    value.Append(text[i]);
                }

                tokens.Add(new Token(TokenKind.String, value.ToString()));
            }
            else if (c == '"')
            {
                var value = new StringBuilder();
                for (i++; ; i++)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException("Unclosed double-quoted string.");
                    }

                    if (text[i] == '`' && i + 1 < text.Length)
                    {
                        value.Append(text[++i]);
                        continue;
                    }

                    if (text[i] == '$')
                    {
                        throw new FormatException("Expandable strings are not allowed in a data file.");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            value.Append('"');
                            i++;
                            continue;
                        }

                        i++;
                        break;
                    }

                    value.Append(text[i]);
                }

                tokens.Add(new Token(TokenKind.String, value.ToString()));
            }
            else if (At(text, i, "@{") || At(text, i, "@("))
            {
                tokens.Add(new Token(TokenKind.Punctuation, text.Substring(i, 2)));
                i += 2;
            }
            else if (c is '{' or '}' or '(' or ')' or '=' or ',' or ';')
            {
                tokens.Add(new Token(TokenKind.Punctuation, c.ToString()));
                i++;
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('{' or '}' or '(' or ')' or '=' or ',' or ';' or '#' or '\'' or '"'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Word, text[start..i]));
            }
        }

        return tokens;
    }

    private static bool At(string text, int i, string what) => string.CompareOrdinal(text, i, what, 0, what.Length) == 0;

    private enum TokenKind
    {
        Word,
        String,
        Punctuation,
        NewLine,
    }

    private sealed record Token(TokenKind Kind, string Text);
}
