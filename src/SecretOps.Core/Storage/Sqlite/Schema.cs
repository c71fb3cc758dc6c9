using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>
/// The store's tables, created and upgraded by numbered migrations, each in its own transaction.
/// <c>PRAGMA user_version</c> is the format version; <c>PRAGMA application_id</c> marks the file as ours.
/// docs/FORMAT.md describes every column.
/// </summary>
internal static class Schema
{
    /// <summary>"SeOp": identifies a SecretOps store among SQLite files.</summary>
    public const int ApplicationId = 0x53654F70;

    private static readonly string[] Migrations =
    [
        // 1: the multi-client format.
        """
        CREATE TABLE store_info (
            id                 INTEGER PRIMARY KEY CHECK (id = 1),
            store_id           BLOB    NOT NULL,
            created_at         INTEGER NOT NULL,
            allow_weak_kdf     INTEGER NOT NULL,
            kdf_memory_kib     INTEGER NOT NULL,
            kdf_iterations     INTEGER NOT NULL,
            kdf_parallelism    INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE clients (
            id                 BLOB    PRIMARY KEY,
            name               TEXT    NOT NULL COLLATE NOCASE UNIQUE,
            description        TEXT,
            kind               INTEGER NOT NULL,
            role               INTEGER NOT NULL,
            status             INTEGER NOT NULL,
            public_key         BLOB    NOT NULL,
            kdf_salt           BLOB,
            kdf_memory_kib     INTEGER,
            kdf_iterations     INTEGER,
            kdf_parallelism    INTEGER,
            private_key_nonce  BLOB,
            private_key        BLOB,
            created_at         INTEGER NOT NULL,
            created_by         BLOB,
            last_used_at       INTEGER
        ) STRICT;

        CREATE TABLE namespaces (
            id                 BLOB    PRIMARY KEY,
            name               TEXT    NOT NULL COLLATE NOCASE UNIQUE,
            description        TEXT,
            key_generation     INTEGER NOT NULL,
            max_versions       INTEGER,
            created_at         INTEGER NOT NULL,
            created_by         BLOB    NOT NULL
        ) STRICT;

        CREATE TABLE namespace_keys (
            namespace_id       BLOB    NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
            generation         INTEGER NOT NULL,
            canary_nonce       BLOB    NOT NULL,
            canary             BLOB    NOT NULL,
            created_at         INTEGER NOT NULL,
            PRIMARY KEY (namespace_id, generation)
        ) STRICT;

        CREATE TABLE secrets (
            id                 BLOB    PRIMARY KEY,
            namespace_id       BLOB    NOT NULL REFERENCES namespaces(id),
            name               TEXT    NOT NULL COLLATE NOCASE,
            value_type         INTEGER NOT NULL,
            current_version    INTEGER NOT NULL,
            key_generation     INTEGER NOT NULL,
            metadata           TEXT,
            expires_at         INTEGER,
            created_at         INTEGER NOT NULL,
            created_by         BLOB    NOT NULL,
            updated_at         INTEGER NOT NULL,
            updated_by         BLOB    NOT NULL,
            name_key           TEXT    NOT NULL,
            UNIQUE (namespace_id, name_key)
        ) STRICT;

        CREATE TABLE secret_keys (
            secret_id          BLOB    NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
            generation         INTEGER NOT NULL,
            namespace_generation INTEGER NOT NULL,
            nonce              BLOB    NOT NULL,
            wrapped_key        BLOB    NOT NULL,
            PRIMARY KEY (secret_id, generation)
        ) STRICT;

        CREATE TABLE versions (
            secret_id          BLOB    NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
            version            INTEGER NOT NULL,
            key_generation     INTEGER NOT NULL,
            value_type         INTEGER NOT NULL,
            nonce              BLOB    NOT NULL,
            ciphertext         BLOB    NOT NULL,
            created_at         INTEGER NOT NULL,
            created_by         BLOB    NOT NULL,
            PRIMARY KEY (secret_id, version)
        ) STRICT;

        CREATE TABLE stanzas (
            client_id          BLOB    NOT NULL REFERENCES clients(id),
            scope_kind         INTEGER NOT NULL,
            scope_id           BLOB    NOT NULL,
            generation         INTEGER NOT NULL,
            algorithm          INTEGER NOT NULL,
            header             BLOB    NOT NULL,
            nonce              BLOB    NOT NULL,
            wrapped_key        BLOB    NOT NULL,
            PRIMARY KEY (client_id, scope_kind, scope_id, generation)
        ) STRICT;
        CREATE INDEX stanzas_by_scope ON stanzas (scope_kind, scope_id, generation);

        CREATE TABLE permissions (
            client_id          BLOB    NOT NULL REFERENCES clients(id),
            scope_kind         INTEGER NOT NULL,
            scope_id           BLOB    NOT NULL,
            flags              INTEGER NOT NULL,
            granted_by         BLOB    NOT NULL,
            granted_at         INTEGER NOT NULL,
            PRIMARY KEY (client_id, scope_kind, scope_id)
        ) STRICT;
        CREATE INDEX permissions_by_scope ON permissions (scope_kind, scope_id);

        CREATE TABLE audit (
            sequence           INTEGER PRIMARY KEY,
            at                 INTEGER NOT NULL,
            client_id          BLOB,
            client_name        TEXT    NOT NULL,
            action             TEXT    NOT NULL,
            namespace          TEXT,
            target             TEXT,
            version            INTEGER,
            outcome            TEXT    NOT NULL,
            error_id           TEXT,
            host               TEXT    NOT NULL,
            os_user            TEXT    NOT NULL,
            process_id         INTEGER NOT NULL,
            surface            TEXT    NOT NULL,
            previous_hash      BLOB    NOT NULL,
            hash               BLOB    NOT NULL
        ) STRICT;
        """,

        // 2: signed authorship (docs/FORMAT.md §5): the control log, each client's signing key sealed to its own
        // encryption key, and each audit entry's signature. A format-1 store gets the tables empty; `store upgrade`
        // writes its log.
        """
        CREATE TABLE control_log (
            sequence           INTEGER PRIMARY KEY,
            entry              BLOB    NOT NULL
        ) STRICT;

        CREATE TABLE signing_keys (
            client_id          BLOB    PRIMARY KEY REFERENCES clients(id),
            algorithm          INTEGER NOT NULL,
            header             BLOB    NOT NULL,
            nonce              BLOB    NOT NULL,
            wrapped_key        BLOB    NOT NULL
        ) STRICT;

        ALTER TABLE audit ADD COLUMN signature BLOB;
        """,
    ];

