using System.Collections;
using System.Management.Automation;
using System.Security;
using SecretOps.Core.Secrets;
using SecretOps.Core.Vault;

namespace SecretOps.Module;

/// <summary>
/// What one vault call produced, for module/SecretOps.Extension/SecretOps.Extension.psm1 to hand to
/// SecretManagement: verbose lines, warnings, error records to write (never thrown), the value, and whether
/// the vault is locked (the script throws SecretManagement's PasswordRequiredException with that message).
/// </summary>
public sealed class VaultCallResult
{
    private readonly bool verboseWanted;
    private readonly List<string> verbose = [];
    private readonly List<string> warnings = [];
    private readonly List<ErrorRecord> errors = [];

    /// <summary>Get-Secret's value (string, SecureString, PSCredential, byte[] or Hashtable), Test-SecretVault's verdict; else null.</summary>
    public object? Value { get; internal set; }

    /// <summary>Get-SecretInfo's entries: a SecretManagement SecretInformation[], written whole; null when there are none.</summary>
    public Array? Infos { get; internal set; }

    /// <summary>Errors to write with Write-Error.</summary>
    public IReadOnlyList<ErrorRecord> Errors => errors;

    /// <summary>Lines to write with Write-Verbose.</summary>
    public IReadOnlyList<string> Verbose => verbose;

    /// <summary>Lines to write with Write-Warning.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Set when the vault is locked: the message of the PasswordRequiredException to throw.</summary>
    public string? PasswordRequired { get; internal set; }

    /// <summary>Whether there is anything to write or throw besides the value (the script skips that work when not).</summary>
    public bool HasMessages => verbose.Count > 0 || warnings.Count > 0 || errors.Count > 0 || PasswordRequired is not null;

    private VaultCallResult(bool verboseWanted) => this.verboseWanted = verboseWanted;

    /// <summary>
    /// A result for a call with <paramref name="additionalParameters"/>: verbose lines are kept only when they hold Verbose
    /// = $true (SecretManagement never passes -Verbose; it sends AdditionalParameters.Verbose, always present).
    /// </summary>
    internal static VaultCallResult For(IDictionary? additionalParameters) =>
        new(additionalParameters is not null && PowerShellValues.Unwrap(additionalParameters["Verbose"]) is true);

    internal void AddVerbose(string line)
    {
        if (verboseWanted)
        {
            verbose.Add(line);
        }
    }

    internal void AddWarning(string line) => warnings.Add(line);

    internal void AddError(ErrorRecord record) => errors.Add(record);
}

/// <summary>
/// The static API the SecretManagement extension script calls, one method per vault function, taking exactly
/// what SecretManagement splats. It converts PowerShell values at the edge and leaves the semantics to
/// Core's <see cref="SecretVault"/>. Nothing here throws for an expected failure: errors come back as records.
/// </summary>
public static class VaultCommands
{
    /// <summary>Get-Secret: the value, or nothing (and no error) when absent; an expired secret is a SecretOps.Expired error saying when.</summary>
    public static VaultCallResult GetSecret(string? name, string? vaultName, IDictionary? additionalParameters) =>
        Run(vaultName, additionalParameters, name, (result, vault, settings) =>
        {
            using var value = SecretVault.GetSecret(vault, settings, RequireName(name));
            result.Value = value is null ? null : ToPowerShell(value);
            result.AddVerbose(value is null ? $"Secret '{name}' was not found in vault '{vault}'." : $"Read secret '{name}' from vault '{vault}'.");
        });

    /// <summary>Set-Secret: creates or updates; empty metadata keeps the secret's metadata.</summary>
    public static VaultCallResult SetSecret(string? name, object? secret, string? vaultName, IDictionary? additionalParameters, IDictionary? metadata) =>
        Run(vaultName, additionalParameters, name, (result, vault, settings) =>
        {
            var converted = ToMetadata(metadata);
            using var value = PowerShellValues.ToSecretValue(secret);
            var entry = SecretVault.SetSecret(vault, settings, RequireName(name), value, converted);
            result.AddVerbose($"Stored secret '{entry.Name}' version {entry.Version} in vault '{vault}' (namespace '{entry.Namespace}').");
        });

