using SecretOps.Core.Policy;

namespace SecretOps.Core;

public sealed partial class Session
{
    /// <summary>The store's namespaces, clients and grants as a policy document (System and Admin clients only).</summary>
    public PolicyDocument ExportPolicy()
    {
        RequireAdmin("export the policy");
        return new PolicyExporter(this, PublicKeyPem).Export();
    }

    /// <summary>
    /// The changes that would make the store match <paramref name="policy"/>: namespaces and key-file clients
    /// created, roles, descriptions, statuses and retention set, missing permissions granted and, with
    /// <paramref name="prune"/>, permissions absent from the policy revoked. The whole policy is validated first;
    /// a plan is only returned when every step can be carried out. Missing generated clients are created
    /// (their secrets are returned by <see cref="ApplyPolicy"/>); missing passphrase clients are refused.
    /// The plan is data (see <see cref="PolicyChange"/>); planning changes nothing.
    /// </summary>
    public PolicyPlan PlanPolicy(PolicyDocument policy, bool prune = false)
    {
        ArgumentNullException.ThrowIfNull(policy);
        RequireAdmin("apply a policy");
        return new PolicyPlanner(this).Plan(policy, prune);
    }

    /// <summary>Carries out a plan step by step; returns the secrets of generated clients it created (shown once).</summary>
    public IReadOnlyDictionary<string, string> ApplyPolicy(PolicyPlan plan, IProgress<RotationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new PolicyApplier(this).Apply(plan, progress);
    }

    private string PublicKeyPem(string client) => Backend.Read(reader => RequireClient(reader, client).PublicKey.ExportPem());

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

    /// <summary>An enum value by its name, in any case; numbers and undefined values are refused.</summary>
    internal static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(text, out _);
}
