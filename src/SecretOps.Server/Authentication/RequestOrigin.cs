using System.Net;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Authentication;

/// <summary>
/// Where a request came from, resolved once for every request (<see cref="ClientAddressResolution"/>) so that the
/// request log, the audit and the allow-list all see the same addresses.
/// </summary>
/// <param name="Peer">The connection's peer, normalised (IPv4-mapped as IPv4).</param>
/// <param name="Address">The peer and the resolved client address; null when a trusted proxy's X-Forwarded-For could not be read.</param>
/// <param name="Refusal">Why the address could not be resolved, when <paramref name="Address"/> is null.</param>
public sealed record RequestOrigin(IPAddress Peer, ClientAddress? Address, RequestRefusedException? Refusal);
