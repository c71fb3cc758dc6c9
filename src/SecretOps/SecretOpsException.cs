namespace SecretOps;

/// <summary>What kind of failure an error is; the CLI maps it to an exit code, the module to an ErrorCategory.</summary>
public enum SecretOpsErrorCategory
{
    /// <summary>An argument or input is malformed, out of range or refused by policy.</summary>
    InvalidArgument,

    /// <summary>Data failed authentication: it was modified, moved or corrupted.</summary>
    Tampered,
}

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

/// <summary>A key (PEM, public key, key size or curve) cannot be used (<c>SecretOps.InvalidKey</c>).</summary>
public sealed class InvalidKeyException : SecretOpsException
{
    /// <summary>Creates the error.</summary>
    public InvalidKeyException(string message, Exception? innerException = null)
        : base("SecretOps.InvalidKey", SecretOpsErrorCategory.InvalidArgument, message, null, innerException)
    {
    }
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
}
