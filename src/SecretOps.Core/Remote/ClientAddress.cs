using System.Net;

namespace SecretOps.Core.Remote;

/// <summary>
/// Where a request came from, both recorded in the audit log: <paramref name="Peer"/>, the address that connected to
/// the server, and <paramref name="Resolved"/>, the client's address after trusted proxies' <c>X-Forwarded-For</c>
/// (the peer itself when no trusted proxy forwarded the request). Both are normalised (IPv4-mapped as IPv4).
/// </summary>
/// <param name="Peer">The direct peer of the connection.</param>
/// <param name="Resolved">The address the server attributes the request to, and checks allow-lists against.</param>
public sealed record ClientAddress(IPAddress Peer, IPAddress Resolved);
