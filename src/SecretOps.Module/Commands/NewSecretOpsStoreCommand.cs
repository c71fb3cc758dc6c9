using System.Management.Automation;
using System.Security;
using SecretOps.Core;
using SecretOps.Core.Crypto;

namespace SecretOps.Module.Commands;

/// <summary>
/// New-SecretOpsStore: creates the store file, its <c>default</c> namespace and its System client. The System
/// client authenticates with -Passphrase (Argon2id), a generated secret (-GenerateSecret: shown once, in the
/// output), or, when neither is given, what the environment gives (Core's one rule: SECRETOPS_SYSTEM_CLIENT_ID/SECRET,
/// then SECRETOPS_PASSPHRASE); otherwise an interactive session asks. The KDF bounds are Core's too.
/// </summary>
[Cmdlet(VerbsCommon.New, "SecretOpsStore", DefaultParameterSetName = PassphraseSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(StoreCreated))]
public sealed class NewSecretOpsStoreCommand : SecretOpsCmdlet
{
    private const string PassphraseSet = "Passphrase";
    private const string GenerateSet = "GenerateSecret";

    /// <summary>Where to create the store file.</summary>
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "Path of the store file to create; it must not exist yet.")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The System client's passphrase.</summary>
    [Parameter(ParameterSetName = PassphraseSet, Position = 1, HelpMessage = "Passphrase of the System client. Without it, SECRETOPS_SYSTEM_CLIENT_ID/SECRET or else SECRETOPS_PASSPHRASE are used; without those an interactive session asks for one.")]
    public SecureString? Passphrase { get; set; }

    /// <summary>Generate a secret for the System client instead.</summary>
    [Parameter(ParameterSetName = GenerateSet, Mandatory = true, HelpMessage = "Give the System client a generated 64-byte secret (for automation). It appears once, in the ClientSecret property of the output.")]
    public SwitchParameter GenerateSecret { get; set; }

    /// <summary>Argon2id memory in MiB.</summary>
    [Parameter(HelpMessage = "Argon2id memory cost in MiB for passphrase clients of this store (default 256; 64–4096, or 1–4096 with -AllowWeakKdf).")]
    public int? KdfMemoryMiB { get; set; }

    /// <summary>Argon2id passes.</summary>
    [Parameter(HelpMessage = "Argon2id passes for passphrase clients of this store (default 3; 3–16, or 1–16 with -AllowWeakKdf).")]
    public int? KdfIterations { get; set; }

    /// <summary>Argon2id lanes.</summary>
    [Parameter(HelpMessage = "Argon2id lanes for passphrase clients of this store (default 4; 1–64).")]
    public int? KdfParallelism { get; set; }

    /// <summary>Allow KDF parameters below the floor.</summary>
    [Parameter(HelpMessage = "Allow Argon2id parameters below the minimum (tests and throwaway stores only). Recorded in the store.")]
    public SwitchParameter AllowWeakKdf { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        char[]? passphrase = null;
        try
        {
            var fullPath = ResolveFilePath(Path, nameof(Path));
            var kdf = BuildKdf();
            if (!ShouldProcess(fullPath, "Create a SecretOps store"))
            {
                return;
            }

            (Guid Id, string Secret)? preset = null;
            if (!GenerateSecret)
            {
                if (Passphrase is not null)
                {
                    passphrase = PowerShellValues.ToChars(Passphrase);
                }
                else if (StoreCreateOptions.CredentialFromEnvironment() is { } fromEnvironment)
                {
                    preset = fromEnvironment.PresetSystemClient;
                    passphrase = fromEnvironment.Passphrase;
                }
                else
                {
                    passphrase = PromptNewPassphrase($"New passphrase for the System client of '{fullPath}'", "passphrase (-Passphrase or -GenerateSecret)", Path);
                }
            }

            WriteVerbose($"Creating '{fullPath}' with Argon2id m={kdf.MemoryKiB} KiB, t={kdf.Iterations}, p={kdf.Parallelism}.");
            var created = SecretStore.Create(fullPath, new StoreCreateOptions
            {
                Passphrase = passphrase,
                GenerateSecret = GenerateSecret,
                PresetSystemClient = preset,
                Kdf = kdf,
                AllowWeakKdf = AllowWeakKdf,
                Surface = CmdletSurface,
            });

            if (created.ClientSecret is not null)
            {
                WriteWarning("The System client's generated secret is in the ClientSecret property of this output and is shown only this once. " +
                             "Store it now (for example in a file only you can read, for Connect-SecretOpsStore -SecretFile); it cannot be recovered.");
            }

            WriteObject(created);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Path);
        }
        finally
        {
            PowerShellValues.Wipe(passphrase);
        }
    }

    private Argon2Parameters BuildKdf() => Argon2Parameters.ForNewStore(KdfMemoryMiB, KdfIterations, KdfParallelism, AllowWeakKdf);
}
