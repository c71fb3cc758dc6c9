using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;
using SecretOps.Core.Audit;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Storage.Sqlite;

internal sealed partial class SqliteReader
{
    public long ControlHead() => Convert.ToInt64(StoreDatabase.Scalar(connection, transaction, "SELECT coalesce(max(sequence), 0) FROM control_log"), System.Globalization.CultureInfo.InvariantCulture);

    public IEnumerable<(long Sequence, byte[] Entry)> ControlEntries(long sequence)
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT sequence, entry FROM control_log WHERE sequence > $after ORDER BY sequence", ("$after", sequence));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return UnreadableValueException.Converting(reader, r => (r.GetInt64(0), r.GetBlob(1)));
        }
    }

    public Stanza? SigningKey(Guid clientId) => Single(
        "SELECT algorithm, header, nonce, wrapped_key FROM signing_keys WHERE client_id = $client",
        r => new Stanza(clientId, (StanzaAlgorithm)r.GetInt32(0), r.GetBlob(1), r.GetBlob(2), r.GetBlob(3)), ("$client", clientId.ToBlob()));

    public AuditLink? LastAuditEntry() =>
        Single("SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1", r => new AuditLink(r.GetInt64(0), r.GetBlob(1)));

    public IReadOnlyList<AuditEntry> AuditEntries(AuditQuery query)
    {
        // A client is matched by name (ignoring case) or by id in any UUID form; no limit is SQLite's LIMIT -1.
        var entries = List(
            "SELECT * FROM audit WHERE ($since IS NULL OR at >= $since) AND ($client IS NULL OR client_name = $client COLLATE NOCASE OR client_id = $clientId) "
            + "AND ($action IS NULL OR action = $action COLLATE NOCASE) ORDER BY sequence DESC LIMIT $limit",
            ReadAuditEntry, ("$since", query.Since?.ToUnixMilliseconds()), ("$client", query.Client),
            ("$clientId", Guid.TryParse(query.Client, out var id) ? id.ToBlob() : null), ("$action", query.Action), ("$limit", query.Last ?? -1));
        entries.Reverse();
        return entries;
    }

    public IEnumerable<ChainedAuditEntry> AuditChain()
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT * FROM audit ORDER BY sequence");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return UnreadableValueException.Converting(reader, r =>
                new ChainedAuditEntry(ReadAuditEntry(r), r.GetBlob(r.GetOrdinal("previous_hash")), r.GetBlob(r.GetOrdinal("hash")),
                    r.IsDBNull(r.GetOrdinal("signature")) ? null : r.GetBlob(r.GetOrdinal("signature"))));
        }
    }

    private static AuditEntry ReadAuditEntry(SqliteDataReader reader) => new(
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
}
