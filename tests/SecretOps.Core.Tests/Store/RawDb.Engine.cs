namespace SecretOps.Core.Tests.Store;

internal static partial class RawDb
{
    static partial void ReleaseEngineConnections() => SecretStore.ReleaseConnections();
}
