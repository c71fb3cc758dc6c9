namespace SecretOps.Server;

/// <summary>
/// The server's exit codes: the CLI's numbers (README.md, "Exit codes") for the failures a server can have at start.
/// </summary>
internal static class ServerExitCodes
{
    /// <summary>Stopped by SIGTERM or Ctrl-C after a clean shutdown.</summary>
    public const int Ok = 0;

    /// <summary>Anything else: the storage cannot be opened, the address is in use.</summary>
    public const int Other = 1;

    /// <summary>The command line does not parse, or a setting is refused (bad value, unknown key, unsafe TLS or forwarding, a key file others can read).</summary>
    public const int Usage = 2;

    /// <summary>The configuration, certificate or key file does not exist.</summary>
    public const int NotFound = 3;

    /// <summary>An operator's command found the thing already there (a client already enrolled, without --replace).</summary>
    public const int Conflict = 6;

    /// <summary>The exit code for an exception that stops the server from starting.</summary>
    public static int For(Exception exception) => exception switch
    {
        SecretOpsException { Category: SecretOpsErrorCategory.InvalidArgument } => Usage,
        SecretOpsException { Category: SecretOpsErrorCategory.NotFound } => NotFound,
        SecretOpsException { Category: SecretOpsErrorCategory.Conflict } => Conflict,
        _ => Other,
    };
}
