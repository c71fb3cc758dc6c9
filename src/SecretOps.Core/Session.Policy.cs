using SecretOps.Core.Crypto;
using SecretOps.Core.Policy;
using SecretOps.Core.Secrets;

namespace SecretOps.Core;

public sealed partial class Session
{
    /// <summary>Secrets of generated clients created while applying a policy (returned once, never stored).</summary>
    private readonly Dictionary<string, string> createdSecrets = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The store's namespaces, clients and grants as a policy document (System and Admin clients only).</summary>
    public PolicyDocument ExportPolicy()
    {
        RequireAdmin("export the policy");
        var clients = ListClients();
        var document = new PolicyDocument
        {
            Namespaces = ListNamespaces().Select(n => new PolicyNamespace { Name = n.Name, Description = n.Description, MaxVersions = n.MaxVersions }).ToList(),
            Clients = clients.Select(c => new PolicyClient
            {
                Name = c.Name,
                Kind = c.Kind.ToString().ToLowerInvariant(),
                Role = c.Role.ToString().ToLowerInvariant(),
                Status = c.Status.ToString().ToLowerInvariant(),
                Description = c.Description,
                PublicKey = c.Kind == ClientKind.KeyFile ? PublicKeyPem(c.Name) : null,
            }).ToList(),
            Grants = WithoutCoveredSecretGrants(ListPermissions()).Select(p => new PolicyGrant
            {
                Client = p.Client,
                Namespace = p.Namespace,
                Secret = p.Secret,
                Permissions = FlagNames(p.Permissions),
            }).ToList(),
        };
        return document;
    }

    /// <summary>
    /// Secret-level grants a client's namespace grant already covers (every secret's creator has one) add
    /// nothing to a policy and would tie it to secrets existing; they are left out of exports.
    /// </summary>
    private static IEnumerable<PermissionInfo> WithoutCoveredSecretGrants(IReadOnlyList<PermissionInfo> permissions)
    {
        var namespaceGrants = permissions.Where(p => p.Scope == ScopeType.Namespace)
            .ToDictionary(p => (p.ClientId, p.Namespace.ToUpperInvariant()), p => p.Permissions);
        return permissions.Where(p => p.Scope == ScopeType.Namespace
            || (p.Permissions & ~namespaceGrants.GetValueOrDefault((p.ClientId, p.Namespace.ToUpperInvariant()))) != Permissions.None);
    }

    /// <summary>
    /// The changes that would make the store match <paramref name="policy"/>: namespaces and key-file clients
    /// created, roles, descriptions, statuses and retention set, missing permissions granted and, with
    /// <paramref name="prune"/>, permissions absent from the policy revoked. The whole policy is validated first;
    /// a plan is only returned when every step can be carried out. Missing generated clients are created
    /// (their secrets are returned by <see cref="ApplyPolicy"/>); missing passphrase clients are refused.
    /// </summary>
    public PolicyPlan PlanPolicy(PolicyDocument policy, bool prune = false)
    {
        ArgumentNullException.ThrowIfNull(policy);
        RequireAdmin("apply a policy");
        var problems = new List<string>();
        var needsClientCreated = false;
        var changes = new List<PolicyChange>();
        var namespaces = ListNamespaces().ToDictionary(n => n.Name, StringComparer.OrdinalIgnoreCase);
        var clients = ListClients().ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        var wantedNamespaces = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var ns in policy.Namespaces)
        {
            if (!Valid(() => Names.ValidateNamespaceName(ns.Name), problems) || !wantedNamespaces.Add(ns.Name))
            {
                problems.Add($"namespace '{Names.Printable(ns.Name)}' is invalid or listed twice");
                continue;
            }

            if (!namespaces.TryGetValue(ns.Name, out var existing))
            {
                changes.Add(new(PolicyChangeKind.CreateNamespace, $"create namespace '{ns.Name}'", (s, _) => s.CreateNamespace(ns.Name, ns.Description, ns.MaxVersions)));
            }
            else if (existing.Description != ns.Description || existing.MaxVersions != ns.MaxVersions)
            {
                changes.Add(new(PolicyChangeKind.UpdateNamespace, $"set namespace '{ns.Name}' description and retention",
                    (s, _) => s.SetNamespace(ns.Name, ns.Description, ns.MaxVersions, clearRetention: ns.MaxVersions is null)));
            }
        }

