namespace SecretOps;

/// <summary>What kind of failure an error is; the CLI maps it to an exit code, the module to an ErrorCategory.</summary>
public enum SecretOpsErrorCategory
{
    /// <summary>Anything else (an I/O failure, a store that cannot be opened). CLI exit code 1.</summary>
    Other,

    /// <summary>An argument or input is malformed, out of range or refused by policy. CLI exit code 2.</summary>
    InvalidArgument,

    /// <summary>The secret, version, namespace or client does not exist. CLI exit code 3.</summary>
    NotFound,

    /// <summary>The credential is wrong, or the client may not connect. CLI exit code 4.</summary>
    AuthenticationFailed,

    /// <summary>The client is authenticated but lacks the permission. CLI exit code 5.</summary>
    AccessDenied,

    /// <summary>A version mismatch, or the thing already exists. CLI exit code 6.</summary>
    Conflict,

    /// <summary>Data failed authentication, or the store file is corrupt. CLI exit code 7.</summary>
    Tampered,

    /// <summary>The secret exists but its time to live has passed. CLI exit code 8.</summary>
    Expired,
}

/// <summary>
/// A next step an error points to. Core's messages name no command of any surface: each surface (the cmdlets,
/// the CLI, the vault) words the hint with its own command.
/// </summary>
public enum SecretOpsHint
{
    /// <summary>No hint.</summary>
    None,

    /// <summary>There is no store there yet: create one.</summary>
    CreateStore,

    /// <summary>A client the request needs must be created first, outside a policy (it needs a passphrase).</summary>
    CreateClient,

    /// <summary>The vault needs its credential (the vault error names the vault, store and client).</summary>
    UnlockVault,

    /// <summary>
    /// A passphrase is sealed with a store's weak KDF defaults only when the command asks for it (on a store created weak).
    /// </summary>
    AllowWeakKdf,

    /// <summary>
    /// A client holds a key with no grant behind it (a row no command writes): find out who wrote it (the audit chain, a
    /// store check), then revoke the client's access to the scope before rotating. <see cref="SecretOpsException.HintSubject"/> names the
    /// client, the namespace and, for one secret's grant, the secret.
    /// </summary>
    RevokeStrayStanza,

    /// <summary>
    /// A format-1 store must be upgraded (its current state checked and signed as the control log's baseline by an
    /// administrator) before it is used.
    /// </summary>
    UpgradeStore,

    /// <summary>
    /// The store is behind, or has diverged from, the state this client verified last on this machine: if a backup was
    /// restored on purpose, accept the store as it is now (the client forgets the state it had verified).
    /// </summary>
    AcceptRestoredStore,

    /// <summary>Connecting to a server needs the client's enrolment token: give the file that holds it.</summary>
    GiveEnrolmentToken,

    /// <summary>A server's store starts with a push of a store file (and is never created or restored in place).</summary>
    PushStore,
}

/// <summary>What a hint's command acts on, for a surface to name in its own syntax; each part is null when the hint does not need it.</summary>
/// <param name="Client">A client's name.</param>
/// <param name="Namespace">A namespace's name.</param>
/// <param name="Secret">A secret's name (in <paramref name="Namespace"/>).</param>
public sealed record SecretOpsHintSubject(string? Client = null, string? Namespace = null, string? Secret = null);

/// <summary>
/// Base of every error SecretOps reports on purpose. <see cref="ErrorId"/> is stable across releases
/// and safe to match on; the message is for people. Neither ever contains a secret value, key or passphrase.
/// </summary>
public abstract class SecretOpsException : Exception
{
    /// <summary>Creates the error.</summary>
    protected SecretOpsException(string errorId, SecretOpsErrorCategory category, string message, object? target, Exception? innerException)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    /// <summary>Stable identifier, e.g. <c>SecretOps.Tampered</c>.</summary>
    public string ErrorId { get; }

    /// <summary>The kind of failure.</summary>
    public SecretOpsErrorCategory Category { get; }

    /// <summary>What the error is about (a name, a parameter), never a secret.</summary>
    public object? Target { get; }

    /// <summary>The next step the surface should name in its own words, after the message.</summary>
    public SecretOpsHint Hint { get; init; }

    /// <summary>What <see cref="Hint"/>'s command acts on, when it needs names (a client, a namespace, a secret).</summary>
    public SecretOpsHintSubject? HintSubject { get; init; }
}

/// <summary>A parameter is outside what SecretOps accepts (<c>SecretOps.InvalidParameter</c>).</summary>
public sealed class InvalidParameterException : SecretOpsException
{
    /// <summary>Creates the error for parameter <paramref name="parameterName"/>.</summary>
    public InvalidParameterException(string parameterName, string message)
        : base("SecretOps.InvalidParameter", SecretOpsErrorCategory.InvalidArgument, message, parameterName, null)
    {
    }
}

/// <summary>
/// A credential file (client secret or private key) can be read or written by other users, as OpenSSH refuses
/// an unprotected private key (<c>SecretOps.UnprotectedFile</c>). The message names the file and the fix, never its contents.
/// </summary>
public sealed class UnprotectedFileException : SecretOpsException
{
    /// <summary>Creates the error for <paramref name="path"/>, whose Unix permissions are <paramref name="mode"/> (octal, e.g. 0644).</summary>
    public UnprotectedFileException(string what, string path, string mode)
        : base("SecretOps.UnprotectedFile", SecretOpsErrorCategory.InvalidArgument,
               $"The {what} '{path}' has permissions {mode}, too open: other users can read or change it, so it is not used. " +
               $"Make it readable by its owner only: chmod 600 '{path}'.",
               path, null)
    {
    }
}

