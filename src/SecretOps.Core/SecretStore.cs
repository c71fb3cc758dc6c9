using Microsoft.Data.Sqlite;
using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

/// <summary>
/// One store file: create it, open it, connect to it as a client, back it up, restore it, check it.
/// Everything that reads or changes secrets goes through a <see cref="Session"/>.
/// </summary>
public sealed class SecretStore
{
    /// <summary>The namespace every store starts with.</summary>
    public const string DefaultNamespace = "default";

    /// <summary>The name of the client every store starts with.</summary>
    public const string SystemClientName = "system";

    private SecretStore(StoreDatabase database, Guid storeId, bool allowWeakKdf, Argon2Parameters kdf, bool isReadOnly)
    {
        Database = database;
        StoreId = storeId;
        AllowWeakKdf = allowWeakKdf;
        Kdf = kdf;
        IsReadOnly = isReadOnly;
    }

    /// <summary>The store file.</summary>
    public string Path => Database.Path;

    /// <summary>The store's identity, bound into every ciphertext.</summary>
    public Guid StoreId { get; }

    /// <summary>Whether the file could only be opened for reading.</summary>
    public bool IsReadOnly { get; }

    internal StoreDatabase Database { get; }

    internal bool AllowWeakKdf { get; }

    internal Argon2Parameters Kdf { get; }

    /// <summary>Creates a new store with its <c>default</c> namespace and System client.</summary>
    public static StoreCreated Create(string path, StoreCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fullPath = ValidateNewPath(path);
        var credentialSources = (options.Passphrase.IsEmpty ? 0 : 1) + (options.GenerateSecret ? 1 : 0) + (options.PresetSystemClient is null ? 0 : 1);
        if (credentialSources != 1)
        {
            throw new InvalidParameterException("credential", "Give the System client exactly one credential: a passphrase, a generated secret, or SECRETOPS_SYSTEM_CLIENT_ID/SECRET.");
        }

        options.Kdf.EnsureAcceptable(options.AllowWeakKdf);
        var storeId = Guid.NewGuid();
        var clientId = options.PresetSystemClient?.Id ?? Guid.NewGuid();
        var secretText = options.GenerateSecret ? GeneratedSecret.Create() : options.PresetSystemClient?.Secret;
        using var credential = secretText is not null ? ClientCredential.FromGeneratedSecret(secretText) : ClientCredential.FromPassphrase(options.Passphrase.Span);
        using var privateKey = ClientPrivateKey.Generate();
        var protection = ClientKeyProtection.Seal(privateKey, credential, options.Kdf, storeId, clientId);

        // Built where no one else can reach it, then copied into place through the one handle that creates the file:
        // SQLite opens files by name, and a name in a directory others can write may be swapped for a link.
        using var work = StoreFiles.CreatePrivateDirectory();
        var building = work.File("store.db");
        StoreFiles.CreateOwnerOnlyFile(building).Dispose();
        var database = new StoreDatabase(building, options.Shared ?? StoreFiles.IsOnNetworkShare(fullPath));
        try
        {
            database.Use(connection =>
            {
                database.ApplyJournalMode(connection);
                database.VerifySchema(connection, 0);
                Schema.Migrate(connection, 0);
                database.VerifySchema(connection, Schema.CurrentVersion);
                return 0;
            }, verifySchema: false);

            var store = new SecretStore(database, storeId, options.AllowWeakKdf, options.Kdf, isReadOnly: false);
            database.Write((connection, transaction) =>
            {
                var now = DateTimeOffset.UtcNow.ToUnixMilliseconds();
                StoreDatabase.Execute(connection, transaction,
                    "INSERT INTO store_info VALUES (1, $id, $now, $weak, $m, $t, $p)",
                    ("$id", storeId.ToBlob()), ("$now", now), ("$weak", options.AllowWeakKdf ? 1 : 0),
                    ("$m", options.Kdf.MemoryKiB), ("$t", options.Kdf.Iterations), ("$p", options.Kdf.Parallelism));
                ClientRecord.Insert(connection, transaction, clientId, SystemClientName, "Created with the store; retire it once admins exist.",
                    credential.Kind, ClientRole.System, privateKey.PublicKey, protection, createdBy: null);
                using var session = new Session(store, ClientRecord.Load(connection, transaction, clientId.ToString())!, privateKey.Clone(), new SessionOptions { Surface = options.Surface });
                session.CreateNamespaceIn(connection, transaction, DefaultNamespace, "Created with the store.", null);
                AuditLog.Append(connection, transaction, storeId, options.Surface, new AuditRecord(clientId, SystemClientName, AuditActions.StoreCreate, null, fullPath, null, AuditRecord.Ok, null));
                return 0;
            });
            Publish(database, fullPath);
        }
        finally
        {
            database.ReleaseConnections();
        }

        return new StoreCreated(fullPath, storeId, clientId, SystemClientName, options.GenerateSecret ? secretText : null);
    }

