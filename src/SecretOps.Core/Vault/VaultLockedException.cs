namespace SecretOps.Core.Vault;

/// <summary>
/// The vault has no open session and its credential needs a person (a client's passphrase, or the passphrase of
/// an encrypted key file): the extension turns this into SecretManagement's PasswordRequiredException
/// (<c>SecretOps.VaultLocked</c>).
/// </summary>
public sealed class VaultLockedException : SecretOpsException
{
    /// <summary>Creates the error for vault <paramref name="vaultName"/>.</summary>
    public VaultLockedException(string vaultName, string client, string store, Exception? innerException = null)
        : base("SecretOps.VaultLocked", SecretOpsErrorCategory.AuthenticationFailed,
               $"A valid password is required to access the SecretOps vault '{vaultName}' (client '{client}' of '{store}'). " +
               $"Use Unlock-SecretVault -Name '{vaultName}' (or Connect-SecretOpsStore -Path '{store}' -Client '{client}') to provide it.",
               vaultName, innerException)
    {
    }
}