    /// <summary>The format this build writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>Reads the format version, refusing files that are not ours or are newer than we understand.</summary>
    public static int ReadVersion(SqliteConnection connection, string path)
    {
        var applicationId = Convert.ToInt32(Scalar(connection, "PRAGMA application_id"), System.Globalization.CultureInfo.InvariantCulture);
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        if (applicationId != ApplicationId)
        {
            var empty = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_schema"), System.Globalization.CultureInfo.InvariantCulture) == 0;
            throw empty
                ? new StoreUnavailableException($"'{path}' is an empty database, not a SecretOps store.", path) { Hint = SecretOpsHint.CreateStore }
                : new StoreUnavailableException($"'{path}' is a SQLite database but not a SecretOps store.", path);
        }

        if (version < 0)
        {
            // Found by fuzzing: a negative user_version indexed the migrations out of range.
            throw new StoreUnavailableException($"'{path}' has store format {version}, which no SecretOps writes; the file was altered or is damaged.", path, corrupt: true);
        }

        if (version > CurrentVersion)
        {
            throw new StoreUnavailableException(
                $"'{path}' has store format {version}, newer than this SecretOps understands (format {CurrentVersion}); upgrade SecretOps to open it.", path);
        }

        return version;
    }

    /// <summary>
    /// Refuses a file whose schema is not exactly that of format <paramref name="version"/>: every table, index,
    /// view and trigger in <c>sqlite_schema</c> is compared (type, name, table, SQL with runs of white space folded)
    /// with what the migrations up to that version create, in one query. A trigger, view, extra or altered table or
    /// index planted in the file would run inside SecretOps's own transactions (a deletion ignored, an audit row
    /// dropped), so the file is refused as altered (<c>SecretOps.StoreCorrupt</c>), naming what differs.
    /// </summary>
    /// <remarks>
    /// SQLite's own <c>sqlite_autoindex_*</c> indexes are part of the expected schema (the migrations create them);
    /// <c>sqlite_sequence</c> (AUTOINCREMENT) and <c>sqlite_stat1</c>/<c>sqlite_stat4</c> (ANALYZE) are not: SecretOps
    /// never creates them, and statistics steer the query planner, so they are refused like any other addition.
    /// </remarks>
    public static void Verify(SqliteConnection connection, int version, string path)
    {
        var expected = ExpectedSchema(version);
        var actual = new Dictionary<string, SchemaObject>(StringComparer.Ordinal);
        using (var command = StoreDatabase.Command(connection, null, "SELECT type, name, tbl_name, sql FROM sqlite_schema"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var item = UnreadableValueException.Converting(reader, r =>
                    new SchemaObject(r.GetString(0), r.GetString(1), r.GetString(2), Normalise(r.IsDBNull(3) ? null : r.GetString(3))));
                actual[item.Name] = item;
            }
        }

        var differences = new List<string>();
        foreach (var item in actual.Values.OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            if (!expected.TryGetValue(item.Name, out var wanted))
            {
                differences.Add($"{item.Describe()} is not part of it");
            }
            else if (item != wanted)
            {
                differences.Add($"{item.Describe()} is defined differently");
            }
        }

        differences.AddRange(expected.Values.Where(o => !actual.ContainsKey(o.Name)).OrderBy(o => o.Name, StringComparer.Ordinal).Select(o => $"{o.Describe()} is missing"));
        if (differences.Count > 0)
        {
            var shown = differences.Count > 5 ? [.. differences.Take(5), $"and {differences.Count - 5} more"] : differences;
            throw new StoreUnavailableException(
                $"'{path}' has been altered: its schema differs from store format {version}: {string.Join("; ", shown)}. " +
                "SecretOps will not use a store holding SQL objects it did not create; restore a backup you trust.", path, corrupt: true);
        }
    }

