using System.Collections;
using System.Management.Automation;
using SecretOps.Core.Vault;

namespace SecretOps.Module.Commands;

/// <summary>
/// Register-SecretOpsVault: registers a store, namespace and client as a SecretManagement vault by calling
/// <c>Microsoft.PowerShell.SecretManagement\Register-SecretVault</c> with SecretOps' manifest. The
/// VaultParameters say where the credential is (a secret file, a key file, an environment variable, or a
/// passphrase given with Unlock-SecretVault), never what it is: SecretManagement stores them in plain JSON.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "SecretOpsVault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = DefaultSet)]
[OutputType(typeof(void))]
public sealed class RegisterSecretOpsVaultCommand : SecretOpsCmdlet
{
    private const string DefaultSet = "Default";
    private const string SecretFileSet = "SecretFile";
    private const string KeyFileSet = "KeyFile";
    private const string EnvironmentSet = "SecretEnvironmentVariable";
    private const string PromptSet = "Prompt";
    private const string SecretManagement = "Microsoft.PowerShell.SecretManagement";

    /// <summary>The vault's name in SecretManagement.</summary>
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "Name of the SecretManagement vault to register (unique among registered vaults, ignoring case).")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The store file.</summary>
    [Parameter(Mandatory = true, Position = 1, HelpMessage = "Path of the SecretOps store the vault uses, registered as an absolute path; or the server hosting it (-Uri https://host:port).")]
    [Alias("Uri")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(HelpMessage = "For a store a server hosts: the owner-only file holding the client's enrolment token; only the path is registered. Default: SECRETOPS_TOKEN_FILE or the profile's, at each use. A client with a generated secret, named by its id, may go without: it signs with the key its secret derives.")]
    [ValidateNotNullOrEmpty]
    public string? TokenFile { get; set; }

    /// <summary>The namespace the vault's secrets live in.</summary>
    [Parameter(HelpMessage = "Namespace the vault's secrets live in. Default: SECRETOPS_NAMESPACE, the profile's namespace, or 'default', resolved at each use.")]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    /// <summary>The client the vault connects as.</summary>
    [Parameter(HelpMessage = "Name or id of the client the vault connects as. Default: SECRETOPS_CLIENT, the profile's client, or 'system', resolved at each use.")]
    [ArgumentCompleter(typeof(ClientCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Client { get; set; }

    /// <summary>A file holding the client's generated secret.</summary>
    [Parameter(ParameterSetName = SecretFileSet, Mandatory = true, HelpMessage = "Path of a file holding the client's generated secret (secretops_...); only the path is registered.")]
    [ValidateNotNullOrEmpty]
    public string? SecretFile { get; set; }

    /// <summary>The client's PEM private key file.</summary>
    [Parameter(ParameterSetName = KeyFileSet, Mandatory = true, HelpMessage = "Path of the client's PEM private key file; only the path is registered. An encrypted key's passphrase comes from SECRETOPS_PASSPHRASE or Unlock-SecretVault.")]
    [ValidateNotNullOrEmpty]
    public string? KeyFile { get; set; }

    /// <summary>An environment variable holding the client's generated secret or passphrase.</summary>
    [Parameter(ParameterSetName = EnvironmentSet, Mandatory = true, HelpMessage = "Name of an environment variable that holds the client's generated secret or passphrase when the vault is used; only the name is registered.")]
    [ValidateNotNullOrEmpty]
    public string? SecretEnvironmentVariable { get; set; }

    /// <summary>The client's passphrase is given with Unlock-SecretVault.</summary>
    [Parameter(ParameterSetName = PromptSet, Mandatory = true, HelpMessage = "The vault stays locked until Unlock-SecretVault (or Connect-SecretOpsStore) gives the client's passphrase in this process.")]
    public SwitchParameter Prompt { get; set; }

    /// <summary>Make it SecretManagement's default vault.</summary>
    [Parameter(HelpMessage = "Make the vault SecretManagement's default vault.")]
    public SwitchParameter DefaultVault { get; set; }

    /// <summary>Replace a registration of the same name.</summary>
    [Parameter(HelpMessage = "Replace an existing vault registration of the same name.")]
    public SwitchParameter AllowClobber { get; set; }

    /// <summary>A description for Get-SecretVault.</summary>
    [Parameter(HelpMessage = "Description shown by Get-SecretVault. Default: the store, namespace and client.")]
    public string? Description { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        Hashtable parameters;
        try
        {
            var settings = new VaultSettings
            {
                Path = ResolveStoreLocation(Path, nameof(Path)),
                TokenFile = TokenFile is null ? null : ResolveFilePath(TokenFile, nameof(TokenFile)),
                Namespace = Namespace,
                Client = Client,
                Authentication = ParameterSetName switch
                {
                    SecretFileSet => VaultAuthentication.SecretFile,
                    KeyFileSet => VaultAuthentication.KeyFile,
                    EnvironmentSet => VaultAuthentication.SecretEnvironmentVariable,
                    PromptSet => VaultAuthentication.Prompt,
                    _ => VaultAuthentication.Default,
                },
                CredentialSource = ParameterSetName switch
                {
                    SecretFileSet => ResolveFilePath(SecretFile!, nameof(SecretFile)),
                    KeyFileSet => ResolveFilePath(KeyFile!, nameof(KeyFile)),
                    EnvironmentSet => SecretEnvironmentVariable,
                    _ => null,
                },
            };

            // Validates as the vault will read it back: no secret, absolute paths, one credential source.
            parameters = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in settings.ToVaultParameters())
            {
                parameters[key] = value;
            }

            if (!SecretOps.Core.SecretStore.IsServerAddress(settings.Path!) && !File.Exists(settings.Path))
            {
                WriteWarning($"The store '{settings.Path}' does not exist yet; the vault works once it does (Test-SecretVault -Name '{Name}' checks).");
            }

            if (settings.Authentication is VaultAuthentication.SecretFile or VaultAuthentication.KeyFile && !File.Exists(settings.CredentialSource))
            {
                WriteWarning($"The file '{settings.CredentialSource}' does not exist yet.");
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Name);
            return;
        }

        var manifest = FindManifest();
        if (!ShouldProcess($"SecretManagement vault '{Name}' for '{parameters["Path"]}'", "Register"))
        {
            return;
        }

        using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
        shell.AddCommand($@"{SecretManagement}\Register-SecretVault")
            .AddParameter("Name", Name)
            .AddParameter("ModuleName", manifest)
            .AddParameter("VaultParameters", parameters)
            .AddParameter("Description", Description ?? $"SecretOps store '{parameters["Path"]}'" + (Namespace is null ? "" : $", namespace '{Namespace}'") + (Client is null ? "" : $", client '{Client}'"));
        if (DefaultVault.IsPresent)
        {
            shell.AddParameter("DefaultVault", DefaultVault.ToBool());
        }

        if (AllowClobber)
        {
            shell.AddParameter("AllowClobber", true);
        }

        try
        {
            shell.Invoke();
        }
        catch (CommandNotFoundException e)
        {
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException($"{SecretManagement} is not installed or cannot be loaded: install it (Install-PSResource {SecretManagement}) to register SecretOps as a vault.", e),
                "SecretOps.SecretManagementMissing", ErrorCategory.NotInstalled, SecretManagement));
        }
        catch (RuntimeException e)
        {
            WriteError(new ErrorRecord(e.ErrorRecord, e));
            return;
        }

        foreach (var error in shell.Streams.Error)
        {
            WriteError(error);
        }

        if (!shell.HadErrors)
        {
            WriteVerbose($"Registered SecretManagement vault '{Name}' (module '{manifest}').");
        }
    }

    /// <summary>SecretOps.psd1: beside the module's bin folder (this assembly's), or in the loaded module's base.</summary>
    private string FindManifest()
    {
        var candidates = new List<string?>();
        var binary = System.IO.Path.GetDirectoryName(typeof(RegisterSecretOpsVaultCommand).Assembly.Location);
        candidates.Add(binary is null ? null : System.IO.Path.GetDirectoryName(binary));
        var moduleBase = MyInvocation.MyCommand?.Module?.ModuleBase;
        candidates.Add(moduleBase);
        candidates.Add(moduleBase is null ? null : System.IO.Path.GetDirectoryName(moduleBase));
        foreach (var folder in candidates.Where(c => !string.IsNullOrEmpty(c)))
        {
            var manifest = System.IO.Path.Combine(folder!, "SecretOps.psd1");
            if (File.Exists(manifest))
            {
                return manifest;
            }
        }

        ThrowTerminatingError(new ErrorRecord(
            new FileNotFoundException("SecretOps.psd1 was not found beside the module's bin folder; import SecretOps from its module folder."),
            "SecretOps.ManifestNotFound", ErrorCategory.ObjectNotFound, binary));
        return "";
    }
}
