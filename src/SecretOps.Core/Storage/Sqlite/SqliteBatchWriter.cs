using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>
/// Applies a <see cref="WriteBatch"/> in the transaction its command read in. Every statement whose effect security
/// depends on checks how many rows it changed: anything else means something in the file interfered, and the whole
/// transaction is abandoned as altered.
/// </summary>
internal sealed class SqliteBatchWriter(SqliteConnection connection, StoreTransaction transaction)
{
    public void Apply(WriteBatch batch)
    {
        foreach (var change in batch.Changes)
        {
            Apply(change);
        }
    }

    private void Apply(StoreChange change)
    {
        switch (change)
        {
            case InsertStoreHeader(var header):
                Expect(1, "the store header", "INSERT INTO store_info VALUES (1, $id, $now, $weak, $m, $t, $p)",
                    ("$id", header.StoreId.ToBlob()), ("$now", header.Created.ToUnixMilliseconds()), ("$weak", header.AllowWeakKdf ? 1 : 0),
                    ("$m", header.Kdf.MemoryKiB), ("$t", header.Kdf.Iterations), ("$p", header.Kdf.Parallelism));
                break;
            case InsertClient(var client, var createdBy):
                Expect(1, "a new client",
                    """
                    INSERT INTO clients (id, name, description, kind, role, status, public_key, kdf_salt, kdf_memory_kib, kdf_iterations, kdf_parallelism, private_key_nonce, private_key, created_at, created_by, last_used_at)
                    VALUES ($id, $name, $description, $kind, $role, $status, $public, $salt, $m, $t, $p, $nonce, $key, $now, $by, $used)
                    """,
                    ("$id", client.Id.ToBlob()), ("$name", client.Name), ("$description", client.Description), ("$kind", (int)client.Kind), ("$role", (int)client.Role),
                    ("$status", (int)client.Status), ("$public", client.PublicKey.ExportSubjectPublicKeyInfo()), ("$salt", client.Protection?.Salt),
                    ("$m", client.Protection?.Kdf?.MemoryKiB), ("$t", client.Protection?.Kdf?.Iterations), ("$p", client.Protection?.Kdf?.Parallelism),
                    ("$nonce", client.Protection?.Envelope.Nonce), ("$key", client.Protection?.Envelope.Ciphertext),
                    ("$now", client.Created.ToUnixMilliseconds()), ("$by", createdBy?.ToBlob()), ("$used", client.LastUsed?.ToUnixMilliseconds()));
                break;
            case UpdateClient(var id, var name, var description, var role):
                Expect(1, "a client", "UPDATE clients SET name = $name, description = $description, role = $role WHERE id = $id",
                    ("$name", name), ("$description", description), ("$role", (int)role), ("$id", id.ToBlob()));
                break;
            case SetClientStatus(var id, var status):
                Expect(1, "a client's status", "UPDATE clients SET status = $status WHERE id = $id", ("$status", (int)status), ("$id", id.ToBlob()));
                break;
            case ReplaceClientKey(var id, var kind, var publicKey, var protection):
                Expect(1, "a client's key",
                    "UPDATE clients SET kind = $kind, public_key = $public, kdf_salt = $salt, kdf_memory_kib = $m, kdf_iterations = $t, kdf_parallelism = $p, private_key_nonce = $nonce, private_key = $key WHERE id = $id",
                    ("$kind", (int)kind), ("$public", publicKey.ExportSubjectPublicKeyInfo()), ("$salt", protection?.Salt), ("$m", protection?.Kdf?.MemoryKiB),
                    ("$t", protection?.Kdf?.Iterations), ("$p", protection?.Kdf?.Parallelism), ("$nonce", protection?.Envelope.Nonce), ("$key", protection?.Envelope.Ciphertext),
                    ("$id", id.ToBlob()));
                break;
            case NoteClientUse(var id, var at):
                Execute("UPDATE clients SET last_used_at = $now WHERE id = $id", ("$now", at.ToUnixMilliseconds()), ("$id", id.ToBlob()));
                break;
            case InsertNamespace(var ns):
                Expect(1, "a new namespace", "INSERT INTO namespaces VALUES ($id, $name, $description, $generation, $max, $now, $by)",
                    ("$id", ns.Id.ToBlob()), ("$name", ns.Name), ("$description", ns.Description), ("$generation", ns.KeyGeneration), ("$max", ns.MaxVersions),
                    ("$now", ns.Created.ToUnixMilliseconds()), ("$by", ns.CreatedBy.ToBlob()));
                break;
            case UpdateNamespace(var id, var description, var maxVersions):
                Expect(1, "a namespace", "UPDATE namespaces SET description = $description, max_versions = $max WHERE id = $id",
                    ("$description", description), ("$max", maxVersions), ("$id", id.ToBlob()));
                break;
            case SetNamespaceKeyGeneration(var id, var expected, var generation):
                Expect(1, "a namespace's key generation", "UPDATE namespaces SET key_generation = $generation WHERE id = $id AND key_generation = $expected",
                    ("$generation", generation), ("$id", id.ToBlob()), ("$expected", expected));
                break;
            case RemoveNamespace(var id):
                Execute(
                    """
                    DELETE FROM stanzas WHERE scope_kind = 2 AND scope_id IN (SELECT id FROM secrets WHERE namespace_id = $id);
                    DELETE FROM permissions WHERE scope_kind = 2 AND scope_id IN (SELECT id FROM secrets WHERE namespace_id = $id);
                    DELETE FROM secrets WHERE namespace_id = $id;
                    DELETE FROM stanzas WHERE scope_kind = 1 AND scope_id = $id;
                    DELETE FROM permissions WHERE scope_kind = 1 AND scope_id = $id;
                    DELETE FROM namespaces WHERE id = $id;
                    """,
                    ("$id", id.ToBlob()));
                break;
            case InsertNamespaceKey(var id, var generation, var canary, var created):
                Expect(1, "a namespace key", "INSERT INTO namespace_keys VALUES ($ns, $generation, $nonce, $canary, $now)",
                    ("$ns", id.ToBlob()), ("$generation", generation), ("$nonce", canary.Nonce), ("$canary", canary.Ciphertext), ("$now", created.ToUnixMilliseconds()));
                break;
            case InsertSecret(var secret, var createdBy):
                Expect(1, "a new secret", "INSERT INTO secrets VALUES ($id, $ns, $name, $type, $version, $generation, $metadata, $expires, $created, $by, $updated, $by, $key)",
                    ("$id", secret.Id.ToBlob()), ("$ns", secret.NamespaceId.ToBlob()), ("$name", secret.Name), ("$key", Secrets.Names.LookupKey(secret.Name)), ("$type", (int)secret.Type),
                    ("$version", secret.CurrentVersion), ("$generation", secret.KeyGeneration), ("$metadata", secret.Metadata), ("$expires", secret.ExpiresAt?.ToUnixMilliseconds()),
                    ("$created", secret.Created.ToUnixMilliseconds()), ("$updated", secret.Updated.ToUnixMilliseconds()), ("$by", createdBy.ToBlob()));
                break;
            case UpdateSecret(var secret, var expected, var updatedBy):
                Expect(1, "a secret",
                    "UPDATE secrets SET value_type = $type, current_version = $version, metadata = $metadata, expires_at = $expires, updated_at = $now, updated_by = $by WHERE id = $id AND current_version = $expected",
                    ("$type", (int)secret.Type), ("$version", secret.CurrentVersion), ("$metadata", secret.Metadata), ("$expires", secret.ExpiresAt?.ToUnixMilliseconds()),
                    ("$now", secret.Updated.ToUnixMilliseconds()), ("$by", updatedBy.ToBlob()), ("$id", secret.Id.ToBlob()), ("$expected", expected));
                break;
            case AdvanceSecretKeyGenerations(var id, var count):
                Expect(count, "the secrets' key generations", "UPDATE secrets SET key_generation = key_generation + 1 WHERE namespace_id = $ns", ("$ns", id.ToBlob()));
                break;
            case SetSecretKeyGeneration(var id, var expected, var generation):
                Expect(1, "a secret's key generation", "UPDATE secrets SET key_generation = $generation WHERE id = $id AND key_generation = $expected",
                    ("$generation", generation), ("$id", id.ToBlob()), ("$expected", expected));
                break;
            case RemoveSecret(var id):
                Execute(
                    """
                    DELETE FROM stanzas WHERE scope_kind = 2 AND scope_id = $id;
                    DELETE FROM permissions WHERE scope_kind = 2 AND scope_id = $id;
                    DELETE FROM secrets WHERE id = $id;
                    """,
                    ("$id", id.ToBlob()));
                break;
            case InsertSecretKey(var id, var generation, var namespaceGeneration, var wrapped):
                Expect(1, "a secret key", "INSERT INTO secret_keys VALUES ($id, $generation, $nsGeneration, $nonce, $key)",
                    ("$id", id.ToBlob()), ("$generation", generation), ("$nsGeneration", namespaceGeneration), ("$nonce", wrapped.Nonce), ("$key", wrapped.Ciphertext));
                break;
            case InsertVersion(var id, var version, var created, var by):
                Expect(1, "a new version", "INSERT INTO versions VALUES ($id, $version, $generation, $type, $nonce, $ciphertext, $now, $by)",
                    ("$id", id.ToBlob()), ("$version", version.Number), ("$generation", version.KeyGeneration), ("$type", (int)version.Type),
                    ("$nonce", version.Value.Nonce), ("$ciphertext", version.Value.Ciphertext), ("$now", created.ToUnixMilliseconds()), ("$by", by.ToBlob()));
                break;
            case RemoveVersion(var id, var version):
                Expect(1, "a removed version", "DELETE FROM versions WHERE secret_id = $id AND version = $version", ("$id", id.ToBlob()), ("$version", version));
                break;
            case PruneVersions(var id, var upTo):
                Execute("DELETE FROM versions WHERE secret_id = $id AND version <= $oldest", ("$id", id.ToBlob()), ("$oldest", upTo));
                break;
            case PruneVersionsIn(var id, var keep):
                Execute(
                    "DELETE FROM versions WHERE secret_id IN (SELECT id FROM secrets WHERE namespace_id = $ns) AND version <= (SELECT current_version FROM secrets WHERE id = versions.secret_id) - $keep",
                    ("$ns", id.ToBlob()), ("$keep", keep));
                break;
            case PutStanza(var scope, var stanza):
                Expect(1, "a key stanza", "INSERT OR REPLACE INTO stanzas VALUES ($client, $kind, $scope, $generation, $algorithm, $header, $nonce, $key)",
                    ("$client", stanza.RecipientId.ToBlob()), ("$kind", (int)scope.Kind), ("$scope", scope.ScopeId.ToBlob()), ("$generation", scope.Generation),
                    ("$algorithm", (int)stanza.Algorithm), ("$header", stanza.Header), ("$nonce", stanza.Nonce), ("$key", stanza.Ciphertext));
                break;
            case RemoveStanzas(var client, var kind, var scope):
                DeleteConfirmed("stanzas", "client_id = $client AND ($kind IS NULL OR (scope_kind = $kind AND scope_id = $scope))", "the client's keys",
                    ("$client", client.ToBlob()), ("$kind", (int?)kind), ("$scope", scope?.ToBlob()));
                break;
            case RemoveSecretStanzasIn(var client, var ns):
                DeleteConfirmed("stanzas", "client_id = $client AND scope_kind = 2 AND scope_id IN (SELECT id FROM secrets WHERE namespace_id = $ns)", "the client's secret keys",
                    ("$client", client.ToBlob()), ("$ns", ns.ToBlob()));
                break;
            case PutPermission(var client, var kind, var scope, var flags, var by, var at):
                Expect(1, "a permission", "INSERT OR REPLACE INTO permissions VALUES ($client, $kind, $scope, $flags, $by, $now)",
                    ("$client", client.ToBlob()), ("$kind", (int)kind), ("$scope", scope.ToBlob()), ("$flags", (int)flags), ("$by", by.ToBlob()), ("$now", at.ToUnixMilliseconds()));
                break;
            case RemovePermission(var client, var kind, var scope):
                Execute("DELETE FROM permissions WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope",
                    ("$client", client.ToBlob()), ("$kind", (int)kind), ("$scope", scope.ToBlob()));
                break;
            case RemovePermissionsOf(var client):
                Execute("DELETE FROM permissions WHERE client_id = $id", ("$id", client.ToBlob()));
                break;
            case AppendAudit(var entries):
                AppendAuditEntries(entries);
                break;
            case AppendControl(var sequence, var entry):
                // The log's next sequence: a row already there (or a gap) means this command decided from another log.
                Expect(1, "a control log entry",
                    "INSERT INTO control_log (sequence, entry) SELECT $sequence, $entry WHERE $sequence = 1 + coalesce((SELECT max(sequence) FROM control_log), 0)",
                    ("$sequence", sequence), ("$entry", entry));
                break;
            case PutSigningKey(var stanza):
                Expect(1, "a signing key", "INSERT OR REPLACE INTO signing_keys VALUES ($client, $algorithm, $header, $nonce, $key)",
                    ("$client", stanza.RecipientId.ToBlob()), ("$algorithm", (int)stanza.Algorithm), ("$header", stanza.Header), ("$nonce", stanza.Nonce),
                    ("$key", stanza.Ciphertext));
                break;
            default:
                throw new InvalidOperationException($"No SQLite statement applies {change.GetType().Name}.");
        }
    }

