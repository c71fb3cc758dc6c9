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
        return Change(AuditActions.SecretMetadata, ns, name, (reader, batch) =>
        {
            var (namespaceRecord, record) = RequireSecret(reader, ns, name, Permissions.Write);
            var now = DateTimeOffset.UtcNow;
            var updated = record with { Metadata = validated.Count == 0 ? null : SecretMetadata.Serialize(validated), Updated = now, UpdatedBy = ClientName };
            batch.Add(new UpdateSecret(updated, record.CurrentVersion, ClientId));
            Sign(reader, batch, new Control.SetSecretMetadata(record.Id, updated.Metadata));
            return (ToEntry(namespaceRecord.Name, updated), (int?)null);
        });
    }
}
