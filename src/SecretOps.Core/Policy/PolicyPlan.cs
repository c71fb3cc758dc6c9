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

/// <summary>One step of a plan, in the order it is applied.</summary>
public sealed record PolicyChange(PolicyChangeKind Kind, string Description, Action<Session, IProgress<RotationProgress>?> Apply)
{
    /// <summary>True for steps that remove access or cannot be undone (revocations, retirements).</summary>
    public bool IsDestructive => Kind is PolicyChangeKind.Revoke or PolicyChangeKind.RetireClient;

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Description}";
}

/// <summary>The difference between a store and a policy. Empty when the store already matches.</summary>
public sealed record PolicyPlan(IReadOnlyList<PolicyChange> Changes)
{
    /// <summary>True when there is nothing to do.</summary>
    public bool IsEmpty => Changes.Count == 0;
}