    private void AppendAuditEntries(IReadOnlyList<ChainedAuditEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        // The precondition AppendAudit states: the first entry links to the log's end as this transaction sees it, each
        // next one to the entry before it. A batch chained onto another view of the log would fork or gap the chain.
        // (The first link of an empty log is to a hash of the store id, which AuditLog checks; only its number is checked here.)
        var end = new SqliteReader(connection, transaction).LastAuditEntry();
        var (sequence, link) = (end?.Sequence ?? 0, end?.Hash);
        foreach (var (entry, previous, hash, _) in entries)
        {
            if (entry.Sequence != sequence + 1 || (link is not null && !previous.AsSpan().SequenceEqual(link)))
            {
                throw StoreDatabase.Altered($"audit entries: entry {entry.Sequence} does not follow entry {sequence}, the end of the log");
            }

            (sequence, link) = (entry.Sequence, hash);
        }

        // Through SQLite's own interface, one statement prepared once per batch and bound by position: a flush writes every
        // read a session made (hundreds of rows), and binding 17 named parameters per row through Microsoft.Data.Sqlite cost
        // about as much as the read the row records.
        var database = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(database, InsertAuditSql, out var statement), database);
        using (statement)
        {
            foreach (var (entry, previous, hash, signature) in entries)
            {
                Check(raw.sqlite3_reset(statement), database);
                Bind(statement, 1, entry.Sequence);
                Bind(statement, 2, entry.Time.ToUnixMilliseconds());
                Bind(statement, 3, entry.ClientId?.ToBlob());
                Bind(statement, 4, entry.ClientName);
                Bind(statement, 5, entry.Action);
                Bind(statement, 6, entry.Namespace);
                Bind(statement, 7, entry.Target);
                Bind(statement, 8, entry.Version);
                Bind(statement, 9, entry.Outcome);
                Bind(statement, 10, entry.ErrorId);
                Bind(statement, 11, entry.Host);
                Bind(statement, 12, entry.OsUser);
                Bind(statement, 13, entry.ProcessId);
                Bind(statement, 14, entry.Surface);
                Bind(statement, 15, previous);
                Bind(statement, 16, hash);
                Bind(statement, 17, signature);
                var done = raw.sqlite3_step(statement);
                if (done != raw.SQLITE_DONE)
                {
                    Check(done, database);
                }

                if (raw.sqlite3_changes(database) != 1)
                {
                    throw StoreDatabase.Altered($"an audit entry: {raw.sqlite3_changes(database)} row(s) changed where 1 should have");
                }
            }
        }

