using System.Security;
using SecretOps.Core;
using SecretOps.Core.Crypto;

namespace SecretOps.Module.Commands;

/// <summary>
/// Base of the clients family. <c>-Name</c> is the client the command is about, so the session is picked
/// with <c>-Store</c> and <c>-AsClient</c>. Clients are looked up before a change (SecretOps.NotFound before
/// any prompt, and the stored spelling in messages); new credentials come from <c>-Passphrase</c> (asked
/// twice where a person can answer), <c>-GenerateSecret</c> or <c>-PublicKeyPath</c>.
/// </summary>
public abstract class ClientCmdlet : AsClientSessionCmdlet
{
    /// <summary>Parameter set of a passphrase credential (the default).</summary>
    private protected const string PassphraseSet = "Passphrase";

    /// <summary>Parameter set of a generated secret.</summary>
    private protected const string GenerateSet = "GenerateSecret";

    /// <summary>Parameter set of a key file the client keeps (only its public key is registered).</summary>
    private protected const string PublicKeySet = "PublicKey";

    /// <summary>The warning written with every output that carries a generated secret.</summary>
    private protected const string GeneratedSecretWarning =
        "The client's generated secret is in the ClientSecret property of this output and is shown only this once. " +
        "Store it now (for example in a file only its user can read, for Connect-SecretOpsStore -SecretFile); it cannot be recovered, only replaced with Update-SecretClientKey.";

    /// <summary>A client by name or id, as this session sees it; SecretOps.NotFound when there is none.</summary>
    private protected ClientInfo FindClient(string client) => Session.GetClient(client);

    /// <summary>True when <paramref name="client"/> (a name or id) is the client this session is connected as.</summary>
    private protected bool IsSelf(string client) =>
        string.Equals(client, Session.ClientName, StringComparison.OrdinalIgnoreCase) || (Guid.TryParse(client, out var id) && id == Session.ClientId);

    /// <summary>
    /// Disconnects the sessions <paramref name="client"/> has open on this store in this process (after it was
    /// disabled or retired), so it stops working here at once rather than at its idle timeout.
    /// </summary>
    private protected void DisconnectSessionsOf(ClientInfo client)
    {
        var store = Session.Store.Path;
        var sessions = SessionRegistry.All.Where(s => s.ClientId == client.Id && SamePath(s.Store.Path, store)).ToList();
        foreach (var session in sessions)
        {
            SessionRegistry.Remove(session);
        }

        if (sessions.Count > 0)
        {
            WriteWarning($"Disconnected {sessions.Count} session(s) of client '{client.Name}' to '{store}' in this PowerShell session.");
        }
    }

    /// <summary>Reads the PEM public key at <paramref name="path"/> (SecretOps.NotFound, SecretOps.InvalidKey).</summary>
    private protected ClientPublicKey ReadPublicKeyFile(string path)
    {
        var fullPath = ResolveFilePath(path, "PublicKeyPath");
        var publicKey = PemKeyReader.ReadPublicKeyFile(fullPath);
        WriteVerbose($"Read a {publicKey.Algorithm} public key ({publicKey.Fingerprint}) from '{fullPath}'.");
        return publicKey;
    }

    /// <summary>How a credential of <paramref name="parameterSet"/> is named in confirmation messages.</summary>
    private protected static string DescribeCredential(string parameterSet, ClientPublicKey? publicKey) => parameterSet switch
    {
        GenerateSet => "a generated secret",
        PublicKeySet => $"the public key {publicKey?.Fingerprint}",
        _ => "a passphrase",
    };

    /// <summary>
    /// The credential to give a client, once the change is confirmed. For a passphrase without
    /// <paramref name="passphrase"/>, asks twice (or stops with SecretOps.CredentialRequired); the characters
    /// are returned in <paramref name="chars"/>, which the caller wipes.
    /// </summary>
    private protected ClientCredentialSpec NewCredential(string parameterSet, SecureString? passphrase, bool allowWeakKdf, ClientPublicKey? publicKey, string clientName, out char[]? chars)
    {
        chars = null;
        switch (parameterSet)
        {
            case GenerateSet:
                return new ClientCredentialSpec { Kind = ClientKind.Generated };
            case PublicKeySet:
                return new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = publicKey ?? throw new InvalidOperationException("The public key was not read.") };
            default:
                chars = passphrase is not null
                    ? PowerShellValues.ToChars(passphrase)
                    : PromptNewPassphrase($"New passphrase for client '{clientName}'", "passphrase (-Passphrase, -GenerateSecret or -PublicKeyPath)", clientName);
                return new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = chars, AllowWeakKdf = allowWeakKdf };
        }
    }
}
