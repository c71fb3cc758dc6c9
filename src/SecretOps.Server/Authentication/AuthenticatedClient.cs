using SecretOps.Core.Remote;

namespace SecretOps.Server.Authentication;

/// <summary>The request feature an endpoint reads once <see cref="SignedRequestAuthentication"/> has let a request through.</summary>
/// <param name="ClientId">The client whose key signed the request.</param>
/// <param name="Address">Where it came from.</param>
public sealed record AuthenticatedClient(Guid ClientId, ClientAddress Address);
