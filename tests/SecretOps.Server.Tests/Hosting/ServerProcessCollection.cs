namespace SecretOps.Server.Tests.Hosting;

/// <summary>The server-process test classes run one after another: each start costs a JIT-compiled host on a small machine.</summary>
[CollectionDefinition(Name)]
public sealed class ServerProcessCollection
{
    public const string Name = "Server processes";
}
