namespace SecretOps.Cli;

/// <summary>
/// The CLI's exit codes (README.md, "Exit codes"). Engine errors map from their category here and
/// nowhere else.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Anything else: an I/O failure, a store that cannot be used, a declined confirmation.</summary>
    public const int Other = 1;

    /// <summary>The command line does not parse, or an argument or input is refused.</summary>
    public const int Usage = 2;

    /// <summary>The store, namespace, secret or version does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>The credential is wrong or missing for the client, or the client may not connect.</summary>
    public const int AuthenticationFailed = 4;

    /// <summary>The client lacks the permission.</summary>
    public const int AccessDenied = 5;

    /// <summary>A version mismatch (compare-and-swap), or the thing already exists.</summary>
    public const int Conflict = 6;

    /// <summary>Data failed authentication, the store file is corrupt, or a check found damage.</summary>
    public const int Tampered = 7;

    /// <summary>The secret exists but its time to live has passed.</summary>
    public const int Expired = 8;

    /// <summary>The exit code for an engine error category.</summary>
    public static int For(SecretOpsErrorCategory category) => category switch
    {
        SecretOpsErrorCategory.InvalidArgument => Usage,
        SecretOpsErrorCategory.NotFound => NotFound,
        SecretOpsErrorCategory.AuthenticationFailed => AuthenticationFailed,
        SecretOpsErrorCategory.AccessDenied => AccessDenied,
        SecretOpsErrorCategory.Conflict => Conflict,
        SecretOpsErrorCategory.Tampered => Tampered,
        SecretOpsErrorCategory.Expired => Expired,
        _ => Other,
    };

    /// <summary>The exit code for any exception that ends a command.</summary>
    public static int For(Exception exception) => exception switch
    {
        SecretOpsException e => For(e.Category),
        _ => Other,
    };
}