    /// <summary>Opens an existing store, upgrading an older format, refusing anything else with a clear message.</summary>
    public static SecretStore Open(string path, StoreOpenOptions? options = null)
    {
        var fullPath = ValidateExistingPath(path);
        // The journal mode belongs to the store: a file a client opened as shared (journal_mode=DELETE) stays shared
        // for openers that do not say otherwise, rather than being switched back to WAL under that client.
        var database = new StoreDatabase(fullPath, options?.Shared ?? (StoreFiles.IsOnNetworkShare(fullPath) || StoreFiles.HasRollbackJournal(fullPath)));
        // Connections kept from before may reach a file since replaced (a restore, a new store at this path).
        database.ReleaseConnections();
        try
        {
            return database.Use(connection =>
            {
                var readOnly = StoreDatabase.IsReadOnly(connection);
                var version = Schema.ReadVersion(connection, fullPath);
                // Before anything runs in a transaction: a planted trigger would run inside it (migrations included).
                database.VerifySchema(connection, version);
                if (version < Schema.CurrentVersion)
                {
                    if (readOnly)
                    {
                        throw new StoreUnavailableException($"'{fullPath}' needs upgrading to format {Schema.CurrentVersion}, but it is read-only.", fullPath);
                    }

                    Schema.Migrate(connection, version);
                    database.VerifySchema(connection, Schema.CurrentVersion);
                }

                if (!readOnly)
                {
                    database.ApplyJournalMode(connection);
                }

                using var command = StoreDatabase.Command(connection, null, "SELECT store_id, allow_weak_kdf, kdf_memory_kib, kdf_iterations, kdf_parallelism FROM store_info WHERE id = 1");
                using var reader = command.ExecuteReader();
                if (!reader.Read())
                {
                    throw new StoreUnavailableException($"'{fullPath}' has no store header; it is damaged.", fullPath, corrupt: true);
                }

                var kdf = new Argon2Parameters(Argon2Type.Argon2id, reader.GetInt32(3), reader.GetInt32(2), reader.GetInt32(4));
                return new SecretStore(database, reader.GetUuid(0), reader.GetInt64(1) != 0, kdf, readOnly);
            }, verifySchema: false);
        }
        catch (SqliteException e)
        {
            database.ReleaseConnections();
            throw Unusable(fullPath, e);
        }
    }

    /// <summary>
    /// Connects as <paramref name="client"/> (name or id). Every connect is audited (<c>client.connect</c>): a
    /// success with the session's next audit write (its first change, or <see cref="Session.FlushAudit"/>), a failure at once. A
    /// wrong credential, an unknown, disabled or retired client all fail with <see cref="AuthenticationFailedException"/>.
    /// </summary>
    public Session Connect(string client, ClientCredential credential, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        options ??= new SessionOptions();
        ClientRecord? record = null;
        try
        {
            try
            {
                record = Database.Read((connection, transaction) => ClientRecord.Load(connection, transaction, client));
            }
            catch (InvalidKeyException e)
            {
                throw new AuthenticationFailedException($"Client '{Secrets.Names.Printable(client)}' cannot connect: its stored public key is damaged; the store was altered or is damaged.", client, e);
            }

            if (record is null)
            {
                throw new AuthenticationFailedException($"There is no client '{Secrets.Names.Printable(client)}' in this store.", client);
            }

            if (record.Status != ClientStatus.Active)
            {
                throw new AuthenticationFailedException($"Client '{record.Name}' is {record.Status.ToString().ToLowerInvariant()} and cannot connect.", record.Name);
            }

            if (record.Kind != credential.Kind)
            {
                throw new AuthenticationFailedException($"Client '{record.Name}' authenticates with {Describe(record.Kind)}, not {Describe(credential.Kind)}.", record.Name);
            }

            var privateKey = UnlockPrivateKey(record, credential);
            var session = new Session(this, record, privateKey, options);
            try
            {
                session.NoteUse();
                session.RecordConnect();
            }
            catch
            {
                session.Dispose();
                throw;
            }

            return session;
        }
        catch (SecretOpsException e) when (e is AuthenticationFailedException)
        {
            TryAudit(options.Surface, new AuditRecord(record?.Id, record?.Name ?? Secrets.Names.Printable(client), AuditActions.ClientConnect, null, null, null, AuditRecord.Failed, e.ErrorId));
            throw;
        }
        catch (SqliteException e)
        {
            throw Unusable(Path, e);
        }
    }

