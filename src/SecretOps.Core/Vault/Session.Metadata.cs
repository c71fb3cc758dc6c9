using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;
using SecretOps.Core.Audit;

namespace SecretOps.Core;

public sealed partial class Session
{
    /// <summary>
    /// Replaces a secret's metadata without writing a new version (SecretManagement's Set-SecretInfo); an
    /// empty table clears it. Needs Write on the secret or its namespace.
    /// </summary>
    public SecretEntry SetMetadata(string ns, string name, IReadOnlyDictionary<string, object> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        Names.ValidateNamespaceName(ns);
        Names.ValidateSecretName(name);
        var validated = SecretMetadata.Validate(metadata);
        return Change(AuditActions.SecretMetadata, ns, name, (connection, transaction) =>
        {
            var (namespaceRecord, record) = RequireSecret(connection, transaction, ns, name, Permissions.Write);
            var now = DateTimeOffset.UtcNow;
            var updated = record with { Metadata = validated.Count == 0 ? null : SecretMetadata.Serialize(validated), Updated = now, UpdatedBy = ClientName };
            StoreDatabase.Execute(connection, transaction,
                "UPDATE secrets SET metadata = $metadata, updated_at = $now, updated_by = $by WHERE id = $id",
                ("$metadata", updated.Metadata), ("$now", now.ToUnixMilliseconds()), ("$by", ClientId.ToBlob()), ("$id", record.Id.ToBlob()));
            return (ToEntry(namespaceRecord, updated), (int?)null);
        });
    }
}
