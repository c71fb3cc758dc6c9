namespace SecretOps.Server.Storage;

/// <summary>What the health endpoint asks the storage: which kind it is and whether it answers now.</summary>
public interface IStorageHealth
{
    /// <summary>"sqlite" or "postgres", as in the configuration.</summary>
    string Kind { get; }

    /// <summary>True when a query on the nonce table succeeds now; never throws.</summary>
    bool IsReachable();
}