    /// <summary>Identity, format and size of the store.</summary>
    public StoreInfo GetInfo() => ReadOrUnusable((connection, transaction) =>
    {
        long Count(string table) => (long)StoreDatabase.Scalar(connection, transaction, $"SELECT count(*) FROM {table}")!;
        var created = (long)StoreDatabase.Scalar(connection, transaction, "SELECT created_at FROM store_info")!;
        var journal = (string)StoreDatabase.Scalar(connection, transaction, "PRAGMA journal_mode")!;
        return new StoreInfo(Path, StoreId, Schema.CurrentVersion, DateTimeOffset.FromUnixTimeMilliseconds(created), journal, Database.IsShared, IsReadOnly,
                             AllowWeakKdf, (int)Count("namespaces"), (int)Count("secrets"), (int)Count("clients"), Count("audit"));
    });

    /// <summary>Verifies the audit chain and reports the first broken link.</summary>
    public AuditVerification VerifyAudit() => ReadOrUnusable((connection, transaction) => AuditLog.Verify(connection, transaction, StoreId));

    /// <summary>
    /// Copies the store with SQLite's online backup API to a new owner-only file, consistent even while
    /// others write. The copy holds only what the store holds: ciphertext, wrapped keys, names, audit.
    /// </summary>
    public void Backup(string destination, Surface surface = Surface.Api)
    {
        var fullDestination = ValidateNewPath(destination);
        // SQLite's backup writes by name: into a private directory, then copied into place through one handle.
        using var work = StoreFiles.CreatePrivateDirectory();
        var copy = work.File("backup.db");
        StoreFiles.CreateOwnerOnlyFile(copy).Dispose();
        try
        {
            Database.Use(source =>
            {
                using var target = new SqliteConnection($"Data Source={copy};Pooling=False");
                target.Open();
                source.BackupDatabase(target);
                StoreDatabase.Execute(target, null, "PRAGMA journal_mode = DELETE;");
                // The copy is what others will restore: it must hold nothing the format does not (a trigger planted mid-copy).
                Schema.Verify(target, Schema.CurrentVersion, Path);
                return 0;
            });
        }
        catch (SqliteException e)
        {
            throw Unusable(Path, e);
        }

        StoreFiles.CopyToNewOwnerOnlyFile(copy, fullDestination);
        TryAudit(surface, new AuditRecord(null, Environment.UserName, AuditActions.StoreBackup, null, fullDestination, null, AuditRecord.Ok, null));
    }

    /// <summary>
    /// Closes the connections this process keeps open to store files between operations. The last connection
    /// to a file to close folds the write-ahead log into it, leaving one self-contained file.
    /// </summary>
    public static void ReleaseConnections() => StoreDatabase.ReleaseAll();

    /// <summary>
    /// Checks that <paramref name="source"/> is a sound SecretOps store to restore from (SQLite's integrity
    /// check, format, audit chain) without changing it: the checks run on a temporary copy.
    /// </summary>
    public static void VerifyBackup(string source)
    {
        using var work = StoreFiles.CreatePrivateDirectory();
        StageVerifiedCopy(source, work.File("verify.db"));
    }

