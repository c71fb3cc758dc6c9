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
