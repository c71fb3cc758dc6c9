using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;

namespace SecretOps.Core.Policy;

/// <summary>
/// Diffs a <see cref="PolicyDocument"/> against what a session can list (namespaces, clients, permissions, secrets)
/// and produces a <see cref="PolicyPlan"/> of data steps. Reads only; changes nothing. The caller checks that the
/// session may apply policies (<see cref="Session.PlanPolicy"/>).
/// </summary>
internal sealed class PolicyPlanner(Session session)
{
    /// <summary>
    /// The changes that would make the store match <paramref name="policy"/>, validated as a whole: a plan is only
    /// returned when every step can be carried out; otherwise every problem is reported at once.
    /// </summary>
    public PolicyPlan Plan(PolicyDocument policy, bool prune)
    {
        var problems = new List<string>();
        var needsClientCreated = false;
        var changes = new List<PolicyChange>();
        var namespaces = session.ListNamespaces().ToDictionary(n => n.Name, NameCasing.Comparer);
        var clients = session.ListClients().ToDictionary(c => c.Name, NameCasing.Comparer);
        var wantedNamespaces = new HashSet<string>(NameCasing.Comparer);
        foreach (var ns in policy.Namespaces)
        {
            if (!Valid(() => Names.ValidateNamespaceName(ns.Name), problems) || !wantedNamespaces.Add(ns.Name))
            {
                problems.Add($"namespace '{Names.Printable(ns.Name)}' is invalid or listed twice");
                continue;
            }

            if (!namespaces.TryGetValue(ns.Name, out var existing))
            {
                changes.Add(new CreateNamespaceChange(ns.Name, ns.Description, ns.MaxVersions));
            }
            else if (existing.Description != ns.Description || existing.MaxVersions != ns.MaxVersions)
            {
                changes.Add(new UpdateNamespaceChange(ns.Name, ns.Description, ns.MaxVersions));
            }
        }

        var retirements = new List<PolicyChange>();
        var wantedClients = new HashSet<string>(NameCasing.Comparer);
        foreach (var client in policy.Clients)
        {
            if (!Valid(() => Names.ValidateClientName(client.Name), problems) || !wantedClients.Add(client.Name))
            {
                problems.Add($"client '{Names.Printable(client.Name)}' is invalid or listed twice");
                continue;
            }

            if (!Session.TryParse<ClientKind>(client.Kind, out var kind) || !Session.TryParse<ClientRole>(client.Role, out var role) || !Session.TryParse<ClientStatus>(client.Status, out var status))
            {
                problems.Add($"client '{client.Name}': kind, role or status is not one of the known values");
                continue;
            }

            if (!clients.TryGetValue(client.Name, out var existing))
            {
                // A client retired elsewhere has nothing to reproduce here; a disabled one is created, then disabled.
                if (status != ClientStatus.Retired)
                {
                    needsClientCreated |= PlanNewClient(client, kind, role, changes, problems);
                }

                if (status == ClientStatus.Disabled)
                {
                    changes.Add(new DisableClientChange(client.Name));
                }

                continue;
            }

            if (existing.Role != role && role != ClientRole.System && existing.Role != ClientRole.System)
            {
                changes.Add(new SetClientRoleChange(client.Name, role));
            }
            else if (existing.Role != role)
            {
                problems.Add($"client '{client.Name}': the System role cannot be given or taken by policy");
            }

            if (existing.Description != client.Description && client.Description is not null)
            {
                changes.Add(new SetClientDescriptionChange(client.Name, client.Description));
            }

            if (existing.Status != status)
            {
                switch (status)
                {
                    case ClientStatus.Retired:
                        retirements.Add(new RetireClientChange(client.Name));
                        break;
                    case ClientStatus.Disabled when existing.Status == ClientStatus.Active:
                        changes.Add(new DisableClientChange(client.Name));
                        break;
                    case ClientStatus.Active when existing.Status == ClientStatus.Disabled:
                        changes.Add(new EnableClientChange(client.Name));
                        break;
                    default:
                        problems.Add($"client '{client.Name}' is retired; retirement cannot be undone");
                        break;
                }
            }
        }

        PlanGrants(policy, prune, namespaces, clients, wantedClients, changes, problems);
        if (problems.Count > 0)
        {
            throw new InvalidParameterException("policy", "The policy cannot be applied; nothing was changed:\n  " + string.Join("\n  ", problems) + ".")
            {
                Hint = needsClientCreated ? SecretOpsHint.CreateClient : SecretOpsHint.None,
            };
        }

        changes.AddRange(retirements);
        return new PolicyPlan(changes);
    }

