using System.Management.Automation;
using SecretOps.Core.Vault;

namespace SecretOps.Module;

/// <summary>
/// Turns Core's typed errors into PowerShell error records with the stable SecretOps error id. The
/// FullyQualifiedErrorId PowerShell shows is <c>&lt;ErrorId&gt;,&lt;cmdlet class&gt;</c>, e.g.
/// <c>SecretOps.NotFound,SecretOps.Module.Commands.GetSecretValueCommand</c>.
/// </summary>
internal static class ErrorMapping
{
    /// <summary>No session is registered for the store and client asked for.</summary>
    public const string NotConnectedId = "SecretOps.NotConnected";

    /// <summary>No credential was given, none was found in the environment or profile, and no one can be asked.</summary>
    public const string CredentialRequiredId = "SecretOps.CredentialRequired";

    /// <summary>A file the command needed could not be read or written (permissions, disk).</summary>
    public const string IOErrorId = "SecretOps.IOError";

    /// <summary>True for the failures a command reports per input; anything else is a bug and stays terminating.</summary>
    public static bool IsExpected(Exception exception) =>
        exception is SecretOpsException or IOException or UnauthorizedAccessException;

    public static ErrorRecord ToErrorRecord(this SecretOpsException exception, object? target = null)
    {
        var record = new ErrorRecord(exception, exception.ErrorId, ToCategory(exception), target ?? exception.Target);
        if (Hint(exception) is { } hint)
        {
            record.ErrorDetails = new ErrorDetails($"{exception.Message} {hint}") { RecommendedAction = hint };
        }

        return record;
    }

    /// <summary>Core's message followed by the hint in PowerShell's words: what a PowerShell user reads.</summary>
    public static string Describe(SecretOpsException exception) =>
        Hint(exception) is { } hint ? $"{exception.Message} {hint}" : exception.Message;

    /// <summary>The next step Core points to, naming the cmdlet that takes it.</summary>
    private static string? Hint(SecretOpsException exception) => exception switch
    {
        { Hint: SecretOpsHint.CreateStore } => "Create one with New-SecretOpsStore.",
        { Hint: SecretOpsHint.CreateClient } => "Create such clients with New-SecretClient before importing the policy.",
        VaultLockedException { Hint: SecretOpsHint.UnlockVault } locked =>
            $"Use Unlock-SecretVault -Name '{locked.VaultName}' (or Connect-SecretOpsStore -Path '{locked.Store}' -Client '{locked.Client}') to provide it.",
        { Hint: SecretOpsHint.AllowWeakKdf } => "A cmdlet asks for it with -AllowWeakKdf.",
        { Hint: SecretOpsHint.UpgradeStore } => "An administrator upgrades it with Update-SecretOpsStore.",
        { Hint: SecretOpsHint.AcceptRestoredStore } => "If it was restored on purpose, connect again with Connect-SecretOpsStore -AcceptRestoredStore.",
        { Hint: SecretOpsHint.GiveEnrolmentToken } => $"Give the file that holds it with -TokenFile, or set {Core.Configuration.EnvironmentVariables.TokenFile}.",
        { Hint: SecretOpsHint.PushStore } => "A server's store starts from a store file, pushed with the CLI: secretops --store FILE store push SERVER.",
        { Hint: SecretOpsHint.RevokeStrayStanza, HintSubject: { Client: { } client, Namespace: { } ns } subject } =>
            $"Find out who wrote it (Test-SecretAuditLog, Test-SecretOpsStore), then remove it with Revoke-SecretPermission -Client {Quote(client)} -Namespace {Quote(ns)}"
            + (subject.Secret is { } secret ? $" -Name {Quote(secret)}" : "") + " before rotating.",
        _ => null,
    };

    /// <summary>A name as a PowerShell single-quoted string.</summary>
    private static string Quote(string name) => $"'{name.Replace("'", "''", StringComparison.Ordinal)}'";

    /// <summary>Maps any <see cref="IsExpected"/> failure; <paramref name="target"/> is the input that failed.</summary>
    public static ErrorRecord ToErrorRecord(Exception exception, object? target) => exception switch
    {
        SecretOpsException e => e.ToErrorRecord(target),
        UnauthorizedAccessException => new ErrorRecord(exception, IOErrorId, ErrorCategory.PermissionDenied, target),
        IOException => new ErrorRecord(exception, IOErrorId, ErrorCategory.WriteError, target),
        _ => new ErrorRecord(exception, "SecretOps.Unexpected", ErrorCategory.NotSpecified, target),
    };

    /// <summary>The error for a command that needs a session when none is registered.</summary>
    public static ErrorRecord NotConnected(string? store, string? client)
    {
        var which = (store, client) switch
        {
            (null, null) => "",
            (null, _) => $" as client '{client}'",
            (_, null) => $" to '{store}'",
            _ => $" to '{store}' as client '{client}'",
        };
        return new ErrorRecord(
            new InvalidOperationException($"SecretOps is not connected{which}: run Connect-SecretOpsStore first (an idle session locks itself after its timeout)."),
            NotConnectedId, ErrorCategory.ConnectionError, store ?? client);
    }

    /// <summary>The error when no credential is available and prompting is impossible.</summary>
    public static ErrorRecord CredentialRequired(string what, object? target, Exception? inner = null) =>
        new(new InvalidOperationException($"No {what} was given and none can be asked for in this session: pass it as a parameter, a file, or a SECRETOPS_* environment variable.", inner),
            CredentialRequiredId, ErrorCategory.InvalidArgument, target);

    internal static ErrorCategory ToCategory(SecretOpsException exception) => exception.ErrorId switch
    {
        "SecretOps.StoreUnavailable" => ErrorCategory.ResourceUnavailable,
        _ => exception.Category switch
        {
            SecretOpsErrorCategory.InvalidArgument => ErrorCategory.InvalidArgument,
            SecretOpsErrorCategory.NotFound => ErrorCategory.ObjectNotFound,
            SecretOpsErrorCategory.AuthenticationFailed => ErrorCategory.AuthenticationError,
            SecretOpsErrorCategory.AccessDenied => ErrorCategory.PermissionDenied,
            SecretOpsErrorCategory.Conflict => ErrorCategory.ResourceExists,
            SecretOpsErrorCategory.Tampered => ErrorCategory.InvalidData,
            SecretOpsErrorCategory.Expired => ErrorCategory.ResourceUnavailable,
            _ => ErrorCategory.NotSpecified,
        },
    };
}
