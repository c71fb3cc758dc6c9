using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>What the server knows of an enrolled client, without its request key.</summary>
/// <param name="Id">The client id.</param>
/// <param name="Status">Whether its requests are served.</param>
/// <param name="AllowList">The addresses it may connect from; empty allows any.</param>
/// <param name="CreatedAt">When it was enrolled (or its enrolment replaced).</param>
public sealed record EnrolledClient(Guid Id, EnrolmentStatus Status, AddressAllowList AllowList, DateTimeOffset CreatedAt);
