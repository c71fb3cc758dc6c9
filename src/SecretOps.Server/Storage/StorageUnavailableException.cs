namespace SecretOps.Server.Storage;

/// <summary>
/// The database could not be read or written (down, locked, deleted). A request that needed it fails with 503; the
/// message is the driver's, which names the failure and never a parameter's value.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    /// <summary>The failure of <paramref name="operation"/> on <paramref name="storage"/> ("sqlite" or "postgres").</summary>
    public StorageUnavailableException(string storage, string operation, Exception inner)
        : base($"Storage ({storage}) failed in {operation}: {inner?.Message}", inner)
    {
        Storage = storage;
        Operation = operation;
    }

    /// <inheritdoc/>
    public StorageUnavailableException()
    {
    }

    /// <summary>"sqlite" or "postgres".</summary>
    public string Storage { get; } = "";

    /// <summary>What the storage was asked to do.</summary>
    public string Operation { get; } = "";

    /// <inheritdoc/>
    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    /// <inheritdoc/>
    public StorageUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
