using System.Management.Automation;
using System.Security;
using SecretOps.Core;
using SecretOps.Core.Crypto;

namespace SecretOps.Module.Commands;

/// <summary>
/// Update-SecretClientKey: gives a client a new key pair and credential (-Passphrase, asked twice where a
/// person can answer; -GenerateSecret, shown once; or -PublicKeyPath), re-wrapping every key it holds.
/// Without -Name the connected client re-keys itself; the session is then closed, because it holds the old
/// private key: connect again with the new credential. An admin may re-key another client (a forgotten
/// passphrase, a leaked CI secret) only when it can itself reach every key that client holds.
/// </summary>
[Cmdlet(VerbsData.Update, "SecretClientKey", DefaultParameterSetName = PassphraseSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClientCreated))]
public sealed class UpdateSecretClientKeyCommand : ClientCmdlet
{
    /// <summary>The client to re-key; the connected one when absent.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Name or id of the client to re-key. Default: the connected client itself (its session is closed afterwards).")]
    [ArgumentCompleter(typeof(ClientNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The new passphrase.</summary>
    [Parameter(ParameterSetName = PassphraseSet, HelpMessage = "The new passphrase. Without it (and without -GenerateSecret or -PublicKeyPath) an interactive session asks for one twice.")]
    public SecureString? Passphrase { get; set; }

    /// <summary>Allow a passphrase sealed below the KDF floor (test stores created weak).</summary>
    [Parameter(ParameterSetName = PassphraseSet, HelpMessage = "Seal the new passphrase with the store's KDF defaults even when they are below the floor (64 MiB, 3 passes), on a store created with -AllowWeakKdf. For tests only; without it such defaults are refused.")]
    public SwitchParameter AllowWeakKdf { get; set; }

    /// <summary>Generate a new secret instead.</summary>
    [Parameter(ParameterSetName = GenerateSet, Mandatory = true, HelpMessage = "Replace the credential with a new generated 64-byte secret. It appears once, in the ClientSecret property of the output.")]
    public SwitchParameter GenerateSecret { get; set; }

    /// <summary>The public half of the client's new key pair.</summary>
    [Parameter(ParameterSetName = PublicKeySet, Mandatory = true, HelpMessage = "Path of the client's new PEM public key (RSA 2048+ or EC P-256/P-384); the client then connects with its private key.")]
    [ValidateNotNullOrEmpty]
    public string? PublicKeyPath { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        char[]? passphrase = null;
        try
        {
            var self = Name is null || IsSelf(Name);
            var target = self ? Session.ClientName : FindClient(Name!).Name;
            ClientPublicKey? publicKey = ParameterSetName == PublicKeySet ? ReadPublicKeyFile(PublicKeyPath!) : null;
            var action = $"Replace the client's key pair and credential with {DescribeCredential(ParameterSetName, publicKey)}; the old credential stops working"
                         + (self ? " and this session is closed" : "");
            if (!ShouldProcess(target, action))
            {
                return;
            }

            var credential = NewCredential(ParameterSetName, Passphrase, AllowWeakKdf, publicKey, target, out passphrase);
            var session = Session;
            var created = session.RotateClientKey(self ? null : target, credential);
            WriteVerbose($"Client '{created.Client.Name}' has a new {created.Client.KeyAlgorithm} key ({created.Client.Fingerprint}), authenticated by {created.Client.Kind}.");
            if (self)
            {
                // Core closed the session: its private key can no longer open anything. Its pending audit
                // entries are still written when this command ends.
                SessionRegistry.Remove(session);
                WriteWarning($"The session of client '{created.Client.Name}' on '{session.Store.Path}' was closed because its key changed; run Connect-SecretOpsStore with the new credential.");
            }

            if (created.ClientSecret is not null)
            {
                WriteWarning(GeneratedSecretWarning);
            }

            WriteObject(created);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name ?? CurrentSession?.ClientName);
        }
        finally
        {
            PowerShellValues.Wipe(passphrase);
        }
    }
}