    /// <summary>Plans creating a client the store lacks; true when it must be created outside the policy (it needs a passphrase).</summary>
    private static bool PlanNewClient(PolicyClient client, ClientKind kind, ClientRole role, List<PolicyChange> changes, List<string> problems)
    {
        switch (kind)
        {
            case ClientKind.KeyFile when client.PublicKey is null:
                problems.Add($"key-file client '{client.Name}' has no publicKey");
                return false;
            case ClientKind.KeyFile:
                ClientPublicKey? publicKey = null;
                if (Valid(() => publicKey = PemKeyReader.ReadPublicKey(client.PublicKey), problems))
                {
                    changes.Add(new CreateKeyFileClientChange(client.Name, role, client.Description, client.PublicKey, publicKey!.Fingerprint));
                }

                return false;
            case ClientKind.Generated:
                changes.Add(new CreateGeneratedClientChange(client.Name, role, client.Description));
                return false;
            default:
                problems.Add($"client '{client.Name}' does not exist and needs a passphrase, which a policy cannot hold: create it first");
                return true;
        }
    }

    private void PlanGrants(PolicyDocument policy, bool prune, Dictionary<string, NamespaceInfo> namespaces, Dictionary<string, ClientInfo> clients,
                            HashSet<string> wantedClients, List<PolicyChange> changes, List<string> problems)
    {
        var permissions = session.ListPermissions();
        var current = permissions.ToDictionary(p => Key(p.Client, p.Namespace, p.Secret), p => p.Permissions);
        static (string, string, string?) Key(string client, string ns, string? secret) => (Names.LookupKey(client), Names.LookupKey(ns), secret is null ? null : Names.LookupKey(secret));
        var wanted = new Dictionary<(string Client, string Namespace, string? Secret), Permissions>();
        foreach (var grant in policy.Grants)
        {
            var where = $"grant to '{Names.Printable(grant.Client)}' on '{Names.Printable(grant.Namespace)}{(grant.Secret is null ? "" : "/" + Names.Printable(grant.Secret))}'";
            if (!Session.ParsePermissions(grant.Permissions, out var flags))
            {
                problems.Add($"{where}: permissions must be some of read, write, delete, permit");
                continue;
            }

            if (!clients.ContainsKey(grant.Client) && !wantedClients.Contains(grant.Client))
            {
                problems.Add($"{where}: no such client");
                continue;
            }

            if (!namespaces.ContainsKey(grant.Namespace) && !policy.Namespaces.Any(n => NameCasing.SameName(n.Name, grant.Namespace)))
            {
                problems.Add($"{where}: no such namespace");
                continue;
            }

            if (grant.Secret is not null && (!namespaces.ContainsKey(grant.Namespace) || !session.ListSecrets(grant.Namespace, grant.Secret, includeExpired: true).Any(e => NameCasing.SameName(e.Name, grant.Secret))))
            {
                problems.Add($"{where}: no such secret");
                continue;
            }

            var key = Key(grant.Client, grant.Namespace, grant.Secret);
            wanted[key] = wanted.GetValueOrDefault(key) | flags;
            var missing = flags & ~current.GetValueOrDefault(key);
            if (missing != Permissions.None)
            {
                changes.Add(new GrantChange(grant.Client, grant.Namespace, grant.Secret, missing));
            }
        }

        if (!prune)
        {
            return;
        }

        // Secret-level revokes go first: a namespace revoke also takes the client's grants on the secrets in it, so a
        // secret-level revoke planned after it would find nothing left to revoke.
        foreach (var permission in permissions.OrderBy(p => p.Secret is null))
        {
            // A secret-level grant is also covered by what the policy grants the client on its namespace.
            var covered = wanted.GetValueOrDefault(Key(permission.Client, permission.Namespace, permission.Secret))
                          | (permission.Secret is null ? Permissions.None : wanted.GetValueOrDefault(Key(permission.Client, permission.Namespace, null)));
            var extra = permission.Permissions & ~covered;
            if (extra != Permissions.None)
            {
                changes.Add(new RevokeChange(permission.Client, permission.Namespace, permission.Secret, extra));
            }
        }
    }

    private static bool Valid(Action check, List<string> problems)
    {
        try
        {
            check();
            return true;
        }
        catch (SecretOpsException e)
        {
            problems.Add(e.Message);
            return false;
        }
    }
}
