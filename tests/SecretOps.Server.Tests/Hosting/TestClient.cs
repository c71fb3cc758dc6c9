using SecretOps.Core.Remote;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>A client enrolled by the server's <c>enrol</c> command, read back from its enrolment token.</summary>
internal sealed record TestClient(Guid Id, RequestSigningKey Key, string Token);