/// <summary>A key (PEM, public key, key size or curve) cannot be used (<c>SecretOps.InvalidKey</c>).</summary>
public sealed class InvalidKeyException : SecretOpsException
{
    /// <summary>Creates the error.</summary>
    public InvalidKeyException(string message, Exception? innerException = null)
        : base("SecretOps.InvalidKey", SecretOpsErrorCategory.InvalidArgument, message, null, innerException)
    {
    }

    /// <summary>The key is encrypted and no passphrase was given: the key is fine, a passphrase would open it.</summary>
    public bool PassphraseRequired { get; init; }
}

/// <summary>Encrypted data failed authentication (<c>SecretOps.Tampered</c>). Never returns a wrong value instead.</summary>
public sealed class TamperedException : SecretOpsException
{
    /// <summary>Creates the error; <paramref name="what"/> names the object that failed, never its contents.</summary>
    public TamperedException(string what, Exception? innerException = null)
        : base("SecretOps.Tampered", SecretOpsErrorCategory.Tampered,
               $"{what} failed authentication: it was modified, moved to another record, or is corrupt.", what, innerException)
    {
    }

    /// <summary>
    /// Creates the error for a finding that is not a failed decryption (a row the store should not hold), with a
    /// message of its own that names <paramref name="what"/> and never its contents.
    /// </summary>
    public TamperedException(string what, string message, Exception? innerException = null)
        : base("SecretOps.Tampered", SecretOpsErrorCategory.Tampered, message, what, innerException)
    {
    }
}

/// <summary>The named object does not exist (<c>SecretOps.NotFound</c>).</summary>
public sealed class NotFoundException : SecretOpsException
{
    /// <summary>Creates the error; <paramref name="target"/> is the missing object's name.</summary>
    public NotFoundException(string message, object? target)
        : base("SecretOps.NotFound", SecretOpsErrorCategory.NotFound, message, target, null)
    {
    }
}

/// <summary>The credential did not unlock the client, or the client may not connect (<c>SecretOps.AuthenticationFailed</c>).</summary>
public sealed class AuthenticationFailedException : SecretOpsException
{
    /// <summary>Creates the error.</summary>
    public AuthenticationFailedException(string message, object? target, Exception? innerException = null)
        : base("SecretOps.AuthenticationFailed", SecretOpsErrorCategory.AuthenticationFailed, message, target, innerException)
    {
    }
}

/// <summary>The client lacks the permission (<c>SecretOps.AccessDenied</c>).</summary>
public sealed class AccessDeniedException : SecretOpsException
{
    /// <summary>Creates the error.</summary>
    public AccessDeniedException(string message, object? target)
        : base("SecretOps.AccessDenied", SecretOpsErrorCategory.AccessDenied, message, target, null)
    {
    }
}

/// <summary>A compare-and-swap failed or the object already exists (<c>SecretOps.Conflict</c>).</summary>
public sealed class ConflictException : SecretOpsException
{
    /// <summary>Creates the error.</summary>
    public ConflictException(string message, object? target)
        : base("SecretOps.Conflict", SecretOpsErrorCategory.Conflict, message, target, null)
    {
    }
}

/// <summary>The secret's time to live has passed (<c>SecretOps.Expired</c>).</summary>
public sealed class ExpiredException : SecretOpsException
{
    /// <summary>Creates the error.</summary>
    public ExpiredException(string message, object? target)
        : base("SecretOps.Expired", SecretOpsErrorCategory.Expired, message, target, null)
    {
    }
}

/// <summary>The session timed out or was closed; connect again (<c>SecretOps.StoreLocked</c>).</summary>
public sealed class StoreLockedException : SecretOpsException
{
    /// <summary>Creates the error.</summary>
    public StoreLockedException(string message, object? target)
        : base("SecretOps.StoreLocked", SecretOpsErrorCategory.AuthenticationFailed, message, target, null)
    {
    }
}

/// <summary>
/// The store file cannot be used: not a SecretOps store, truncated or corrupt, a newer format, or not
/// writable (<c>SecretOps.StoreUnavailable</c>, or <c>SecretOps.StoreCorrupt</c> for damage).
/// </summary>
public sealed class StoreUnavailableException : SecretOpsException
{
    /// <summary>Creates the error; <paramref name="corrupt"/> marks damage (exit code 7) rather than unavailability.</summary>
    public StoreUnavailableException(string message, object? path, bool corrupt = false, Exception? innerException = null)
        : this(corrupt ? "SecretOps.StoreCorrupt" : "SecretOps.StoreUnavailable", corrupt ? SecretOpsErrorCategory.Tampered : SecretOpsErrorCategory.Other, message, path, innerException)
    {
    }

    private StoreUnavailableException(string errorId, SecretOpsErrorCategory category, string message, object? path, Exception? innerException)
        : base(errorId, category, message, path, innerException)
    {
    }

    /// <summary>The store can only be read, and this needed to write to it (<c>SecretOps.StoreReadOnly</c>).</summary>
    public static StoreUnavailableException ReadOnly(string message, object? path, Exception? innerException = null) =>
        new("SecretOps.StoreReadOnly", SecretOpsErrorCategory.Other, message, path, innerException);
}
