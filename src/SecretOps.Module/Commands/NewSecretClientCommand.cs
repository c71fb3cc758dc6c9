using System.Management.Automation;
using System.Security;
using SecretOps.Core;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;

namespace SecretOps.Module.Commands;

/// <summary>
/// New-SecretClient: creates a client (System and Admin clients only) for a person, machine or runbook.
/// It authenticates with a passphrase (-Passphrase, or asked twice where a person can answer), a generated
/// secret (-GenerateSecret: in the output's ClientSecret, shown once) or a key file it keeps
/// (-PublicKeyPath: only the public key is registered). A new client holds no permission until granted one.
/// Name, Role and Description bind by property name (<c>Import-Csv team.csv | New-SecretClient -GenerateSecret</c>).
/// </summary>
[Cmdlet(VerbsCommon.New, "SecretClient", DefaultParameterSetName = PassphraseSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClientCreated))]
public sealed class NewSecretClientCommand : ClientCmdlet
{
    /// <summary>The new client's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "Name of the new client: 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit.")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Admin or Member.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Role of the new client: Member (uses what it is granted; the default) or Admin (also creates clients and namespaces).")]
    [ValidateSet(nameof(ClientRole.Admin), nameof(ClientRole.Member), IgnoreCase = true)]
    public ClientRole Role { get; set; } = ClientRole.Member;

    /// <summary>A description.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Who or what the client is (at most 1024 characters).")]
    public string? Description { get; set; }

    /// <summary>The client's passphrase.</summary>
    [Parameter(ParameterSetName = PassphraseSet, HelpMessage = "Passphrase of the new client. Without it (and without -GenerateSecret or -PublicKeyPath) an interactive session asks for one twice.")]
    public SecureString? Passphrase { get; set; }

    /// <summary>Allow a passphrase sealed below the KDF floor (test stores created weak).</summary>
    [Parameter(ParameterSetName = PassphraseSet, HelpMessage = "Seal the passphrase with the store's KDF defaults even when they are below the floor (64 MiB, 3 passes), on a store created with -AllowWeakKdf. For tests only; without it such defaults are refused.")]
    public SwitchParameter AllowWeakKdf { get; set; }

    /// <summary>Generate a secret instead.</summary>
    [Parameter(ParameterSetName = GenerateSet, Mandatory = true, HelpMessage = "Give the client a generated 64-byte secret (for automation). It appears once, in the ClientSecret property of the output.")]
    public SwitchParameter GenerateSecret { get; set; }

    /// <summary>The public half of a key pair the client keeps.</summary>
    [Parameter(ParameterSetName = PublicKeySet, Mandatory = true, HelpMessage = "Path of the client's PEM public key (RSA 2048+ or EC P-256/P-384); the client connects with the private key, which never reaches the store.")]
    [ValidateNotNullOrEmpty]
    public string? PublicKeyPath { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        char[]? passphrase = null;
        try
        {
            Names.ValidateClientName(Name);
            ClientPublicKey? publicKey = ParameterSetName == PublicKeySet ? ReadPublicKeyFile(PublicKeyPath!) : null;
            if (ParameterSetName == PassphraseSet && Passphrase is null)
            {
                // What Core would refuse anyway is refused before asking for a passphrase twice (Core checks
                // again in the transaction).
                if (Session.Role == ClientRole.Member)
                {
                    throw new AccessDeniedException($"Client '{Session.ClientName}' is a member; only admins create clients.", Session.ClientName);
                }

                if (Session.ListClients().FirstOrDefault(c => string.Equals(c.Name, Name, StringComparison.OrdinalIgnoreCase)) is { } existing)
                {
                    throw new ConflictException($"A client named '{existing.Name}' already exists.", existing.Name);
                }
            }

            if (!ShouldProcess(Name, $"Create a{(Role == ClientRole.Admin ? "n admin" : " member")} client authenticated by {DescribeCredential(ParameterSetName, publicKey)}"))
            {
                return;
            }

            var credential = NewCredential(ParameterSetName, Passphrase, AllowWeakKdf, publicKey, Name, out passphrase);
            var created = Session.AddClient(Name, credential, Role, Description);
            WriteVerbose($"Created {created.Client.Role} client '{created.Client.Name}' ({created.Client.Kind}, {created.Client.KeyAlgorithm} {created.Client.Fingerprint}); it holds no permission until granted one.");
            if (created.ClientSecret is not null)
            {
                WriteWarning(GeneratedSecretWarning);
            }

            WriteObject(created);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
        }
        finally
        {
            PowerShellValues.Wipe(passphrase);
        }
    }
}
