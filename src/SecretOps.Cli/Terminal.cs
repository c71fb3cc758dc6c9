using System.Security.Cryptography;
using System.Text;

namespace SecretOps.Cli;

/// <summary>Standard input and the person at the terminal: passphrase lines, values, prompts, confirmations.</summary>
internal static class Terminal
{
    /// <summary>Longest passphrase line read from standard input.</summary>
    private const int MaxLineBytes = 64 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when a person can answer prompts: standard input is a terminal.</summary>
    public static bool IsInteractive => !Console.IsInputRedirected;

    /// <summary>
    /// Reads one line from standard input, without the line ending (LF or CRLF) and nothing else stripped.
    /// The caller wipes the returned characters.
    /// </summary>
    public static char[] ReadLineFromStdin(string what)
    {
        var buffer = new byte[MaxLineBytes + 1];
        var length = 0;
        try
        {
            using var stdin = Console.OpenStandardInput();
            var one = new byte[1];
            while (true)
            {
                if (stdin.Read(one, 0, 1) == 0 || one[0] == (byte)'\n')
                {
                    break;
                }

                if (length == MaxLineBytes)
                {
                    throw new InvalidParameterException("stdin", $"The {what} line on standard input is longer than {MaxLineBytes / 1024} KiB.");
                }

                buffer[length++] = one[0];
            }

            if (length > 0 && buffer[length - 1] == (byte)'\r')
            {
                length--;
            }

            if (length == 0)
            {
                throw new InvalidParameterException("stdin", $"No {what} on standard input (expected one line).");
            }

            try
            {
                return StrictUtf8.GetChars(buffer, 0, length);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidParameterException("stdin", $"The {what} on standard input is not valid UTF-8 text.");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>
    /// Reads all of standard input, refusing more than <paramref name="limit"/> bytes. The caller wipes the result.
    /// </summary>
    public static byte[] ReadAllStdin(int limit)
    {
        using var stdin = Console.OpenStandardInput();
        return ReadAll(stdin, limit, "The value on standard input");
    }

    /// <summary>Reads a stream to its end, refusing more than <paramref name="limit"/> bytes; <paramref name="what"/> names it in errors.</summary>
    public static byte[] ReadAll(Stream stream, int limit, string what)
    {
        var buffer = new byte[Math.Min(limit, 64 * 1024) + 1];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        throw new InvalidParameterException("value", $"{what} is larger than {limit} bytes (1 MiB), the most a value may hold.");
                    }

                    var bigger = new byte[Math.Min((long)buffer.Length * 2, (long)limit + 1)];
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    CryptographicOperations.ZeroMemory(buffer);
                    buffer = bigger;
                }

                var read = stream.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > limit)
            {
                throw new InvalidParameterException("value", $"{what} is larger than {limit} bytes (1 MiB), the most a value may hold.");
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>Decodes UTF-8 text strictly: a value that is not text is refused, never silently altered.</summary>
    public static string DecodeText(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidParameterException("value", $"{what} is not valid UTF-8 text; store it with --type bytes.");
        }
    }

    /// <summary>
    /// Reads a small text file (a public key, a policy), refusing a directory, a missing file, more than
    /// <paramref name="limit"/> bytes and text that is not UTF-8, each with a message that starts with
    /// <paramref name="label"/> and names the file. "-" reads standard input when <paramref name="allowStdin"/>.
    /// </summary>
    public static string ReadTextFile(string path, int limit, string label, string what, bool allowStdin = false)
    {
        byte[] bytes;
        string name;
        if (allowStdin && path == "-")
        {
            name = "(standard input)";
            using var stdin = Console.OpenStandardInput();
            bytes = ReadLimited(stdin, limit, $"{label} {name}", what);
        }
        else
        {
            var full = Path.GetFullPath(path);
            name = $"'{full}'";
            if (Directory.Exists(full))
            {
                throw new InvalidParameterException(what, $"{label} {name} is a directory.");
            }

            if (!File.Exists(full))
            {
                throw new InvalidParameterException(what, $"{label} {name} does not exist.");
            }

            try
            {
                using var stream = File.OpenRead(full);
                bytes = ReadLimited(stream, limit, $"{label} {name}", what);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidParameterException(what, $"{label} {name} cannot be read: {e.Message}");
            }
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidParameterException(what, $"{label} {name} is not UTF-8 text; nothing was changed.");
        }
    }

    private static byte[] ReadLimited(Stream stream, int limit, string source, string what)
    {
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        if (length > limit)
        {
            throw new InvalidParameterException(what, $"{source} is larger than {limit / 1024} KiB, too large for a {what}; nothing was changed.");
        }

        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>Prompts on the terminal for a secret without echoing it. The caller wipes the result.</summary>
    public static char[] PromptSecret(string prompt)
    {
        Console.Error.Write(prompt);
        var typed = new List<char>();
        try
        {
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (typed.Count > 0)
                    {
                        typed[^1] = '\0';
                        typed.RemoveAt(typed.Count - 1);
                    }
                }
                else if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar))
                {
                    typed.Add(key.KeyChar);
                }
            }

            Console.Error.WriteLine();
            return [.. typed];
        }
        finally
        {
            for (var i = 0; i < typed.Count; i++)
            {
                typed[i] = '\0';
            }
        }
    }

    /// <summary>
    /// Asks for a new passphrase twice on the terminal, without echo; a mismatch is refused with
    /// "The passphrases do not match; <paramref name="outcome"/>.". The caller wipes the result.
    /// </summary>
    public static char[] PromptNewPassphrase(string prompt, string outcome)
    {
        var first = PromptSecret(prompt);
        var second = PromptSecret("Repeat the passphrase: ");
        try
        {
            if (!first.AsSpan().SequenceEqual(second))
            {
                throw new InvalidParameterException("passphrase", $"The passphrases do not match; {outcome}.");
            }

            return first;
        }
        catch
        {
            Invocation.Wipe(first);
            throw;
        }
        finally
        {
            Invocation.Wipe(second);
        }
    }

    /// <summary>Asks a yes/no question on the terminal; only 'y' or 'yes' is yes.</summary>
    public static bool Confirm(string question)
    {
        Console.Error.Write($"{question} [y/N] ");
        var answer = Console.ReadLine()?.Trim();
        return string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A one-line warning on standard error.</summary>
    public static void Warn(string message) => Console.Error.WriteLine($"secretops: warning: {message}");
}
