using SecretOps.Core.Audit;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

public sealed partial class Session
{
    /// <summary>Audit entries, oldest first (System and Admin clients only).</summary>
    public IReadOnlyList<AuditEntry> ListAudit(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Last is < 1)
        {
            throw new InvalidParameterException("last", "The number of newest entries to list must be at least 1.");
        }

        return Query(AuditActions.AuditList, null, null, reader =>
        {
            if (Role == ClientRole.Member)
            {
                throw new AccessDeniedException($"Client '{ClientName}' is a member; only admins read the audit log.", "audit");
            }

            return (reader.AuditEntries(query), (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>
    /// The storage's own integrity check, then every namespace key generation this client holds decrypting its
    /// canary, a key stanza without a grant in any namespace (a row no command writes, which the next rotation would
    /// refuse), then the audit chain. Problems are reported, not thrown.
    /// </summary>
    public StoreCheckResult Check() => Query(AuditActions.StoreCheck, null, null, reader =>
    {
        var integrity = reader.IntegrityCheck();
        var problems = new List<string>();
        var canaries = reader.CanariesHeldBy(ClientId);
        foreach (var (id, name, generation, canary) in canaries)
        {
            try
            {
                var key = keys.NamespaceKey(reader, id, generation, $"namespace '{name}'");
                var plain = Aead.Open(key, canary, Contexts.Canary(StoreId, id, generation), $"The canary of namespace '{name}' key {generation}");
                if (!plain.AsSpan().SequenceEqual(Contexts.CanaryPlaintext))
                {
                    problems.Add($"Namespace '{name}' key generation {generation}: its canary decrypts to the wrong value.");
                }
            }
            catch (TamperedException e)
            {
                problems.Add($"Namespace '{name}' key generation {generation}: {e.Message}");
            }
        }

        foreach (var ns in reader.Namespaces())
        {
            if (reader.FirstUngrantedStanza(ns.Id, null, null) is { } stray)
            {
                var scope = stray.Kind == ScopeKind.Namespace ? $"namespace '{ns.Name}'" : $"secret '{stray.Secret}' in namespace '{ns.Name}'";
                problems.Add($"Client '{stray.Client}' has a key stanza for {scope} but no grant there: a row no SecretOps command writes; revoke it before the next rotation.");
            }
        }

        var audit = AuditLog.Verify(reader, StoreId, ((Control.VerifiedReader)reader).State);
        return (new StoreCheckResult(integrity, canaries.Count, problems, audit), (int?)null, AuditRecord.Ok);
    });
}
