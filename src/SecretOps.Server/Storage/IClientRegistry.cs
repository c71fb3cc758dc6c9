using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>
/// The enrolled clients, in the server's database: per client id its 32-byte request key, its address allow-list, its
/// status and when it was enrolled. The database holds the request keys in plain, as it must to verify signatures;
/// they open nothing (docs/SERVER-PROTOCOL.md §5). A storage failure throws <see cref="StorageUnavailableException"/>.
/// </summary>
public interface IClientRegistry
{
    /// <summary>
    /// Enrols <paramref name="clientId"/> (active) with <paramref name="key"/> and <paramref name="allowList"/>; false when
    /// it is already enrolled and <paramref name="replace"/> is not set. Replacing sets a new key, list and creation time
    /// and makes the client active.
    /// </summary>
    bool Enrol(Guid clientId, RequestSigningKey key, AddressAllowList allowList, DateTimeOffset now, bool replace);

    /// <summary>The client with its key, or null when it is not enrolled; the caller disposes it (wiping the key).</summary>
    ClientCredentials? Find(Guid clientId);

    /// <summary>Sets the client's status; false when it is not enrolled.</summary>
    bool SetStatus(Guid clientId, EnrolmentStatus status);

    /// <summary>Replaces the client's allow-list; false when it is not enrolled.</summary>
    bool SetAllowList(Guid clientId, AddressAllowList allowList);

    /// <summary>Every enrolled client, by id, without keys.</summary>
    IReadOnlyList<EnrolledClient> List();
}
