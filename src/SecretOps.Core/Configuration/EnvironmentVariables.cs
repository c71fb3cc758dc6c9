namespace SecretOps.Core.Configuration;

/// <summary>
/// The environment variables Core reads for more than one surface, named once so that the CLI, the cmdlets
/// and the vault read the same one and their help names the same one.
/// </summary>
public static class EnvironmentVariables
{
    /// <summary>
    /// A passphrase: the connecting client's (or an encrypted key file's) at connect, and the System client's
    /// when a store is created with no explicit credential (<see cref="StoreCreateOptions.CredentialFromEnvironment"/>).
    /// </summary>
    public const string Passphrase = "SECRETOPS_PASSPHRASE";

    /// <summary>The id of a System client chosen in advance, with <see cref="SystemClientSecret"/>.</summary>
    public const string SystemClientId = "SECRETOPS_SYSTEM_CLIENT_ID";

    /// <summary>The generated secret of a System client chosen in advance, with <see cref="SystemClientId"/>.</summary>
    public const string SystemClientSecret = "SECRETOPS_SYSTEM_CLIENT_SECRET";

    /// <summary>The file holding this client's enrolment token, for a store a server hosts (owner-only, like a key file).</summary>
    public const string TokenFile = "SECRETOPS_TOKEN_FILE";

    /// <summary>A PEM file of certificates to trust for a server's TLS certificate, besides the system's.</summary>
    public const string ServerCa = "SECRETOPS_SERVER_CA";
}
