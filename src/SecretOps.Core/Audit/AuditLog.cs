using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
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

    public static void Append(SqliteConnection connection, StoreTransaction transaction, Guid storeId, Surface surface, AuditRecord record) =>
        Append(connection, transaction, storeId, surface, [record]);

    /// <summary>Appends <paramref name="records"/> in order, reading the chain's end once (a session's buffered reads).</summary>
    public static void Append(SqliteConnection connection, StoreTransaction transaction, Guid storeId, Surface surface, IReadOnlyCollection<AuditRecord> records)
    {
        long sequence;
        byte[] previous;
        using (var last = StoreDatabase.Command(connection, transaction, "SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1"))
        using (var reader = last.ExecuteReader())
        {
            (sequence, previous) = reader.Read() ? (reader.GetInt64(0) + 1, reader.GetBlob(1)) : (1L, Genesis(storeId));
        }

        var first = sequence;
        var surfaceName = surface.ToString().ToLowerInvariant();
        foreach (var record in records)
        {
            var entry = new AuditEntry(sequence++, DateTimeOffset.UtcNow, record.ClientId, record.ClientName, record.Action, record.Namespace, record.Target,
                                       record.Version, record.Outcome, record.ErrorId, HostName, OsUser, Environment.ProcessId, surfaceName);
            var hash = Hash(entry, previous);
            StoreDatabase.ExecuteExpecting(connection, transaction, 1, "an audit entry",
                """
                INSERT INTO audit (sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface, previous_hash, hash)
                VALUES ($sequence, $at, $client, $name, $action, $namespace, $target, $version, $outcome, $error, $host, $user, $pid, $surface, $previous, $hash)
                """,
                ("$sequence", entry.Sequence), ("$at", entry.Time.ToUnixMilliseconds()), ("$client", entry.ClientId?.ToBlob()), ("$name", entry.ClientName),
                ("$action", entry.Action), ("$namespace", entry.Namespace), ("$target", entry.Target), ("$version", entry.Version), ("$outcome", entry.Outcome),
                ("$error", entry.ErrorId), ("$host", entry.Host), ("$user", entry.OsUser), ("$pid", entry.ProcessId), ("$surface", entry.Surface),
                ("$previous", previous), ("$hash", hash));
            previous = hash;
        }

        // Each insert reported one row; confirm they are all still there (nothing in the file removed one after).
        var kept = (long)StoreDatabase.Scalar(connection, transaction, "SELECT count(*) FROM audit WHERE sequence >= $first", ("$first", first))!;
        if (kept != records.Count)
        {
            throw StoreDatabase.Altered($"audit entries: {kept} of {records.Count} kept");
        }
    }

    public static IReadOnlyList<AuditEntry> List(SqliteConnection connection, StoreTransaction transaction, AuditQuery query)
    {
        var sql = "SELECT * FROM audit WHERE ($since IS NULL OR at >= $since) AND ($client IS NULL OR client_name = $client COLLATE NOCASE OR hex(client_id) = upper(replace($client, '-', ''))) AND ($action IS NULL OR action = $action COLLATE NOCASE) ORDER BY sequence DESC LIMIT $limit";
        using var command = StoreDatabase.Command(connection, transaction, sql,
            ("$since", query.Since?.ToUnixMilliseconds()), ("$client", query.Client), ("$action", query.Action), ("$limit", query.Last ?? -1));
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(Read(reader));
        }

        entries.Reverse();
        return entries;
    }

    public static AuditVerification Verify(SqliteConnection connection, StoreTransaction transaction, Guid storeId)
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT * FROM audit ORDER BY sequence");
        using var reader = command.ExecuteReader();
        var expectedPrevious = Genesis(storeId);
        long checkedCount = 0, expectedSequence = 1;
        while (reader.Read())
        {
            var entry = Read(reader);
            var previous = reader.GetBlob(reader.GetOrdinal("previous_hash"));
            var stored = reader.GetBlob(reader.GetOrdinal("hash"));
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

    private static AuditEntry Read(SqliteDataReader reader) => new(
        reader.GetInt64(reader.GetOrdinal("sequence")),
        reader.GetTime(reader.GetOrdinal("at")),
        reader.GetNullableUuid(reader.GetOrdinal("client_id")),
        reader.GetString(reader.GetOrdinal("client_name")),
        reader.GetString(reader.GetOrdinal("action")),
        reader.GetNullableString(reader.GetOrdinal("namespace")),
        reader.GetNullableString(reader.GetOrdinal("target")),
        reader.GetNullableInt32(reader.GetOrdinal("version")),
        reader.GetString(reader.GetOrdinal("outcome")),
        reader.GetNullableString(reader.GetOrdinal("error_id")),
        reader.GetString(reader.GetOrdinal("host")),
        reader.GetString(reader.GetOrdinal("os_user")),
        reader.GetInt32(reader.GetOrdinal("process_id")),
        reader.GetString(reader.GetOrdinal("surface")));

    private static byte[] Genesis(Guid storeId) => SHA256.HashData(new AssociatedData("secretops/audit-genesis/v1").Add(storeId).Span);

    /// <summary>SHA-256 over the entry's fields (absent values marked as absent) and the previous hash.</summary>
    private static byte[] Hash(AuditEntry entry, byte[] previous)
    {
        var fields = new AssociatedData("secretops/audit/v1").Add(entry.Sequence).Add(entry.Time.ToUnixMilliseconds());
        AddOptional(fields, entry.ClientId?.ToBlob());
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
