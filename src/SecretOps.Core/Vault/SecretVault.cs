using System.Collections.Concurrent;
using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;
using SecretOps.Core.Secrets;

namespace SecretOps.Core.Vault;

/// <summary>One secret as Get-SecretInfo reports it: its name, SecretManagement type name and metadata.</summary>
public sealed record VaultSecretInfo(string Name, string TypeName, IReadOnlyDictionary<string, object> Metadata);

/// <summary>What Test-SecretVault found: every problem, and one verdict.</summary>
public sealed record VaultTestResult(bool IsValid, IReadOnlyList<SecretOpsException> Problems);

/// <summary>
/// The SecretManagement vault semantics over a SecretOps store, without PowerShell types. Each registration's
/// <see cref="VaultSettings"/> pick the store, client and namespace, so several registrations are independent
/// vaults; sessions come from (and go to) <see cref="SessionRegistry"/>, so a session opened with
/// Connect-SecretOpsStore serves the vault too. Nothing here prompts: a vault whose credential needs a person
/// and has no session throws <see cref="VaultLockedException"/>.
/// </summary>
public static class SecretVault
{
    /// <summary>Sessions the vault opened itself (Unregister-SecretVault closes only those).</summary>
    private static readonly ConcurrentDictionary<Session, byte> OpenedByVault = new();

    /// <summary>SecretManagement's SecretType name for a value type.</summary>
    public static string SecretTypeName(SecretValueType type) => type switch
    {
        SecretValueType.String => "String",
        SecretValueType.SecureString => "SecureString",
        SecretValueType.Credential => "PSCredential",
        SecretValueType.Bytes => "ByteArray",
        SecretValueType.Hashtable => "Hashtable",
        _ => "Unknown",
    };

    /// <summary>
    /// Metadata as vaults accept it (SecretManagement's minimum): string, int and DateTime values only (the edge
    /// unwraps PSObject first); anything else is refused naming the key and type. Limits are Core's.
    /// </summary>
    public static IReadOnlyDictionary<string, object> ValidateMetadata(IReadOnlyDictionary<string, object?>? metadata)
    {
        var accepted = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, object?>())
        {
            accepted[key] = value switch
            {
                string or int or DateTime => value,
                null => throw new InvalidParameterException("Metadata", $"Metadata '{Names.Printable(key)}' has no value; SecretOps vaults accept metadata of types string, int and DateTime."),
                _ => throw new InvalidParameterException("Metadata",
                    $"Metadata '{Names.Printable(key)}' is a {value.GetType().FullName}, which is refused: SecretOps vaults accept metadata of types string, int and DateTime only."),
            };
        }

