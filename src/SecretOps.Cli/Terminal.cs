using System.Security.Cryptography;
using System.Text;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Cli;

/// <summary>Standard input and the person at the terminal: passphrase lines, values, prompts, confirmations.</summary>
internal static class Terminal
{
    /// <summary>Longest passphrase line read from standard input.</summary>
    private const int MaxLineBytes = 64 * 1024;

    /// <summary>Most characters a prompt takes.</summary>
    private const int MaxPromptChars = 4096;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when a person can answer prompts: standard input is a terminal.</summary>
    public static bool IsInteractive => !Console.IsInputRedirected;

    /// <summary>
    /// Reads one line from standard input, without the line ending (LF or CRLF) and nothing else stripped.
    /// The caller wipes the returned characters.
    /// </summary>
    public static char[] ReadLineFromStdin(string what)
    {
        var buffer = GC.AllocateArray<byte>(MaxLineBytes + 1, pinned: true);
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

            one[0] = 0;

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
                var chars = GC.AllocateUninitializedArray<char>(StrictUtf8.GetCharCount(buffer, 0, length), pinned: true);
                StrictUtf8.GetChars(buffer, 0, length, chars, 0);
                return chars;
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
        return InputFile.ReadStream(stdin, limit, "The value on standard input", "value");
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
    /// Reads a text file of <paramref name="kind"/> through <see cref="InputFile"/> (a regular file, within its limit,
    /// UTF-8); "-" reads standard input, within the same limit, when <paramref name="allowStdin"/>.
    /// </summary>
    public static string ReadTextFile(string path, InputFileKind kind, bool allowStdin = false)
    {
        if (!allowStdin || path != "-")
        {
            return InputFile.ReadText(path, kind);
        }

        var source = $"The {InputFile.Describe(kind)} on standard input";
        using var stdin = Console.OpenStandardInput();
        var bytes = InputFile.ReadStream(stdin, InputFile.Limit(kind), source, "stdin");
        try
        {
            return InputFile.DecodeText(bytes, source, "stdin");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// Prompts on the terminal for a secret without echoing it, into one fixed pinned buffer (no growing copies),
    /// wiped before it returns. The caller wipes the result.
    /// </summary>
    public static char[] PromptSecret(string prompt)
    {
        // Off before the prompt shows: whatever is typed from then on is never echoed, however soon it comes.
        using var echoOff = TerminalEcho.Off();
        Console.Error.Write(prompt);
        using var typed = new SecretChars(MaxPromptChars);
        var tooLong = false;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                typed.RemoveLast();
            }
            else if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar))
            {
                // Past the limit, keep reading to the end of the line, so nothing typed reaches the shell afterwards.
                tooLong |= !typed.TryAppend(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return tooLong
            ? throw new InvalidParameterException("passphrase", $"What was typed is longer than {MaxPromptChars} characters; nothing was changed.")
            : typed.ToPinnedArray();
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
