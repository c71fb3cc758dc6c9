using System.Management.Automation;
using System.Security;

namespace SecretOps.Module.Commands;

/// <summary>
/// Root of every SecretOps cmdlet: PowerShell paths to file-system paths, Core errors to error records
/// (one per failed input), and prompting only where a person can answer.
/// </summary>
public abstract class SecretOpsCmdlet : PSCmdlet
{
    /// <summary>Recorded in the audit log for everything the cmdlets do.</summary>
    private protected const Surface CmdletSurface = Surface.Cmdlet;

    /// <summary>A store as a parameter names it: a server address as given, anything else a file path resolved as <see cref="ResolveFilePath"/>.</summary>
    private protected string ResolveStoreLocation(string store, string parameterName) =>
        SecretOps.Core.SecretStore.IsServerAddress(store) ? store : ResolveFilePath(store, parameterName);

    /// <summary>
    /// Resolves a PowerShell path (relative to the current location, <c>~</c>, PSDrives) to a file-system
    /// path that need not exist yet. Other providers (Registry:, Env:) are refused.
    /// </summary>
    private protected string ResolveFilePath(string path, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidParameterException(parameterName, $"-{parameterName} is empty.");
        }

        string resolved;
        ProviderInfo provider;
        try
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or ArgumentException or PSInvalidOperationException)
        {
            throw new InvalidParameterException(parameterName, $"-{parameterName} '{path}' is not a usable path: {e.Message}");
        }

        if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidParameterException(parameterName, $"-{parameterName} '{path}' is on the {provider.Name} provider; give a file-system path.");
        }

        return resolved;
    }

    /// <summary>Whether two full paths name the same file (case-insensitive on Windows and macOS, as Core compares them).</summary>
    private protected static bool SamePath(string a, string b) =>
        string.Equals(a, b, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>Writes the non-terminating error for one failed input.</summary>
    private protected void WriteFailure(Exception exception, object? target) => WriteError(ErrorMapping.ToErrorRecord(exception, target));

    /// <summary>
    /// Asks the person at the keyboard for a secret. Null when nobody can answer (-NonInteractive, a host
    /// without a UI, a hosted runspace): callers then fail with SecretOps.CredentialRequired.
    /// </summary>
    private protected SecureString? PromptSecure(string prompt)
    {
        if (IsNonInteractive() || Host?.UI is null)
        {
            return null;
        }

        try
        {
            Host.UI.Write(prompt + ": ");
            var answer = Host.UI.ReadLineAsSecureString();
            return answer is { Length: > 0 } ? answer : null;
        }
        catch (Exception e) when (e is PSInvalidOperationException or NotImplementedException or NotSupportedException or InvalidOperationException or System.Management.Automation.Host.HostException)
        {
            return null;
        }
    }

    /// <summary>
    /// Asks twice for a new passphrase and returns it in a pinned array the caller must wipe. Stops the command
    /// with SecretOps.CredentialRequired when nobody can answer (<paramref name="what"/> says which parameters
    /// would have given it); two different answers are SecretOps.InvalidParameter.
    /// </summary>
    private protected char[] PromptNewPassphrase(string prompt, string what, object? target)
    {
        using var first = PromptSecure(prompt);
        if (first is null)
        {
            ThrowTerminatingError(ErrorMapping.CredentialRequired(what, target));
        }

        using var second = PromptSecure("Repeat the passphrase");
        var chars = PowerShellValues.ToChars(first!);
        var repeat = second is null ? [] : PowerShellValues.ToChars(second);
        try
        {
            if (!chars.AsSpan().SequenceEqual(repeat))
            {
                PowerShellValues.Wipe(chars);
                throw new InvalidParameterException("Passphrase", "The two passphrases differ; nothing was changed.");
            }

            return chars;
        }
        finally
        {
            PowerShellValues.Wipe(repeat);
        }
    }

    private static bool IsNonInteractive() =>
        Environment.GetCommandLineArgs().Skip(1).Any(arg =>
            arg.Length > 4 && (arg[0] == '-' || arg[0] == '/')
            && arg.TrimStart('-', '/').StartsWith("noni", StringComparison.OrdinalIgnoreCase));
}