        return SecretMetadata.Validate(accepted);
    }

    /// <summary>
    /// The session for the vault: an open one for its store and client, or a new one connected with the
    /// vault's credential (never prompting). <paramref name="passphrase"/> is what Unlock-SecretVault gave.
    /// </summary>
    public static Session OpenSession(string vaultName, VaultSettings settings, ReadOnlySpan<char> passphrase = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var resolved = Resolve(settings);
        if (passphrase.IsEmpty && SessionRegistry.Find(resolved.Store, resolved.Client) is { } existing)
        {
            return existing;
        }

        using var credential = Credential(vaultName, settings, resolved, passphrase);
        var session = Connector.Connect(resolved, credential, Surface.Vault);
        SessionRegistry.Add(session);
        OpenedByVault[session] = 0;
        foreach (var closed in OpenedByVault.Keys.Where(s => !s.IsOpen))
        {
            OpenedByVault.TryRemove(closed, out _);
        }

        return session;
    }

    /// <summary>The value, or null when the secret does not exist or has expired (SecretManagement's "not found", no error).</summary>
    public static SecretValue? GetSecret(string vaultName, VaultSettings settings, string name)
    {
        var (session, ns) = Open(vaultName, settings);
        try
        {
            var result = session.GetSecret(ns, name);
            return result.Value;
        }
        catch (Exception e) when (e is NotFoundException or ExpiredException)
        {
            // A missing namespace is a misconfigured vault, not a missing secret.
            if (e is NotFoundException && IsMissingNamespace(e, ns))
            {
                throw;
            }

            return null;
        }
        finally
        {
            session.FlushAudit();
        }
    }

    /// <summary>
    /// Creates or updates a secret. Empty or absent metadata keeps what the secret has (SecretManagement always
    /// sends a table, empty when the user gave none); Set-SecretInfo replaces or clears it.
    /// </summary>
    public static SecretEntry SetSecret(string vaultName, VaultSettings settings, string name, SecretValue value, IReadOnlyDictionary<string, object?>? metadata)
    {
        var validated = ValidateMetadata(metadata);
        var (session, ns) = Open(vaultName, settings);
        return session.SetSecret(ns, name, value, new SetSecretOptions { Metadata = validated.Count == 0 ? null : validated });
    }

    /// <summary>Replaces a secret's metadata (an empty table clears it).</summary>
    public static SecretEntry SetSecretInfo(string vaultName, VaultSettings settings, string name, IReadOnlyDictionary<string, object?>? metadata)
    {
        var validated = ValidateMetadata(metadata);
        var (session, ns) = Open(vaultName, settings);
        return session.SetMetadata(ns, name, validated);
    }

    /// <summary>Removes a secret with every version; a missing one is <see cref="NotFoundException"/>.</summary>
    public static void RemoveSecret(string vaultName, VaultSettings settings, string name)
    {
        var (session, ns) = Open(vaultName, settings);
        session.RemoveSecret(ns, name);
    }

    /// <summary>
    /// The secrets whose names match <paramref name="filter"/>: a case-insensitive wildcard that also matches
    /// literally and survives an invalid pattern (<see cref="WildcardFilter"/>); null, empty or <c>*</c> for all.
    /// Never two names that differ only by case; sorted by name. Never prompts.
    /// </summary>
    public static IReadOnlyList<VaultSecretInfo> GetSecretInfo(string vaultName, VaultSettings settings, string? filter)
    {
        var (session, ns) = Open(vaultName, settings);
        try
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            return session.ListSecrets(ns, string.IsNullOrEmpty(filter) ? null : filter)
                .Where(e => seen.Add(e.Name))
                .OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase)
                .Select(e => new VaultSecretInfo(e.Name, SecretTypeName(e.Type), e.Metadata))
                .ToList();
        }
        finally
        {
            session.FlushAudit();
        }
    }

    /// <summary>
    /// Checks the registration without changing anything and without prompting: the parameters, the store,
    /// the credential (or an open session) and the namespace. Problems are listed; the verdict is one bool.
    /// </summary>
    public static VaultTestResult Test(string vaultName, IEnumerable<KeyValuePair<string, object?>>? parameters)
    {
        var problems = new List<SecretOpsException>();
        try
        {
            var settings = VaultSettings.Parse(parameters);
            var resolved = Resolve(settings);
            if (!File.Exists(resolved.Store))
            {
                problems.Add(new NotFoundException($"Vault '{vaultName}': the store '{resolved.Store}' does not exist.", resolved.Store));
                return new VaultTestResult(false, problems);
            }

            var (session, ns) = Open(vaultName, settings);
            try
            {
                session.ListSecrets(ns, "*");
            }
            catch (NotFoundException e) when (IsMissingNamespace(e, ns))
            {
                problems.Add(new NotFoundException($"Vault '{vaultName}': namespace '{ns}' does not exist in '{resolved.Store}'.", ns));
            }
            finally
            {
                try
                {
                    session.FlushAudit();
                }
                catch (SecretOpsException e)
                {
                    problems.Add(e);
                }
            }
        }
        catch (SecretOpsException e)
        {
            problems.Add(e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new StoreUnavailableException($"Vault '{vaultName}': {e.Message}", null, innerException: e));
        }

        return new VaultTestResult(problems.Count == 0, problems);
    }

    /// <summary>Connects with a passphrase (Unlock-SecretVault): for Prompt vaults, or a key file's passphrase.</summary>
    public static void Unlock(string vaultName, VaultSettings settings, ReadOnlySpan<char> passphrase)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (passphrase.IsEmpty)
        {
            throw new InvalidParameterException("Password", "The password is empty.");
        }

        OpenSession(vaultName, settings, passphrase);
    }

    /// <summary>Closes the session the vault opened for its store and client (Unregister-SecretVault); others stay.</summary>
    public static void Unregister(VaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var resolved = Resolve(settings);
        if (SessionRegistry.Find(resolved.Store, resolved.Client) is { } session && OpenedByVault.TryRemove(session, out _))
        {
            SessionRegistry.Remove(session);
        }
    }

    private static ResolvedConnection Resolve(VaultSettings settings) =>
        Connector.Resolve(new ConnectionRequest
        {
            Store = settings.Path,
            Client = settings.Client,
            Namespace = settings.Namespace,
            Profile = settings.Profile,
            Surface = Surface.Vault,
        });

    private static (Session Session, string Namespace) Open(string vaultName, VaultSettings settings)
    {
        var session = OpenSession(vaultName, settings);
        return (session, settings.Namespace ?? Resolve(settings).Namespace);
    }

    private static ClientCredential Credential(string vaultName, VaultSettings settings, ResolvedConnection resolved, ReadOnlySpan<char> passphrase)
    {
        switch (settings.Authentication)
        {
            case VaultAuthentication.SecretFile:
                return Connector.ResolveCredential(new ConnectionRequest { SecretFile = settings.CredentialSource })!;
            case VaultAuthentication.KeyFile:
                return Connector.ResolveCredential(new ConnectionRequest { KeyFile = settings.CredentialSource, Passphrase = passphrase.ToArray() })!;
            case VaultAuthentication.SecretEnvironmentVariable:
                var variable = settings.CredentialSource!;
                var value = Environment.GetEnvironmentVariable(variable);
                if (string.IsNullOrEmpty(value))
                {
                    throw new InvalidParameterException("SecretEnvironmentVariable", $"Vault '{vaultName}': the environment variable '{variable}' is not set in this process.");
                }

                var trimmed = value.AsSpan().Trim();
                return trimmed.StartsWith(GeneratedSecret.Prefix, StringComparison.Ordinal)
                    ? ClientCredential.FromGeneratedSecret(trimmed)
                    : ClientCredential.FromPassphrase(value);
            case VaultAuthentication.Prompt:
                return passphrase.IsEmpty
                    ? throw new VaultLockedException(vaultName, resolved.Client, resolved.Store)
                    : ClientCredential.FromPassphrase(passphrase);
            default:
                if (!passphrase.IsEmpty)
                {
                    return ClientCredential.FromPassphrase(passphrase);
                }

                return Connector.ResolveCredential(new ConnectionRequest { Profile = settings.Profile, Surface = Surface.Vault })
                       ?? throw new VaultLockedException(vaultName, resolved.Client, resolved.Store);
        }
    }

    private static bool IsMissingNamespace(Exception e, string ns) =>
        e is NotFoundException && e.Message.StartsWith("Namespace '", StringComparison.Ordinal)
        && string.Equals(((NotFoundException)e).Target as string, ns, StringComparison.OrdinalIgnoreCase);
}
