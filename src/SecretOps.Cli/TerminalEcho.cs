using System.Runtime.InteropServices;

namespace SecretOps.Cli;

/// <summary>
/// Keeps the terminal from echoing for the whole of a secret prompt. Left to Console.ReadKey, echo was still on between
/// the prompt appearing and the first read: a passphrase typed in that moment (seen on a loaded machine in
/// TerminalTests) was echoed by the terminal itself, onto the screen.
/// </summary>
internal static partial class TerminalEcho
{
    // struct termios begins with four tcflag_t (input, output, control, local flags): 4 bytes each on Linux, 8 on macOS.
    private const int LocalFlagsIndex = 3;
    private const byte Echo = 0x8; // ECHO, the same bit on Linux and macOS
    private const int SetNow = 0; // TCSANOW
    private const int StandardInput = 0;
    private const int TermiosBufferBytes = 256; // more than any platform's struct termios

    /// <summary>
    /// Turns echo off on standard input's terminal until the result is disposed; null (nothing changed) where that cannot
    /// be done: Windows (whose console does not echo keys nobody reads), input that is not a terminal, a failed call.
    /// </summary>
    public static IDisposable? Off()
    {
        if (OperatingSystem.IsWindows() || Console.IsInputRedirected || !BitConverter.IsLittleEndian)
        {
            return null;
        }

        // .NET records the terminal's settings when its console first starts, to restore them at exit: that must be the
        // settings with echo on, so the console starts before anything is changed here.
        _ = Console.KeyAvailable;
        var saved = new byte[TermiosBufferBytes];
        if (GetAttributes(StandardInput, saved) != 0)
        {
            return null;
        }

        var silent = (byte[])saved.Clone();
        silent[LocalFlagsIndex * (OperatingSystem.IsMacOS() ? 8 : 4)] &= unchecked((byte)~Echo);
        return SetAttributes(StandardInput, SetNow, silent) == 0 ? new Restore(saved) : null;
    }

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int GetAttributes(int descriptor, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int SetAttributes(int descriptor, int when, [In] byte[] termios);

    private sealed class Restore(byte[] saved) : IDisposable
    {
        public void Dispose() => SetAttributes(StandardInput, SetNow, saved);
    }
}
