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

        return Query(AuditActions.AuditList, null, null, (connection, transaction) =>
        {
            if (Role == ClientRole.Member)
            {
                throw new AccessDeniedException($"Client '{ClientName}' is a member; only admins read the audit log.", "audit");
            }

            return (AuditLog.List(connection, transaction, query), (int?)null, AuditRecord.Ok);
        });
    }

    /// <summary>
    /// SQLite's integrity check, then every namespace key generation this client holds decrypting its
    /// canary, then the audit chain. Problems are reported, not thrown.
    /// </summary>
    public StoreCheckResult Check() => Query(AuditActions.StoreCheck, null, null, (connection, transaction) =>
    {
        var integrity = string.Join("; ", ReadColumn<string>(connection, transaction, "PRAGMA integrity_check"));
        var problems = new List<string>();
        var checkedKeys = 0;
        using (var command = StoreDatabase.Command(connection, transaction,
                   "SELECT n.id, n.name, k.generation, k.canary_nonce, k.canary FROM namespace_keys k JOIN namespaces n ON n.id = k.namespace_id " +
                   "JOIN stanzas s ON s.scope_kind = 1 AND s.scope_id = k.namespace_id AND s.generation = k.generation AND s.client_id = $client ORDER BY n.name, k.generation",
                   ("$client", ClientId.ToBlob())))
        using (var reader = command.ExecuteReader())
        {
            var rows = new List<(Guid Id, string Name, int Generation, SealedData Canary)>();
            while (reader.Read())
            {
                rows.Add((reader.GetUuid(0), reader.GetString(1), reader.GetInt32(2), new SealedData(reader.GetBlob(3), reader.GetBlob(4))));
            }

            foreach (var (id, name, generation, canary) in rows)
            {
                checkedKeys++;
                try
                {
                    var key = NamespaceKey(connection, transaction, id, generation, $"namespace '{name}'");
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
        }

        var audit = AuditLog.Verify(connection, transaction, StoreId);
        return (new StoreCheckResult(integrity, checkedKeys, problems, audit), (int?)null, AuditRecord.Ok);
    });

    private static List<T> ReadColumn<T>(Microsoft.Data.Sqlite.SqliteConnection connection, StoreTransaction transaction, string sql)
    {
        using var command = StoreDatabase.Command(connection, transaction, sql);
        using var reader = command.ExecuteReader();
        var values = new List<T>();
        while (reader.Read())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}
