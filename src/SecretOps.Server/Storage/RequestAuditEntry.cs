namespace SecretOps.Server.Storage;

/// <summary>
/// One request's line in the server's audit table. Never a signature, nonce, key, header value, query string or body.
/// </summary>
/// <param name="At">When the server decided.</param>
/// <param name="ClientId">The client id the request claimed, when its headers named one.</param>
/// <param name="Peer">The address that connected.</param>
/// <param name="Resolved">The address the server attributed the request to (after trusted proxies); null when it could not be resolved.</param>
/// <param name="Method">The request method.</param>
/// <param name="Path">The raw path, without the query.</param>
/// <param name="Outcome"><c>Allowed</c>, or why the request was refused (a <see cref="Authentication.RequestOutcome"/> name).</param>
public sealed record RequestAuditEntry(DateTimeOffset At, Guid? ClientId, string Peer, string? Resolved, string Method, string Path, string Outcome);
