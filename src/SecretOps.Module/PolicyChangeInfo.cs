using SecretOps.Core.Policy;

namespace SecretOps.Module;

/// <summary>
/// One step of a policy import as <c>Import-SecretOpsPolicy</c> reports it: planned (under -WhatIf) or
/// applied. A step that created a client with a generated secret carries that secret, once, in
/// <see cref="ClientSecret"/>; it is never stored and cannot be shown again.
/// </summary>
public sealed class PolicyChangeInfo
{
    /// <summary>Planned: shown by -WhatIf, not carried out.</summary>
    public const string Planned = "Planned";

    /// <summary>Applied: carried out.</summary>
    public const string Applied = "Applied";

    internal PolicyChangeInfo(int step, int steps, PolicyChange change, string status, string? clientName = null, string? clientSecret = null)
    {
        Step = step;
        Steps = steps;
        Kind = change.Kind.ToString();
        Description = change.Description;
        Status = status;
        ClientName = clientName;
        ClientSecret = clientSecret;
    }

    /// <summary>The step's place in the plan (from 1).</summary>
    public int Step { get; }

    /// <summary>How many steps the plan has.</summary>
    public int Steps { get; }

    /// <summary>
    /// What the step does: CreateNamespace, UpdateNamespace, CreateClient, UpdateClient, SetClientStatus, RetireClient,
    /// Grant or Revoke (revocations only with -Prune).
    /// </summary>
    public string Kind { get; }

    /// <summary>The step in words, e.g. <c>grant read to 'ci' on namespace 'prod'</c>.</summary>
    public string Description { get; }

    /// <summary><see cref="Planned"/> or <see cref="Applied"/>.</summary>
    public string Status { get; }

    /// <summary>The client a step created with a generated secret; null otherwise.</summary>
    public string? ClientName { get; }

    /// <summary>That client's generated secret: shown only this once, never stored.</summary>
    public string? ClientSecret { get; }
}
