using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;
using SecretOps.Core.Crypto;

namespace SecretOps.Core;

/// <summary>How to create a store. Exactly one credential source: a passphrase, a generated secret, or a given system client.</summary>
public sealed class StoreCreateOptions
{
    /// <summary>The System client's passphrase (stretched with <see cref="Kdf"/>).</summary>
    public ReadOnlyMemory<char> Passphrase { get; init; }

    /// <summary>Generate a 64-byte secret for the System client; it is returned once.</summary>
    public bool GenerateSecret { get; init; }

    /// <summary>A System client id and secret chosen in advance (SECRETOPS_SYSTEM_CLIENT_ID / _SECRET).</summary>
    public (Guid Id, string Secret)? PresetSystemClient { get; init; }

    /// <summary>Argon2id cost for passphrase clients of this store.</summary>
    public Argon2Parameters Kdf { get; init; } = Argon2Parameters.Default;

    /// <summary>Allow KDF parameters below the floor (tests, throwaway stores). Recorded in the store.</summary>
    public bool AllowWeakKdf { get; init; }

    /// <summary>Network-share mode (journal_mode=DELETE, no pooling); detected when null.</summary>
    public bool? Shared { get; init; }

    /// <summary>Recorded in the audit log.</summary>
    public Surface Surface { get; init; } = Surface.Api;

    /// <summary>
    /// The preset System client from SECRETOPS_SYSTEM_CLIENT_ID and SECRETOPS_SYSTEM_CLIENT_SECRET, or null
    /// when neither is set. One without the other, or malformed values, are refused.
    /// </summary>
    public static (Guid Id, string Secret)? SystemClientFromEnvironment()
    {
        var id = Environment.GetEnvironmentVariable(EnvironmentVariables.SystemClientId);
        var secret = Environment.GetEnvironmentVariable(EnvironmentVariables.SystemClientSecret);
        if (string.IsNullOrEmpty(id) && string.IsNullOrEmpty(secret))
        {
            return null;
        }

        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret))
        {
            throw new InvalidParameterException(EnvironmentVariables.SystemClientId,
                $"Set both {EnvironmentVariables.SystemClientId} and {EnvironmentVariables.SystemClientSecret}, or neither.");
        }

        if (!Guid.TryParse(id, out var clientId))
        {
            throw new InvalidParameterException(EnvironmentVariables.SystemClientId, $"{EnvironmentVariables.SystemClientId} is not a UUID.");
        }

        GeneratedSecret.Parse(secret);
        return (clientId, secret);
    }

    /// <summary>
    /// The System client's credential from the environment, for a store created with no explicit credential (no
    /// passphrase given and no generated secret asked for). The one rule every surface follows: a preset System client
    /// (<see cref="SystemClientFromEnvironment"/>) first, then <see cref="EnvironmentVariables.Passphrase"/>; null
    /// when neither is set (a surface may then ask a person). The passphrase is a pinned copy the caller wipes.
    /// </summary>
    public static StoreCreationCredential? CredentialFromEnvironment()
    {
        if (SystemClientFromEnvironment() is { } preset)
        {
            return new StoreCreationCredential(preset, null);
        }

        if (Environment.GetEnvironmentVariable(EnvironmentVariables.Passphrase) is not { Length: > 0 } passphrase)
        {
            return null;
        }

        var chars = GC.AllocateUninitializedArray<char>(passphrase.Length, pinned: true);
        passphrase.CopyTo(chars);
        return new StoreCreationCredential(null, chars);
    }
}

/// <summary>What the environment gives a new store's System client: a preset client, or else a passphrase (pinned; the caller wipes it).</summary>
public sealed record StoreCreationCredential((Guid Id, string Secret)? PresetSystemClient, char[]? Passphrase);

/// <summary>How to open a store.</summary>
public sealed class StoreOpenOptions
{
    /// <summary>
    /// Network-share mode (journal_mode=DELETE, a connection per operation); false switches the file to WAL. When
    /// null: shared on a detected network share, or when the file is already in shared mode (another client's choice).
    /// </summary>
    public bool? Shared { get; init; }

    /// <summary>
    /// For a store a server hosts: the file holding this client's enrolment token (an owner-only file). When null:
    /// SECRETOPS_TOKEN_FILE.
    /// </summary>
    public string? TokenFile { get; init; }

    /// <summary>
    /// For a store a server hosts when there is no enrolment token: the client, by its id, whose generated secret
    /// (<see cref="Credential"/>) derives the key its requests are signed with (docs/SERVER-PROTOCOL.md §10).
    /// </summary>
    public string? Client { get; init; }

    /// <summary>The credential of <see cref="Client"/>; only a generated secret derives a request key. Not owned: the caller wipes it.</summary>
    public ClientCredential? Credential { get; init; }
}

/// <summary>How a session behaves.</summary>
public sealed class SessionOptions
{
    /// <summary>Recorded in the audit log.</summary>
    public Surface Surface { get; init; } = Surface.Api;

    /// <summary>Idle time after which the session locks itself; <see cref="Timeout.InfiniteTimeSpan"/> for the process lifetime.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Let SECRETOPS_SECRET_&lt;NS&gt;_&lt;NAME&gt; override reads (enabled per profile).</summary>
    public bool EnvironmentOverrides { get; init; }

    /// <summary>The namespace surfaces use when none is given.</summary>
    public string DefaultNamespace { get; init; } = SecretStore.DefaultNamespace;

    /// <summary>
    /// Accept the store as it is now even if it is behind, or has diverged from, the state this client verified last on
    /// this machine (a backup restored on purpose): the client forgets the state it had verified. Off by default.
    /// </summary>
    public bool AcceptRestoredStore { get; init; }
}

/// <summary>Options for setting a secret.</summary>
public sealed class SetSecretOptions
{
    /// <summary>Time to live from now; none when null.</summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>Replaces the metadata when given; kept when null.</summary>
    public IReadOnlyDictionary<string, object>? Metadata { get; init; }

    /// <summary>Compare-and-swap: the current version must be this (0: the secret must not exist yet).</summary>
    public int? ExpectedVersion { get; init; }
}
