using System.Globalization;

namespace SecretOps.Cli;

/// <summary>
/// Shows the progress of a key rotation (revoke, retire, ns rotate) on standard error, only when standard
/// error is a terminal: scripts and CI see nothing. Reports arrive synchronously from Core, on the
/// command's own thread, inside its transaction.
/// </summary>
internal sealed class ProgressBar : IProgress<RotationProgress>, IDisposable
{
    private const int Width = 30;

    private readonly bool visible = !Console.IsErrorRedirected;
    private string? scope;
    private int lastLength;

    public void Report(RotationProgress value)
    {
        if (!visible)
        {
            return;
        }

        if (scope is not null && scope != value.Scope)
        {
            Console.Error.WriteLine();
            lastLength = 0;
        }

        scope = value.Scope;
        var filled = value.Total == 0 ? Width : (int)((long)value.Done * Width / value.Total);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"Rotating the keys of namespace '{value.Scope}': [{new string('#', filled)}{new string('.', Width - filled)}] {value.Done}/{value.Total} secret keys");
        Console.Error.Write("\r" + line + new string(' ', Math.Max(0, lastLength - line.Length)));
        lastLength = line.Length;
    }

    /// <summary>Ends the progress line, so what follows starts on a line of its own.</summary>
    public void Dispose()
    {
        if (scope is not null)
        {
            Console.Error.WriteLine();
            scope = null;
        }
    }
}
