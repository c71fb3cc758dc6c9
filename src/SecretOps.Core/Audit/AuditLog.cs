using System.Security.Cryptography;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Audit;

/// <summary>An audit entry before it is chained: who did what to which target, and how it ended.</summary>
internal sealed record AuditRecord(Guid? ClientId, string ClientName, string Action, string? Namespace, string? Target, int? Version, string Outcome, string? ErrorId)
{
    public const string Ok = "ok";
    public const string Denied = "denied";
    public const string Failed = "failed";
    public const string Override = "override";
}

/// <summary>Filters for listing the audit log.</summary>
public sealed record AuditQuery(DateTimeOffset? Since = null, string? Client = null, string? Action = null, int? Last = null);

/// <summary>
/// The hash-chained audit log. Every entry's hash is SHA-256 over its fields and the previous entry's
/// hash (the first links to a hash of the store id), so changing, removing or reordering any entry
/// breaks the chain from there on. Entries are appended inside the transaction of the change they record.
/// </summary>
internal static class AuditLog
{
    private static readonly string HostName = Environment.MachineName;
    private static readonly string OsUser = Environment.UserName;

    /// <summary>
    /// Chains <paramref name="records"/> onto the log's end as <paramref name="reader"/> sees it and adds them to
    /// <paramref name="batch"/>, in the transaction of the change they record.
    /// </summary>
    public static void Append(IStoreReader reader, WriteBatch batch, Guid storeId, Surface surface, IReadOnlyCollection<AuditRecord> records)
    {
        var last = reader.LastAuditEntry();
        var (sequence, previous) = last is null ? (1L, Genesis(storeId)) : (last.Sequence + 1, last.Hash);
        var surfaceName = surface.ToString().ToLowerInvariant();
        var chained = new List<ChainedAuditEntry>(records.Count);
        foreach (var record in records)
        {
            var entry = new AuditEntry(sequence++, DateTimeOffset.UtcNow, record.ClientId, record.ClientName, record.Action, record.Namespace, record.Target,
                                       record.Version, record.Outcome, record.ErrorId, HostName, OsUser, Environment.ProcessId, surfaceName);
            var hash = Hash(entry, previous);
            chained.Add(new ChainedAuditEntry(entry, previous, hash));
            previous = hash;
        }

        batch.Add(new AppendAudit(chained));
    }

    /// <summary>Checks every link of the chain and reports the first broken one.</summary>
    public static AuditVerification Verify(IStoreReader reader, Guid storeId)
    {
        var expectedPrevious = Genesis(storeId);
        long checkedCount = 0, expectedSequence = 1;
        foreach (var (entry, previous, stored) in reader.AuditChain())
        {
            string? problem = entry.Sequence != expectedSequence ? $"entry {expectedSequence} is missing"
                : !CryptographicOperations.FixedTimeEquals(previous, expectedPrevious) ? "its link to the previous entry does not match"
                : !CryptographicOperations.FixedTimeEquals(stored, Hash(entry, previous)) ? "its contents do not match its hash"
                : null;
            if (problem is not null)
            {
                return new AuditVerification(false, checkedCount, Math.Min(entry.Sequence, expectedSequence), $"Audit entry {Math.Min(entry.Sequence, expectedSequence)}: {problem}.");
            }

            expectedPrevious = stored;
            expectedSequence++;
            checkedCount++;
        }

        return new AuditVerification(true, checkedCount, null, null);
    }

    private static byte[] Genesis(Guid storeId) => SHA256.HashData(new AssociatedData("secretops/audit-genesis/v1").Add(storeId).Span);

    /// <summary>SHA-256 over the entry's fields (absent values marked as absent) and the previous hash.</summary>
    private static byte[] Hash(AuditEntry entry, byte[] previous)
    {
        var fields = new AssociatedData("secretops/audit/v1").Add(entry.Sequence).Add(entry.Time.ToUnixTimeMilliseconds());
        AddOptional(fields, entry.ClientId?.ToByteArray(bigEndian: true));
        fields.Add(entry.ClientName).Add(entry.Action);
        AddOptional(fields, entry.Namespace);
        AddOptional(fields, entry.Target);
        AddOptional(fields, entry.Version);
        fields.Add(entry.Outcome);
        AddOptional(fields, entry.ErrorId);
        fields.Add(entry.Host).Add(entry.OsUser).Add(entry.ProcessId).Add(entry.Surface).Add(previous);
        return SHA256.HashData(fields.Span);
    }

    private static void AddOptional(AssociatedData fields, string? value)
    {
        fields.Add(value is null ? 0 : 1);
        fields.Add(value ?? "");
    }

    private static void AddOptional(AssociatedData fields, byte[]? value)
    {
        fields.Add(value is null ? 0 : 1);
        fields.Add(value ?? []);
    }

    private static void AddOptional(AssociatedData fields, int? value)
    {
        fields.Add(value is null ? 0 : 1);
        fields.Add(value ?? 0);
    }
}