    /// <summary>
    /// Replaces the store at <paramref name="destination"/> with the backup at <paramref name="source"/>. The
    /// backup is copied into a private directory, upgraded and checked there (the backup file itself is never
    /// changed), then copied beside the destination through one handle and only then moved into place. Nothing is
    /// replaced when a check fails. Other processes should not be using the store while it is restored.
    /// </summary>
    public static void Restore(string source, string destination, Surface surface = Surface.Api)
    {
        var fullDestination = ValidatePath(destination);
        if (Directory.Exists(fullDestination))
        {
            throw new InvalidParameterException("store", $"'{fullDestination}' is a directory, not a store file.");
        }

        // The restored store keeps the mode the one it replaces had (the backup itself is in rollback-journal mode).
        var shared = StoreFiles.IsOnNetworkShare(fullDestination) || StoreFiles.HasRollbackJournal(fullDestination);
        var staging = fullDestination + ".restoring-" + Guid.NewGuid().ToString("N")[..8];
        using var work = StoreFiles.CreatePrivateDirectory();
        var verified = work.File("restore.db");
        StageVerifiedCopy(source, verified);
        try
        {
            StoreFiles.CopyToNewOwnerOnlyFile(verified, staging);
            new StoreDatabase(fullDestination, shared: false).ReleaseConnections();
            // The old store's -wal and -journal go first: found beside the restored file, SQLite would replay
            // them into it. Interrupted between the two steps, the old file is still whole (its last WAL commits lost).
            DeleteSidecars(fullDestination);
            File.Move(staging, fullDestination, overwrite: true);
        }
        catch
        {
            DeleteStoreFiles(staging);
            throw;
        }

        Open(fullDestination, new StoreOpenOptions { Shared = shared }).TryAudit(surface, new AuditRecord(null, Environment.UserName, AuditActions.StoreRestore, null, System.IO.Path.GetFullPath(source), null, AuditRecord.Ok, null));
    }

