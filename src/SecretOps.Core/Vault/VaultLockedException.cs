namespace SecretOps.Core.Vault;

/// <summary>
/// The vault has no open session and its credential needs a person (a client's passphrase, or the passphrase of
/// an encrypted key file): the extension turns this into SecretManagement's PasswordRequiredException
/// (<c>SecretOps.VaultLocked</c>) and names the commands
/// that provide it (<see cref="SecretOpsHint.UnlockVault"/>).
/// </summary>
public sealed class VaultLockedException : SecretOpsException
{
    /// <summary>Creates the error for vault <paramref name="vaultName"/>.</summary>
    public VaultLockedException(string vaultName, string client, string store, Exception? innerException = null)
        : base("SecretOps.VaultLocked", SecretOpsErrorCategory.AuthenticationFailed,
               $"A valid password is required to access the SecretOps vault '{vaultName}' (client '{client}' of '{store}').",
               vaultName, innerException)
    {
        VaultName = vaultName;
        Client = client;
        Store = store;
        Hint = SecretOpsHint.UnlockVault;
    }

    /// <summary>The SecretManagement vault's name.</summary>
    public string VaultName { get; }

    /// <summary>The client the vault connects as.</summary>
    public string Client { get; }

    /// <summary>The store's path.</summary>
    public string Store { get; }
}
