namespace SecretOps.Core.Vault;

/// <summary>
/// The vault has no open session and its credential needs a person (a passphrase): the extension turns this
/// into SecretManagement's PasswordRequiredException (<c>SecretOps.VaultLocked</c>).
/// </summary>
public sealed class VaultLockedException : SecretOpsException
{
    /// <summary>Creates the error for vault <paramref name="vaultName"/>.</summary>
    public VaultLockedException(string vaultName, string client, string store)
        : base("SecretOps.VaultLocked", SecretOpsErrorCategory.AuthenticationFailed,
               $"A valid password is required to access the SecretOps vault '{vaultName}' (client '{client}' of '{store}'). " +
               $"Use Unlock-SecretVault -Name '{vaultName}' (or Connect-SecretOpsStore -Path '{store}' -Client '{client}') to provide it.",
               vaultName, null)
    {
    }
}