    /// <summary>
    /// Copies a backup to <paramref name="staging"/> (owner-only, in a private directory), upgrades the copy if needed,
    /// and checks it: its schema (on opening), SQLite's integrity check and the audit chain.
    /// </summary>
    private static void StageVerifiedCopy(string source, string staging)
    {
        var fullSource = ValidateExistingPath(source);
        StoreFiles.CheckSideFiles(fullSource);
        StoreFiles.CreateOwnerOnlyFile(staging).Dispose();
        try
        {
            using var from = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = fullSource, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            using var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = staging, Pooling = false }.ToString());
            from.Open();
            to.Open();
            from.BackupDatabase(to);
        }
        catch (SqliteException e)
        {
            throw Unusable(fullSource, e);
        }

        var copy = Open(staging, new StoreOpenOptions { Shared = true });
        var integrity = copy.Database.Read((connection, transaction) => (string)StoreDatabase.Scalar(connection, transaction, "PRAGMA integrity_check")!);
        if (integrity != "ok")
        {
            throw new StoreUnavailableException($"The backup '{fullSource}' fails SQLite's integrity check ({integrity}); nothing was restored.", fullSource, corrupt: true);
        }

        if (copy.VerifyAudit() is { IsValid: false } audit)
        {
            throw new StoreUnavailableException($"The backup '{fullSource}' has a broken audit chain ({audit.Problem}); nothing was restored.", fullSource, corrupt: true);
        }

        copy.Database.ReleaseConnections();
    }

    /// <summary>A read whose SQLite failures (a damaged page, a lock held too long) become <see cref="StoreUnavailableException"/>.</summary>
    private T ReadOrUnusable<T>(Func<SqliteConnection, StoreTransaction, T> body)
    {
        try
        {
            return Database.Read(body);
        }
        catch (SqliteException e)
        {
            throw Unusable(Path, e);
        }
    }

    internal void TryAudit(Surface surface, AuditRecord record)
    {
        if (IsReadOnly)
        {
            return;
        }

        try
        {
            Database.Write((connection, transaction) =>
            {
                AuditLog.Append(connection, transaction, StoreId, surface, record);
                return 0;
            });
        }
        catch (SqliteException)
        {
            // The audit entry of a failure must not hide the failure itself.
        }
    }

    internal static StoreUnavailableException Unusable(string path, SqliteException e) => e.SqliteErrorCode switch
    {
        26 => new StoreUnavailableException($"'{path}' is not a SQLite database (or is damaged beyond recognition).", path, corrupt: true, e),
        11 => new StoreUnavailableException($"'{path}' is damaged (SQLite reports it malformed; a truncated or partly overwritten file).", path, corrupt: true, e),
        8 => StoreUnavailableException.ReadOnly($"'{path}' is read-only; this needs to write to it.", path, e),
        14 => new StoreUnavailableException($"'{path}' cannot be opened (check the path and its permissions).", path, innerException: e),
        13 => new StoreUnavailableException($"The disk holding '{path}' is full; free some space and try again.", path, innerException: e),
        10 => new StoreUnavailableException($"'{path}' could not be read or written (disk I/O error: is the disk full, or was the file or its directory removed?).", path, innerException: e),
        5 or 6 => new StoreUnavailableException($"'{path}' stayed locked by another process for too long; try again.", path, innerException: e),
        _ => new StoreUnavailableException($"'{path}' could not be used: {e.Message}", path, innerException: e),
    };

    private ClientPrivateKey UnlockPrivateKey(ClientRecord record, ClientCredential credential)
    {
        if (credential is KeyFileCredential keyFile)
        {
            if (keyFile.Key.PublicKey.Fingerprint != record.PublicKey.Fingerprint)
            {
                throw new AuthenticationFailedException($"The key file does not hold client '{record.Name}'s key.", record.Name);
            }

            return keyFile.Key.Clone();
        }

        // A row a sound store never holds is refused as an authentication failure (and audited), not as bad input.
        if (record.Protection!.Damage is { } damage)
        {
            throw new AuthenticationFailedException($"Client '{record.Name}' cannot connect: {damage}; the store was altered or is damaged.", record.Name);
        }

        try
        {
            record.Protection.Kdf?.EnsureAcceptable(AllowWeakKdf);
        }
        catch (InvalidParameterException e)
        {
            throw new AuthenticationFailedException($"Client '{record.Name}' cannot connect: its stored key protection is refused. {e.Message}", record.Name, e);
        }

        ClientPrivateKey privateKey;
        try
        {
            privateKey = ClientKeyProtection.Open(record.Protection, credential, StoreId, record.Id);
        }
        catch (TamperedException e)
        {
            throw new AuthenticationFailedException($"Wrong {Describe(record.Kind)} for client '{record.Name}'.", record.Name, e);
        }

        // The public key is not bound into the envelope: a substituted one would have others wrap keys for this
        // client to someone else's key. The client notices it here, when its own key does not match.
        if (privateKey.PublicKey.Fingerprint != record.PublicKey.Fingerprint)
        {
            privateKey.Dispose();
            throw new AuthenticationFailedException($"Client '{record.Name}' cannot connect: the public key stored for it does not match its private key; the store was altered.", record.Name);
        }

        return privateKey;
    }

    private static string Describe(ClientKind kind) => kind switch
    {
        ClientKind.Passphrase => "passphrase",
        ClientKind.Generated => "generated secret",
        _ => "key file",
    };

    private static string ValidateNewPath(string path)
    {
        var fullPath = ValidatePath(path);
        if (Directory.Exists(fullPath))
        {
            throw new InvalidParameterException("store", $"'{fullPath}' is a directory; give a file path for the store.");
        }

        if (File.Exists(fullPath))
        {
            throw new ConflictException($"'{fullPath}' already exists; SecretOps will not overwrite it.", fullPath);
        }

        return fullPath;
    }

    private static string ValidateExistingPath(string path)
    {
        var fullPath = ValidatePath(path);
        if (Directory.Exists(fullPath))
        {
            throw new InvalidParameterException("store", $"'{fullPath}' is a directory, not a store file.");
        }

        if (!File.Exists(fullPath))
        {
            throw new NotFoundException($"There is no store at '{fullPath}'.", fullPath) { Hint = SecretOpsHint.CreateStore };
        }

        if (new FileInfo(fullPath).Length == 0)
        {
            throw new StoreUnavailableException($"'{fullPath}' is empty, not a SecretOps store.", fullPath, corrupt: true);
        }

        return fullPath;
    }

    private static string ValidatePath(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.IndexOf('\0', StringComparison.Ordinal) >= 0)
        {
            throw new InvalidParameterException("store", "The store path is empty or contains a NUL character.");
        }

        try
        {
            return System.IO.Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidParameterException("store", $"'{Secrets.Names.Printable(path)}' is not a usable path: {e.Message}");
        }
    }

    /// <summary>
    /// Copies a store built in a private directory to <paramref name="destination"/>, a new file created through one
    /// handle, after folding its write-ahead log into it (so the file alone is the whole store).
    /// </summary>
    private static void Publish(StoreDatabase database, string destination)
    {
        database.Use(connection =>
        {
            StoreDatabase.Execute(connection, null, "PRAGMA wal_checkpoint(TRUNCATE);");
            return 0;
        });
        database.ReleaseConnections();
        // Connections kept from before may reach a file once at this path.
        new StoreDatabase(destination, shared: false).ReleaseConnections();
        StoreFiles.CopyToNewOwnerOnlyFile(database.Path, destination);
    }

    private static void DeleteStoreFiles(string path)
    {
        File.Delete(path);
        DeleteSidecars(path);
    }

    private static void DeleteSidecars(string path)
    {
        foreach (var suffix in new[] { "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }
    }
}
