using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;
using SecretOps.Core.Secrets;

namespace SecretOps.Core.Vault;

/// <summary>One secret as Get-SecretInfo reports it: its name, SecretManagement type name and metadata.</summary>
public sealed record VaultSecretInfo(string Name, string TypeName, IReadOnlyDictionary<string, object> Metadata);

/// <summary>What Test-SecretVault found: every problem, and one verdict.</summary>
public sealed record VaultTestResult(bool IsValid, IReadOnlyList<SecretOpsException> Problems);

/// <summary>What Unregister-SecretVault did: the registration's VaultParameters problem, if any (unregistering goes on regardless).</summary>
public sealed record VaultUnregisterResult(bool ClosedSession, SecretOpsException? InvalidParameters);

/// <summary>What Unlock-SecretVault did: whether the password was used, and if not, where the vault's credential comes from.</summary>
public sealed record VaultUnlockResult(bool PasswordUsed, VaultAuthentication Authentication, string? CredentialSource);

/// <summary>
/// The SecretManagement vault semantics over a SecretOps store, without PowerShell types. Each registration's
/// <see cref="VaultSettings"/> pick the store, client and namespace, so several registrations are independent
/// vaults. A vault uses the session it opened itself, else one the user connected (Connect-SecretOpsStore) for
/// the same store and client, else it connects. The sessions it opens are its own, kept by vault name: never in
/// <see cref="SessionRegistry"/>, so they never become the cmdlets' session, and Disconnect-SecretOpsStore does
/// not close them (Unregister-SecretVault and the idle timeout do). Nothing here prompts: a vault whose
/// credential needs a person and has no session throws <see cref="VaultLockedException"/>.
/// </summary>
public static class SecretVault
{
    private static readonly object Gate = new();

    /// <summary>The sessions vaults opened, by vault name (ignoring case, as SecretManagement does).</summary>
    private static readonly Dictionary<string, Session> VaultSessions = new(StringComparer.OrdinalIgnoreCase);

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
    /// The session for the vault: its own open one, or one the user connected for its store and client, or a
    /// new one connected with the vault's credential (never prompting). <paramref name="passphrase"/> is what
    /// Unlock-SecretVault gave; with it the vault always connects anew.
    /// </summary>
    public static Session OpenSession(string vaultName, VaultSettings settings, ReadOnlySpan<char> passphrase = default)
    {
        ArgumentNullException.ThrowIfNull(vaultName);
        ArgumentNullException.ThrowIfNull(settings);
        var resolved = Resolve(settings);
        var store = SessionRegistry.StoreLocation(resolved.Store);
        if (passphrase.IsEmpty)
        {
            lock (Gate)
            {
                if (VaultSessions.TryGetValue(vaultName, out var own) && own.IsOpen && SessionRegistry.Matches(own, store, resolved.Client))
                {
                    return own;
                }
            }

            if (SessionRegistry.Find(store, resolved.Client) is { } connected)
            {
                return connected;
            }
        }

        Session session;
        using (var credential = Credential(vaultName, settings, resolved, passphrase))
        {
            session = Connector.Connect(resolved, credential, Surface.Vault);
        }

        Session? replaced;
        lock (Gate)
        {
            VaultSessions.Remove(vaultName, out replaced);
            VaultSessions[vaultName] = session;
        }

        replaced?.Dispose();
        return session;
    }

