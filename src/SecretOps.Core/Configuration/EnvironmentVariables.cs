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
}
