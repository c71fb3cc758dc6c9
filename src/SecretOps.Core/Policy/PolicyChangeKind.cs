namespace SecretOps.Core.Policy;

/// <summary>What applying a policy would change.</summary>
public enum PolicyChangeKind
{
    /// <summary>Create a namespace.</summary>
    CreateNamespace,

    /// <summary>Change a namespace's description or retention.</summary>
    UpdateNamespace,

    /// <summary>Register a key-file client from its public key.</summary>
    CreateClient,

    /// <summary>Change a client's role or description.</summary>
    UpdateClient,

    /// <summary>Disable or enable a client.</summary>
    SetClientStatus,

    /// <summary>Retire a client (permanent; rotates every key it holds).</summary>
    RetireClient,

    /// <summary>Grant permissions.</summary>
    Grant,

    /// <summary>Revoke permissions (only with prune), rotating keys when Read or Write goes.</summary>
    Revoke,
}