    /// <summary>Set-SecretInfo: replaces the metadata (an empty table clears it).</summary>
    public static VaultCallResult SetSecretInfo(string? name, IDictionary? metadata, string? vaultName, IDictionary? additionalParameters) =>
        Run(vaultName, additionalParameters, name, (result, vault, settings) =>
        {
            var entry = SecretVault.SetSecretInfo(vault, settings, RequireName(name), ToMetadata(metadata));
            result.AddVerbose($"Replaced the metadata of secret '{entry.Name}' in vault '{vault}'.");
        });

    /// <summary>Remove-Secret: removes the secret and every version; a missing one is an error.</summary>
    public static VaultCallResult RemoveSecret(string? name, string? vaultName, IDictionary? additionalParameters) =>
        Run(vaultName, additionalParameters, name, (result, vault, settings) =>
        {
            SecretVault.RemoveSecret(vault, settings, RequireName(name));
            result.AddVerbose($"Removed secret '{name}' from vault '{vault}'.");
        });

    /// <summary>Get-SecretInfo: the matching secrets (wildcard or literal, ignoring case); never prompts.</summary>
    public static VaultCallResult GetSecretInfo(string? filter, string? vaultName, IDictionary? additionalParameters, Type informationType) =>
        Run(vaultName, additionalParameters, filter, (result, vault, settings) =>
        {
            var infos = SecretVault.GetSecretInfo(vault, settings, filter);
            if (infos.Count > 0)
            {
                result.Infos = SecretInformationFactory.For(informationType).Create(infos, vault);
            }

            result.AddVerbose($"Vault '{vault}' has {infos.Count} secret(s) matching '{filter}'.");
        });

    /// <summary>Test-SecretVault: read-only; every problem as an error record, and exactly one bool in <see cref="VaultCallResult.Value"/>.</summary>
    public static VaultCallResult TestSecretVault(string? vaultName, IDictionary? additionalParameters)
    {
        var result = VaultCallResult.For(additionalParameters);
        var vault = vaultName ?? "";
        try
        {
            var test = SecretVault.Test(vault, ToParameters(additionalParameters));
            foreach (var problem in test.Problems)
            {
                result.AddError(problem.ToErrorRecord(vault));
            }

            result.Value = test.IsValid;
            result.AddVerbose(test.IsValid ? $"Vault '{vault}' is usable." : $"Vault '{vault}' has {test.Problems.Count} problem(s).");
        }
        catch (Exception e)
        {
            result.AddError(ErrorMapping.ToErrorRecord(e, vault));
            result.Value = false;
        }

        return result;
    }

    /// <summary>
    /// Unlock-SecretVault: connects with the password (a passphrase client, or an encrypted key file's passphrase);
    /// a vault that does not use a password says so in a warning, naming where its credential comes from.
    /// </summary>
    public static VaultCallResult UnlockSecretVault(SecureString? password, string? vaultName, IDictionary? additionalParameters) =>
        Run(vaultName, additionalParameters, vaultName, (result, vault, settings) =>
        {
            if (password is null || password.Length == 0)
            {
                throw new InvalidParameterException("Password", "The password is empty.");
            }

            var chars = PowerShellValues.ToChars(password);
            VaultUnlockResult unlocked;
            try
            {
                unlocked = SecretVault.Unlock(vault, settings, chars);
            }
            finally
            {
                PowerShellValues.Wipe(chars);
            }

            if (unlocked.PasswordUsed)
            {
                result.AddVerbose($"Vault '{vault}' is unlocked.");
                return;
            }

            var source = unlocked.Authentication == VaultAuthentication.SecretFile
                ? $"the secret file '{unlocked.CredentialSource}'"
                : $"the environment variable '{unlocked.CredentialSource}'";
            result.AddWarning($"Vault '{vault}' does not use a password: it authenticates with {source} (its VaultParameters {unlocked.Authentication}); the password was ignored. It needs no unlocking.");
        }, lockedIsError: true);