        // Each insert reported one row; confirm they are all still there (nothing in the file removed one after).
        var kept = Convert.ToInt64(StoreDatabase.Scalar(connection, transaction, "SELECT count(*) FROM audit WHERE sequence >= $first", ("$first", entries[0].Entry.Sequence)),
                                   CultureInfo.InvariantCulture);
        if (kept != entries.Count)
        {
            throw StoreDatabase.Altered($"audit entries: {kept} of {entries.Count} kept");
        }
    }

    private const string InsertAuditSql =
        "INSERT INTO audit (sequence, at, client_id, client_name, action, namespace, target, version, outcome, error_id, host, os_user, process_id, surface, previous_hash, hash, signature) " +
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

    private static void Bind(sqlite3_stmt statement, int index, long? value) =>
        Check(value is { } number ? raw.sqlite3_bind_int64(statement, index, number) : raw.sqlite3_bind_null(statement, index), statement);

    private static void Bind(sqlite3_stmt statement, int index, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_text(statement, index, value), statement);

    private static void Bind(sqlite3_stmt statement, int index, byte[]? value) =>
        Check(value is null ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_blob(statement, index, value), statement);

    private static void Check(int result, sqlite3_stmt statement) => Check(result, raw.sqlite3_db_handle(statement));

    private static void Check(int result, sqlite3 database)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, database);
        }
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters) => StoreDatabase.Execute(connection, transaction, sql, parameters);

    private void Expect(int rows, string what, string sql, params (string Name, object? Value)[] parameters) =>
        StoreDatabase.ExecuteExpecting(connection, transaction, rows, what, sql, parameters);

    private void DeleteConfirmed(string table, string where, string what, params (string Name, object? Value)[] parameters) =>
        StoreDatabase.DeleteConfirmed(connection, transaction, table, where, what, parameters);
}
