namespace SecretOps.Server.Storage;

/// <summary>What a <see cref="StoreLogEntry"/>'s content is.</summary>
public enum StoreLogEntryKind
{
    /// <summary>A whole store file, the state at the entry's revision (up to tens of MiB).</summary>
    Snapshot = 1,

    /// <summary>An encoded write batch, applied on top of the revision before it.</summary>
    Batch = 2,
}