        var retirements = new List<PolicyChange>();
        var wantedClients = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var client in policy.Clients)
        {
            if (!Valid(() => Names.ValidateClientName(client.Name), problems) || !wantedClients.Add(client.Name))
            {
                problems.Add($"client '{Names.Printable(client.Name)}' is invalid or listed twice");
                continue;
            }

            if (!TryParse<ClientKind>(client.Kind, out var kind) || !TryParse<ClientRole>(client.Role, out var role) || !TryParse<ClientStatus>(client.Status, out var status))
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
                    changes.Add(new(PolicyChangeKind.SetClientStatus, $"disable client '{client.Name}'", (s, _) => s.DisableClient(client.Name)));
                }

                continue;
            }

            if (existing.Role != role && role != ClientRole.System && existing.Role != ClientRole.System)
            {
                changes.Add(new(PolicyChangeKind.UpdateClient, $"make client '{client.Name}' {role.ToString().ToLowerInvariant()}", (s, _) => s.SetClient(client.Name, role: role)));
            }
            else if (existing.Role != role)
            {
                problems.Add($"client '{client.Name}': the System role cannot be given or taken by policy");
            }

            if (existing.Description != client.Description && client.Description is not null)
            {
                changes.Add(new(PolicyChangeKind.UpdateClient, $"describe client '{client.Name}'", (s, _) => s.SetClient(client.Name, description: client.Description)));
            }

            if (existing.Status != status)
            {
                switch (status)
                {
                    case ClientStatus.Retired:
                        retirements.Add(new(PolicyChangeKind.RetireClient, $"retire client '{client.Name}'", (s, p) => s.RetireClient(client.Name, progress: p)));
                        break;
                    case ClientStatus.Disabled when existing.Status == ClientStatus.Active:
                        changes.Add(new(PolicyChangeKind.SetClientStatus, $"disable client '{client.Name}'", (s, _) => s.DisableClient(client.Name)));
                        break;
                    case ClientStatus.Active when existing.Status == ClientStatus.Disabled:
                        changes.Add(new(PolicyChangeKind.SetClientStatus, $"enable client '{client.Name}'", (s, _) => s.EnableClient(client.Name)));
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

    /// <summary>Carries out a plan step by step; returns the secrets of generated clients it created (shown once).</summary>
    public IReadOnlyDictionary<string, string> ApplyPolicy(PolicyPlan plan, IProgress<RotationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        createdSecrets.Clear();
        foreach (var change in plan.Changes)
        {
            change.Apply(this, progress);
        }

        return new Dictionary<string, string>(createdSecrets, StringComparer.OrdinalIgnoreCase);
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
                    changes.Add(new(PolicyChangeKind.CreateClient, $"register key-file client '{client.Name}' ({publicKey!.Fingerprint})",
                        (s, _) => s.AddClient(client.Name, new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = publicKey }, role, client.Description)));
                }

                return false;
            case ClientKind.Generated:
                changes.Add(new(PolicyChangeKind.CreateClient, $"create client '{client.Name}' with a generated secret",
                    (s, _) => s.createdSecrets[client.Name] = s.AddClient(client.Name, new ClientCredentialSpec { Kind = ClientKind.Generated }, role, client.Description).ClientSecret!));
                return false;
            default:
                problems.Add($"client '{client.Name}' does not exist and needs a passphrase, which a policy cannot hold: create it first");
                return true;
        }
    }

    private void PlanGrants(PolicyDocument policy, bool prune, Dictionary<string, NamespaceInfo> namespaces, Dictionary<string, ClientInfo> clients,
                            HashSet<string> wantedClients, List<PolicyChange> changes, List<string> problems)
    {
        var permissions = ListPermissions();
        var current = permissions.ToDictionary(p => Key(p.Client, p.Namespace, p.Secret), p => p.Permissions);
        static (string, string, string?) Key(string client, string ns, string? secret) => (client.ToUpperInvariant(), ns.ToUpperInvariant(), secret?.ToUpperInvariant());
        var wanted = new Dictionary<(string Client, string Namespace, string? Secret), Permissions>();
        foreach (var grant in policy.Grants)
        {
            var where = $"grant to '{Names.Printable(grant.Client)}' on '{Names.Printable(grant.Namespace)}{(grant.Secret is null ? "" : "/" + Names.Printable(grant.Secret))}'";
            if (!ParsePermissions(grant.Permissions, out var flags))
            {
                problems.Add($"{where}: permissions must be some of read, write, delete, permit");
                continue;
            }

            if (!clients.ContainsKey(grant.Client) && !wantedClients.Contains(grant.Client))
            {
                problems.Add($"{where}: no such client");
                continue;
            }

            if (!namespaces.ContainsKey(grant.Namespace) && !policy.Namespaces.Any(n => string.Equals(n.Name, grant.Namespace, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"{where}: no such namespace");
                continue;
            }

            if (grant.Secret is not null && (!namespaces.ContainsKey(grant.Namespace) || !ListSecrets(grant.Namespace, grant.Secret, includeExpired: true).Any(e => string.Equals(e.Name, grant.Secret, StringComparison.OrdinalIgnoreCase))))
            {
                problems.Add($"{where}: no such secret");
                continue;
            }

            var key = Key(grant.Client, grant.Namespace, grant.Secret);
            wanted[key] = wanted.GetValueOrDefault(key) | flags;
            var missing = flags & ~current.GetValueOrDefault(key);
            if (missing != Permissions.None)
            {
                changes.Add(new(PolicyChangeKind.Grant, $"grant {string.Join(",", FlagNames(missing))} to '{grant.Client}' on {Scope(grant.Namespace, grant.Secret)}",
                    (s, _) => s.Grant(grant.Client, grant.Namespace, grant.Secret, missing)));
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
                var (clientName, namespaceName, secretName) = (permission.Client, permission.Namespace, permission.Secret);
                changes.Add(new(PolicyChangeKind.Revoke, $"revoke {string.Join(",", FlagNames(extra))} from '{clientName}' on {Scope(namespaceName, secretName)}",
                    (s, p) => s.Revoke(clientName, namespaceName, secretName, extra, progress: p)));
            }
        }
    }

    private string PublicKeyPem(string client) => Backend.Read(reader => RequireClient(reader, client).PublicKey.ExportPem());

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

    private static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _);

    /// <summary>Parses permission names (read, write, delete, permit, all).</summary>
    public static bool ParsePermissions(IEnumerable<string>? names, out Permissions permissions)
    {
        permissions = Permissions.None;
        foreach (var name in names ?? [])
        {
            if (!TryParse<Permissions>(name?.Trim(), out var flag) || flag == Permissions.None)
            {
                return false;
            }

            permissions |= flag;
        }

        return permissions != Permissions.None;
    }

    /// <summary>Lower-case names of the flags, e.g. [read, write].</summary>
    public static List<string> FlagNames(Permissions permissions) =>
        new[] { Permissions.Read, Permissions.Write, Permissions.Delete, Permissions.Permit }
            .Where(f => permissions.HasFlag(f)).Select(f => f.ToString().ToLowerInvariant()).ToList();

    private static string Scope(string ns, string? secret) => secret is null ? $"namespace '{ns}'" : $"secret '{secret}' in '{ns}'";
}
