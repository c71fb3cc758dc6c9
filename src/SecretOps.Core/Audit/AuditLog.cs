using System.Security.Cryptography;
using SecretOps.Core.Control;
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

/// <summary>The client whose audit entries a write signs, with its signing key.</summary>
internal sealed record AuditSigner(Guid ClientId, ClientSigningKey Key);

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
    public static void Append(IStoreReader reader, WriteBatch batch, Guid storeId, Surface surface, IReadOnlyCollection<AuditRecord> records, AuditSigner? signer = null)
    {
        var last = reader.LastAuditEntry();
        var (sequence, previous) = last is null ? (1L, Genesis(storeId)) : (last.Sequence + 1, last.Hash);
        var surfaceName = surface.ToString().ToLowerInvariant();
        var chained = new List<ChainedAuditEntry>(records.Count);
        var list = records as IReadOnlyList<AuditRecord> ?? [.. records];
        for (var i = 0; i < list.Count; i++)
        {
            var record = list[i];
            var entry = new AuditEntry(sequence++, DateTimeOffset.UtcNow, record.ClientId, record.ClientName, record.Action, record.Namespace, record.Target,
                                       record.Version, record.Outcome, record.ErrorId, HostName, OsUser, Environment.ProcessId, surfaceName);
            var hash = Hash(entry, previous);
            // One signature per run of the signer's entries, on its last: its hash chains every entry of the run, so one
            // signature covers them all (a session flushing 500 reads signs once, not 500 times).
            var endsRun = i == list.Count - 1 || list[i + 1].ClientId != record.ClientId;
            var signature = signer is not null && record.ClientId == signer.ClientId && endsRun ? signer.Key.Sign(SignedBytes(storeId, hash)) : null;
            chained.Add(new ChainedAuditEntry(entry, previous, hash, signature));
            previous = hash;
        }

        batch.Add(new AppendAudit(chained));
    }

    /// <summary>
    /// Checks every link of the chain and every signature, and reports the first broken one. With a verified
    /// <paramref name="state"/> (format 2), a signed entry must verify with a signing key the control log gave its client,
    /// and an unsigned entry naming a client must be covered by a signature of that client: a later signed entry of the
    /// same client with only that client's entries between them (the signature's hash chains them all). An entry that
    /// needs no signature and has none is counted as unsigned (it proves nothing about who wrote it).
    /// </summary>
    public static AuditVerification Verify(IStoreReader reader, Guid storeId, AccessState? state = null)
    {
        var expectedPrevious = Genesis(storeId);
        long checkedCount = 0, expectedSequence = 1, unsigned = 0;
        (Guid Client, long Sequence)? uncovered = null;
        foreach (var (entry, previous, stored, signature) in reader.AuditChain())
        {
            var needsCover = state is not null && signature is null && entry.ClientId is not null && entry.Sequence > state.Baseline.Format1AuditEntries
                             && !(entry.Action == AuditActions.ClientConnect && entry.Outcome != AuditRecord.Ok);
            string? problem = entry.Sequence != expectedSequence ? $"entry {expectedSequence} is missing"
                : !CryptographicOperations.FixedTimeEquals(previous, expectedPrevious) ? "its link to the previous entry does not match"
                : !CryptographicOperations.FixedTimeEquals(stored, Hash(entry, previous)) ? "its contents do not match its hash"
                : state is null || signature is null ? null
                : entry.ClientId is not { } author || state.Client(author) is not { } client ? "it is signed, but names no client of the control log"
                : !client.SigningKeys.Any(key => key.Verify(SignedBytes(storeId, stored), signature)) ? $"its signature does not verify with a signing key of client '{client.Name}'"
                : null;
            if (problem is null && uncovered is { } open && entry.ClientId != open.Client)
            {
                // A run of unsigned entries naming a client ended without that client's signature.
                return Uncovered(state!, open, checkedCount);
            }

            if (problem is not null)
            {
                return new AuditVerification(false, checkedCount, Math.Min(entry.Sequence, expectedSequence), $"Audit entry {Math.Min(entry.Sequence, expectedSequence)}: {problem}.");
            }

            uncovered = signature is not null ? null : needsCover ? uncovered ?? (entry.ClientId!.Value, entry.Sequence) : uncovered;
            if (state is not null && signature is null && !needsCover)
            {
                unsigned++;
            }

            expectedPrevious = stored;
            expectedSequence++;
            checkedCount++;
        }

        return uncovered is { } last
            ? Uncovered(state!, last, checkedCount)
            : new AuditVerification(true, checkedCount, null, null) { UnsignedEntries = unsigned };
    }

    /// <summary>
    /// What is wrong with audit entries <paramref name="sender"/> is about to append after <paramref name="last"/> (a hosted
    /// store's write, checked by the server before anyone else sees them); null when nothing is. Each must follow the log's
    /// end, link and hash as <see cref="Verify"/> checks, name the sender or no client (and then not another client's name),
    /// verify with a signing key of the sender when signed, and a run naming the sender must end signed, as
    /// <see cref="Verify"/> requires of the whole log.
    /// </summary>
    public static string? ProblemWithAppended(AuditLink? last, IReadOnlyList<ChainedAuditEntry> entries, Guid storeId, AccessState state, Guid sender)
    {
        var (expectedSequence, expectedPrevious) = last is null ? (1L, Genesis(storeId)) : (last.Sequence + 1, last.Hash);
        var client = state.Client(sender);
        long? uncovered = null;
        foreach (var (entry, previous, stored, signature) in entries)
        {
            var problem = entry.Sequence != expectedSequence ? "it does not follow the end of the log"
                : !CryptographicOperations.FixedTimeEquals(previous, expectedPrevious) ? "its link to the previous entry does not match"
                : !CryptographicOperations.FixedTimeEquals(stored, Hash(entry, previous)) ? "its contents do not match its hash"
                : entry.ClientId is { } named && named != sender ? "it names another client than its sender"
                : entry.ClientId is null && state.FindClient(entry.ClientName) is { } other && other.Id != sender ? $"it is in the name of client '{other.Name}', not its sender"
                : signature is not null && (client is null || !client.SigningKeys.Any(key => key.Verify(SignedBytes(storeId, stored), signature))) ? "its signature does not verify with a signing key of its sender"
                : null;
            if (problem is null && uncovered is { } open && entry.ClientId != sender)
            {
                return $"Audit entry {open}: it names its sender but is not signed by it.";
            }

            if (problem is not null)
            {
                return $"Audit entry {entry.Sequence}: {problem}.";
            }

            var needsCover = signature is null && entry.ClientId is not null && !(entry.Action == AuditActions.ClientConnect && entry.Outcome != AuditRecord.Ok);
            uncovered = signature is not null ? null : needsCover ? uncovered ?? entry.Sequence : uncovered;
            expectedPrevious = stored;
            expectedSequence++;
        }

        return uncovered is { } end ? $"Audit entry {end}: it names its sender but is not signed by it." : null;
    }

    private static AuditVerification Uncovered(AccessState state, (Guid Client, long Sequence) run, long checkedCount) =>
        new(false, checkedCount, run.Sequence,
            $"Audit entry {run.Sequence}: it names client '{state.Client(run.Client)?.Name ?? run.Client.ToString()}' but is not signed by it.");

    /// <summary>What an author signs for an audit entry: (<c>secretops/audit-signature/v1</c>, store id, entry hash).</summary>
    private static byte[] SignedBytes(Guid storeId, byte[] hash) =>
        new AssociatedData("secretops/audit-signature/v1").Add(storeId).Add(hash).Span.ToArray();

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
