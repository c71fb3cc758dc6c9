namespace SecretOps.Core.Policy;

/// <summary>
/// The difference between a store and a policy, as data: the steps in the order they are applied. Empty when
/// the store already matches. Made by <see cref="Session.PlanPolicy"/>, carried out by <see cref="Session.ApplyPolicy"/>.
/// </summary>
public sealed record PolicyPlan(IReadOnlyList<PolicyChange> Changes)
{
    /// <summary>True when there is nothing to do.</summary>
    public bool IsEmpty => Changes.Count == 0;
}