    /// <summary>
    /// The value, or null when the secret does not exist (SecretManagement's "not found", no error). An expired
    /// secret exists: it is <see cref="ExpiredException"/>, which says when it expired.
    /// </summary>
    public static SecretValue? GetSecret(string vaultName, VaultSettings settings, string name)
    {
        var (session, ns) = Open(vaultName, settings);
        try
        {
            var result = session.GetSecret(ns, name);
            return result.Value;
        }
        catch (NotFoundException e) when (!IsMissingNamespace(e, ns))
        {
            // A missing namespace is a misconfigured vault, not a missing secret: that one is thrown.
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
    /// Expired secrets are listed (they exist: Get-Secret says when they expired). Never two names that differ
    /// only by case; sorted by name. Never prompts.
    /// </summary>
    public static IReadOnlyList<VaultSecretInfo> GetSecretInfo(string vaultName, VaultSettings settings, string? filter)
    {
        var (session, ns) = Open(vaultName, settings);
        try
        {
            var seen = new HashSet<string>(NameCasing.Comparer);
            return session.ListSecrets(ns, string.IsNullOrEmpty(filter) ? null : filter, includeExpired: true)
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
            // A hosted store is reached below: a server that is down or hosts nothing fails the connect, with the reason.
            if (!SecretStore.IsServerAddress(resolved.Store) && !File.Exists(resolved.Store))
            {
                problems.Add(new NotFoundException($"Vault '{vaultName}': the store '{resolved.Store}' does not exist.", resolved.Store));
                return new VaultTestResult(false, problems);
            }

            CheckCredentialSource(vaultName, settings, resolved);
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

    /// <summary>
    /// Unlock-SecretVault: connects with the passphrase, for Prompt and default vaults (a passphrase client) or
    /// a key file (its passphrase). A vault whose credential is a secret file or an environment variable has no
    /// use for it: it connects with that credential, and the result says the password was not used.
    /// </summary>
    public static VaultUnlockResult Unlock(string vaultName, VaultSettings settings, ReadOnlySpan<char> passphrase)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (passphrase.IsEmpty)
        {
            throw new InvalidParameterException("Password", "The password is empty.");
        }

        var usesPassword = settings.Authentication is not (VaultAuthentication.SecretFile or VaultAuthentication.SecretEnvironmentVariable);
        OpenSession(vaultName, settings, usesPassword ? passphrase : default).FlushAudit();
        return new VaultUnlockResult(usesPassword, settings.Authentication, usesPassword ? null : settings.CredentialSource);
    }

    /// <summary>
    /// Unregister-SecretVault: closes the session the vault opened (sessions the user connected stay). Never
    /// fails, so a registration can always be removed: VaultParameters that do not parse are reported, not thrown.
    /// </summary>
    public static VaultUnregisterResult Unregister(string vaultName, IEnumerable<KeyValuePair<string, object?>>? parameters)
    {
        ArgumentNullException.ThrowIfNull(vaultName);
        Session? own;
        lock (Gate)
        {
            VaultSessions.Remove(vaultName, out own);
        }

        own?.Dispose();
        SecretOpsException? problem = null;
        try
        {
            VaultSettings.Parse(parameters);
        }
        catch (SecretOpsException e)
        {
            problem = e;
        }

        return new VaultUnregisterResult(own is not null, problem);
    }

    /// <summary>Where the vault connects: its settings combined with the environment and profile, as every surface resolves them.</summary>
    public static ResolvedConnection Resolve(VaultSettings settings) =>
        Connector.Resolve(new ConnectionRequest
        {
            Store = settings.Path,
            Client = settings.Client,
            Namespace = settings.Namespace,
            Profile = settings.Profile,
            TokenFile = settings.TokenFile,
            Surface = Surface.Vault,
        });

    private static (Session Session, string Namespace) Open(string vaultName, VaultSettings settings)
    {
        var session = OpenSession(vaultName, settings);
        return (session, Resolve(settings).Namespace);
    }

    /// <summary>
    /// Reads a file or environment credential as a fresh process would: a source that stopped working (deleted,
    /// unset, or readable by others) is a problem even while this process still holds the vault's session.
    /// </summary>
    private static void CheckCredentialSource(string vaultName, VaultSettings settings, ResolvedConnection resolved)
    {
        if (settings.Authentication is not (VaultAuthentication.SecretFile or VaultAuthentication.KeyFile or VaultAuthentication.SecretEnvironmentVariable))
        {
            return;
        }

        try
        {
            using var credential = Credential(vaultName, settings, resolved, default);
        }
        catch (VaultLockedException)
        {
            // An encrypted key file waits for its passphrase: whether the vault is unlocked is the session's to say.
        }
    }

    private static ClientCredential Credential(string vaultName, VaultSettings settings, ResolvedConnection resolved, ReadOnlySpan<char> passphrase)
    {
        switch (settings.Authentication)
        {
            case VaultAuthentication.SecretFile:
                return Connector.ResolveCredential(new ConnectionRequest { SecretFile = settings.CredentialSource })!;
            case VaultAuthentication.KeyFile:
                // The request holds memory, not a span: a pinned copy, wiped once the key is decrypted.
                var keyPassphrase = GC.AllocateUninitializedArray<char>(passphrase.Length, pinned: true);
                try
                {
                    passphrase.CopyTo(keyPassphrase);
                    return Connector.ResolveCredential(new ConnectionRequest { KeyFile = settings.CredentialSource, Passphrase = keyPassphrase })!;
                }
                catch (InvalidKeyException e) when (e.PassphraseRequired)
                {
                    // An encrypted key waits for its passphrase, as a Prompt vault does.
                    throw new VaultLockedException(vaultName, resolved.Client, resolved.Store, innerException: e);
                }
                finally
                {
                    Array.Clear(keyPassphrase);
                }

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