    /// <summary>
    /// Unregister-SecretVault: closes the session the vault opened (sessions connected by the user stay). It never
    /// writes an error, which would stop SecretManagement from removing the registration under -ErrorAction Stop:
    /// VaultParameters that are not valid (one holding a secret, say) are a warning, and the registration goes.
    /// </summary>
    public static VaultCallResult UnregisterSecretVault(string? vaultName, IDictionary? additionalParameters)
    {
        var result = VaultCallResult.For(additionalParameters);
        var vault = vaultName ?? "";
        var unregistered = SecretVault.Unregister(vault, ToParameters(additionalParameters));
        result.AddVerbose(unregistered.ClosedSession ? $"Closed the session vault '{vault}' opened." : $"Vault '{vault}' had no session of its own open.");
        if (unregistered.InvalidParameters is { } problem)
        {
            result.AddWarning($"Vault '{vault}' is unregistered although its VaultParameters are not valid: {problem.Message}");
        }

        return result;
    }

    /// <summary>AdditionalParameters (case-sensitive keys, PSObject-wrapped values) as Core takes them.</summary>
    internal static IEnumerable<KeyValuePair<string, object?>> ToParameters(IDictionary? parameters)
    {
        var list = new List<KeyValuePair<string, object?>>();
        if (parameters is not null)
        {
            foreach (DictionaryEntry entry in parameters)
            {
                list.Add(new(PowerShellValues.Unwrap(entry.Key)?.ToString() ?? "", PowerShellValues.Unwrap(entry.Value)));
            }
        }

        return list;
    }

    private static Dictionary<string, object?>? ToMetadata(IDictionary? metadata)
    {
        if (metadata is null)
        {
            return null;
        }

        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in PowerShellValues.ToMetadata(metadata))
        {
            result[key] = value;
        }

        return result;
    }

    private static string RequireName(string? name) =>
        string.IsNullOrEmpty(name) ? throw new InvalidParameterException("Name", "A secret name is required.") : name;

    /// <summary>
    /// String values come back as strings and SecureString ones as SecureStrings (SecretManagement converts
    /// either way for -AsPlainText); credentials, bytes and tables as PowerShell hands them out.
    /// </summary>
    private static object ToPowerShell(SecretValue value)
    {
        switch (value.Type)
        {
            case SecretValueType.String:
                return value.GetString();
            case SecretValueType.Hashtable:
                var entries = value.GetTable();
                try
                {
                    var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
                    foreach (var (key, entry) in entries)
                    {
                        table[key] = ToPowerShell(entry);
                    }

                    return table;
                }
                finally
                {
                    foreach (var entry in entries.Values)
                    {
                        entry.Dispose();
                    }
                }

            default:
                return PowerShellValues.FromSecretValue(value, asPlainText: false);
        }
    }

    private static VaultCallResult Run(string? vaultName, IDictionary? additionalParameters, object? target,
                                       Action<VaultCallResult, string, VaultSettings> body, bool lockedIsError = false)
    {
        var result = VaultCallResult.For(additionalParameters);
        var vault = vaultName ?? "";
        try
        {
            var settings = VaultSettings.Parse(ToParameters(additionalParameters));
            var resolved = SecretVault.Resolve(settings);
            result.AddVerbose($"SecretOps vault '{vault}': store '{resolved.Store}', client '{resolved.Client}', namespace '{resolved.Namespace}', authentication {settings.Authentication}.");
            body(result, vault, settings);
        }
        catch (VaultLockedException e) when (!lockedIsError)
        {
            result.PasswordRequired = ErrorMapping.Describe(e);
        }
        catch (Exception e)
        {
            // SecretManagement replaces a thrown error with a generic one: every failure is written instead.
            result.Value = null;
            result.AddError(ErrorMapping.ToErrorRecord(e, target));
        }

        return result;
    }
}