    /// <summary>The schema the migrations up to <paramref name="version"/> create, built once per process in an in-memory database.</summary>
    private static IReadOnlyDictionary<string, SchemaObject> ExpectedSchema(int version) => ExpectedSchemas[version].Value;

    private static readonly Lazy<IReadOnlyDictionary<string, SchemaObject>>[] ExpectedSchemas =
        [.. Enumerable.Range(0, Migrations.Length + 1).Select(v => new Lazy<IReadOnlyDictionary<string, SchemaObject>>(() => BuildExpectedSchema(v)))];

    private static IReadOnlyDictionary<string, SchemaObject> BuildExpectedSchema(int version)
    {
        using var memory = new SqliteConnection("Data Source=:memory:;Pooling=False");
        memory.Open();
        foreach (var migration in Migrations.Take(version))
        {
            using var create = memory.CreateCommand();
            create.CommandText = migration;
            create.ExecuteNonQuery();
        }

        using var command = memory.CreateCommand();
        command.CommandText = "SELECT type, name, tbl_name, sql FROM sqlite_schema";
        using var reader = command.ExecuteReader();
        var schema = new Dictionary<string, SchemaObject>(StringComparer.Ordinal);
        while (reader.Read())
        {
            schema[reader.GetString(1)] = new SchemaObject(reader.GetString(0), reader.GetString(1), reader.GetString(2), Normalise(reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return schema;
    }

    /// <summary>SQL as stored, with every run of white space folded to one space: line endings and indentation of the migration text do not matter.</summary>
    private static string? Normalise(string? sql) => sql is null ? null : string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private sealed record SchemaObject(string Type, string Name, string Table, string? Sql)
    {
        public string Describe() => Type is "index" or "trigger"
            ? $"{Type} '{Secrets.Names.Printable(Name)}' on table '{Secrets.Names.Printable(Table)}'"
            : $"{Secrets.Names.Printable(Type)} '{Secrets.Names.Printable(Name)}'";
    }

    /// <summary>Creates or upgrades the tables, one transactional migration at a time.</summary>
    public static void Migrate(SqliteConnection connection, int fromVersion)
    {
        for (var version = fromVersion; version < CurrentVersion; version++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, Migrations[version]);
            Execute(connection, transaction, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {version + 1};");
            transaction.Commit();
        }
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
