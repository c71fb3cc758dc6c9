using SecretOps.Core.Crypto;

namespace SecretOps.Core.Policy;

/// <summary>
/// Carries out a <see cref="PolicyPlan"/>: each data step, in order, through the session's public methods, which
/// check the caller's rights and audit as they do for any other caller. The first step that fails stops the rest
/// (what follows may depend on it); the steps before it stay applied.
/// </summary>
internal sealed class PolicyApplier(Session session)
{
    /// <summary>Applies every step; returns the secrets of the generated clients it created (shown once, never stored).</summary>
    public IReadOnlyDictionary<string, string> Apply(PolicyPlan plan, IProgress<RotationProgress>? progress)
    {
        var createdSecrets = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var change in plan.Changes)
        {
            Apply(change, progress, createdSecrets);
        }

        return createdSecrets;
    }

    private void Apply(PolicyChange change, IProgress<RotationProgress>? progress, Dictionary<string, string> createdSecrets)
    {
        switch (change)
        {
            case CreateNamespaceChange c:
                session.CreateNamespace(c.Namespace, c.NamespaceDescription, c.MaxVersions);
                break;
            case UpdateNamespaceChange c:
                session.SetNamespace(c.Namespace, c.NamespaceDescription, c.MaxVersions, clearRetention: c.MaxVersions is null);
                break;
            case CreateKeyFileClientChange c:
                var publicKey = PemKeyReader.ReadPublicKey(c.PublicKeyPem);
                session.AddClient(c.Client, new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = publicKey }, c.Role, c.ClientDescription);
                break;
            case CreateGeneratedClientChange c:
                createdSecrets[c.Client] = session.AddClient(c.Client, new ClientCredentialSpec { Kind = ClientKind.Generated }, c.Role, c.ClientDescription).ClientSecret!;
                break;
            case SetClientRoleChange c:
                session.SetClient(c.Client, role: c.Role);
                break;
            case SetClientDescriptionChange c:
                session.SetClient(c.Client, description: c.ClientDescription);
                break;
            case DisableClientChange c:
                session.DisableClient(c.Client);
                break;
            case EnableClientChange c:
                session.EnableClient(c.Client);
                break;
            case RetireClientChange c:
                session.RetireClient(c.Client, progress: progress);
                break;
            case GrantChange c:
                session.Grant(c.Client, c.Namespace, c.Secret, c.Permissions);
                break;
            case RevokeChange c:
                session.Revoke(c.Client, c.Namespace, c.Secret, c.Permissions, progress: progress);
                break;
            default:
                throw new ArgumentException($"Unknown policy step {change.GetType().Name}.", nameof(change));
        }
    }
}
