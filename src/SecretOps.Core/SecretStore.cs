using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Control;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;

namespace SecretOps.Core;

/// <summary>
/// One store: create it, open it, connect to it as a client, back it up, restore it, check it. Everything that reads or
/// changes secrets goes through a <see cref="Session"/>; rows are read and written only through the store's
/// <see cref="IStoreBackend"/> (today a SQLite file).
/// </summary>
public sealed class SecretStore
{
    /// <summary>The namespace every store starts with.</summary>
    public const string DefaultNamespace = "default";

    /// <summary>The name of the client every store starts with.</summary>
    public const string SystemClientName = "system";

    private SecretStore(IStoreBackend backend, StoreHeader header)
    {
        Backend = backend;
        StoreId = header.StoreId;
        AllowWeakKdf = header.AllowWeakKdf;
        Kdf = header.Kdf;
    }

    /// <summary>The store file.</summary>
    public string Path => Backend.Location;

    /// <summary>The store's identity, bound into every ciphertext.</summary>
    public Guid StoreId { get; }

    /// <summary>Whether the file could only be opened for reading.</summary>
    public bool IsReadOnly => Backend.IsReadOnly;

    internal IStoreBackend Backend { get; }

    /// <summary>This process's verified view of the store's control log.</summary>
    internal ControlView Control { get; } = new();

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
        // The System client's keys come first: the genesis entry names them, and its hash is the identity the
        // client's envelope is bound to.
        var (signingKey, signingStanza) = SigningKeyStanza.Create(storeId, clientId, privateKey.PublicKey);
        var genesisEntry = new Genesis(storeId, ControlReplay.Format, new KdfFloor(options.Kdf.MemoryKiB, options.Kdf.Iterations, options.Kdf.Parallelism),
            new GenesisClient(clientId, SystemClientName, credential.Kind, privateKey.PublicKey.ExportSubjectPublicKeyInfo(), signingKey.VerifyingKey.ExportSubjectPublicKeyInfo()));
        var (genesis, state) = ControlLog.Append(null, clientId, signingKey, genesisEntry);
        var protection = ClientKeyProtection.Seal(privateKey, credential, options.Kdf, new KeyBinding(storeId, genesis.Hash()), clientId);

        var header = new StoreHeader(storeId, DateTimeOffset.UtcNow, options.AllowWeakKdf, options.Kdf);
        var system = new ClientRecord(clientId, SystemClientName, "Created with the store; retire it once admins exist.", credential.Kind, ClientRole.System,
                                      ClientStatus.Active, privateKey.PublicKey, protection, header.Created, null);
        SqliteBackend.Create(fullPath, options.Shared, backend =>
        {
            var store = new SecretStore(backend, header);
            using var session = new Session(store, system, privateKey.Clone(), signingKey, new SessionOptions { Surface = options.Surface });
            backend.Write((reader, batch) =>
            {
                batch.Add(new InsertStoreHeader(header));
                batch.Add(new InsertClient(system, CreatedBy: null));
                batch.Add(new PutSigningKey(signingStanza));
                batch.Add(new AppendControl(genesis.Sequence, genesis.Encode()));
                var verified = new VerifiedReader(reader, state, clientId, signingKey);
                session.CreateNamespaceIn(verified, batch, DefaultNamespace, "Created with the store.", null);
                AuditLog.Append(verified, batch, storeId, options.Surface, [new AuditRecord(clientId, SystemClientName, AuditActions.StoreCreate, null, fullPath, null, AuditRecord.Ok, null)],
                                new AuditSigner(clientId, signingKey));
                return 0;
            });
        });

        // A store that lived at this path before is gone: what this user's clients verified there is forgotten.
        LocalHeads.ForgetStore(LocalHeadIdentity(fullPath));
        return new StoreCreated(fullPath, storeId, clientId, SystemClientName, options.GenerateSecret ? secretText : null);
    }

    /// <summary>Whether <paramref name="store"/> names a server hosting a store (https://host:port) rather than a store file.</summary>
    public static bool IsServerAddress(string store) => Remote.RemoteStoreBackend.IsServerAddress(store);

    /// <summary>Opens an existing store, upgrading an older format, refusing anything else with a clear message.</summary>
    public static SecretStore Open(string path, StoreOpenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Remote.RemoteStoreBackend.IsServerAddress(path))
        {
            return OpenOver(ConnectToServer(path, options));
        }

        var fullPath = ValidateExistingPath(path);
        var (backend, header) = SqliteBackend.Open(fullPath, options?.Shared);
        return new SecretStore(backend, header);
    }

    /// <summary>
    /// The store over a backend already opened, read through it (for a hosted store: the replica brought to the
    /// server's head). For callers that open the backend themselves, such as the benchmark's hosted clients, each on
    /// its own replica.
    /// </summary>
    internal static SecretStore OpenOver(IStoreBackend backend)
    {
        var header = backend.Read(reader => reader.Header())
            ?? throw new StoreUnavailableException($"The store at {backend.Location} has no header; it is damaged.", backend.Location, corrupt: true);
        return new SecretStore(backend, header);
    }

    /// <summary>
    /// Starts the store the server at <paramref name="address"/> hosts from the store file at <paramref name="source"/>
    /// (<c>secretops store push</c>). The server refuses unless it hosts no store yet, the file passes every check a restore
    /// makes, and this machine's enrolled client is an active System or Admin client of it. The file is not changed.
    /// </summary>
    public static void Push(string source, string address, StoreOpenOptions? options = null)
    {
        var fullSource = ValidateExistingPath(source);
        if (!Remote.RemoteStoreBackend.IsServerAddress(address))
        {
            throw new InvalidParameterException("server", $"'{Secrets.Names.Printable(address)}' is not a server address; give https://host:port.");
        }

        // A consistent copy, even of a store others are writing: what is sent is one state of it.
        using var work = StoreFiles.CreatePrivateDirectory();
        var copy = work.File("push.db");
        SqliteBackend.CopyFile(fullSource, copy);
        ConnectToServer(address, options).Push(copy);
    }

    /// <summary>
    /// The backend of a store a server hosts (docs/SERVER-PROTOCOL.md §11), trusting the certificates in
    /// SECRETOPS_SERVER_CA besides the system's. Requests are signed with the enrolment token in the options' token file
    /// (else SECRETOPS_TOKEN_FILE; an owner-only file) or, with no token, the key the client's generated secret derives.
    /// </summary>
    private static Remote.RemoteStoreBackend ConnectToServer(string address, StoreOpenOptions? options)
    {
        var ca = Environment.GetEnvironmentVariable(Configuration.EnvironmentVariables.ServerCa) is { Length: > 0 } caFile ? caFile : null;
        var state = StoreFiles.DefaultStateDirectory();
        var tokenFile = options?.TokenFile ?? (Environment.GetEnvironmentVariable(Configuration.EnvironmentVariables.TokenFile) is { Length: > 0 } file ? file : null);
        if (tokenFile is not null)
        {
            return Remote.RemoteStoreBackend.Open(address, Configuration.Connector.ReadSmallFile(tokenFile, InputFileKind.EnrolmentToken), ca, state);
        }

        var (clientId, key) = DerivedRequestKey(options);
        return Remote.RemoteStoreBackend.Open(address, clientId, key, ca, state);
    }

    /// <summary>The client id and request key a generated secret derives, when there is no enrolment token.</summary>
    private static (Guid ClientId, Remote.RequestSigningKey Key) DerivedRequestKey(StoreOpenOptions? options)
    {
        if (options?.Credential is not { Kind: ClientKind.Generated } credential)
        {
            throw new InvalidParameterException("token", "Connecting to a server needs this client's enrolment token (a client with a generated secret may instead be named by its id).") { Hint = SecretOpsHint.GiveEnrolmentToken };
        }

        if (!Guid.TryParse(options.Client, out var clientId))
        {
            throw new InvalidParameterException("client",
                $"Without an enrolment token, a client with a generated secret signs its requests with the key the secret derives, which names the client by its id: give client '{Secrets.Names.Printable(options.Client ?? string.Empty)}' by its id (a UUID).")
            { Hint = SecretOpsHint.GiveEnrolmentToken };
        }

        return (clientId, credential.DeriveRequestKey(clientId)!);
    }

    /// <summary>
    /// The enrolment token <paramref name="client"/>'s generated secret derives (docs/SERVER-PROTOCOL.md §10), for the
    /// server operator to enrol it with. On a store file the client is named by name or id and the secret is proven by
    /// connecting; a store a server hosts cannot be reached before the client is enrolled, so there it must be named by
    /// its id and the secret is taken as given (a wrong one gives a token the server never accepts).
    /// </summary>
    public static string DeriveEnrolmentToken(string store, string client, ClientCredential credential, StoreOpenOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(credential);
        Remote.EnrolmentToken.RequireDerivable(credential);
        if (!IsServerAddress(store))
        {
            using var session = Open(store, options).Connect(client, credential);
            return Remote.EnrolmentToken.Derive(session.ClientId, credential);
        }

        if (!Guid.TryParse(client, out var clientId))
        {
            throw new InvalidParameterException("client",
                $"A client that is not enrolled yet cannot reach the server to look up its name: give client '{Secrets.Names.Printable(client ?? string.Empty)}' by its id (a UUID).");
        }

        return Remote.EnrolmentToken.Derive(clientId, credential);
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
            AccessState state;
            try
            {
                var trusted = options.AcceptRestoredStore ? null : TrustedHead();
                (state, record) = Backend.Read(reader =>
                {
                    var verified = Control.Read(reader, Path, trusted);
                    return (verified, new VerifiedReader(reader, verified, Guid.Empty, null).FindClient(client));
                });
            }
            catch (InvalidKeyException e)
            {
                throw new AuthenticationFailedException($"Client '{Secrets.Names.Printable(client)}' cannot connect: its stored public key is damaged; the store was altered or is damaged.", client, e);
            }

            if (state.StoreId != StoreId)
            {
                // Everything is bound to the header's store id; the signed one is the genesis entry's.
                throw new TamperedException("control log", $"The store's header names store {StoreId}, but its control log's genesis entry names {state.StoreId}: the store was altered.");
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

            var privateKey = UnlockPrivateKey(record, credential, state);
            ClientSigningKey signingKey;
            try
            {
                var stanza = Backend.Read(reader => reader.SigningKey(record.Id))
                    ?? throw new TamperedException($"The signing key of client '{record.Name}'", $"Client '{record.Name}' has no signing key in the store: the store was altered.");
                signingKey = SigningKeyStanza.Open(stanza, privateKey, StoreId, record.Id, state.Client(record.Id)!.SigningKey, record.Name);
                CheckVerifiedHead(state, record, options.AcceptRestoredStore);
            }
            catch
            {
                privateKey.Dispose();
                throw;
            }

            var session = new Session(this, record, privateKey, signingKey, options);
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
        catch (SecretOpsException e) when (e is AuthenticationFailedException || (e is TamperedException && !IsAboutTheLog(e)))
        {
            // A client row the log contradicts (a role, status, kind or key changed) is refused as tampered: it says
            // what happened to the store. Either way the failed connect is audited; a log refused as a whole (rolled back,
            // forked, an entry refused) is left exactly as it was found.
            TryAudit(options.Surface, new AuditRecord(record?.Id, record?.Name ?? Secrets.Names.Printable(client), AuditActions.ClientConnect, null, null, null, AuditRecord.Failed, e.ErrorId));
            throw;
        }
    }

    /// <summary>
    /// Local heads are kept per store path for the machine account, not per client: every client verifies the same log,
    /// and a forged store that registers another client id (a key-file client's public key) meets the record all the same.
    /// </summary>
    private static readonly Guid AnyClient = Guid.Empty;

    private static bool IsAboutTheLog(SecretOpsException e) => e.Target is string target && target.StartsWith("control log", StringComparison.Ordinal);

    /// <summary>
    /// Records, after a change this client committed, the state it now knows the store is at: rolling back its own last
    /// write is then caught like any other rollback.
    /// </summary>
    internal void SaveVerifiedHead(AccessState state)
    {
        var localKey = LocalHeads.MachineKey();
        try
        {
            LocalHeads.Save(LocalHeadIdentity(Path), AnyClient, new VerifiedHead(state.Sequence, state.HeadHash), localKey);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(localKey);
        }
    }

    /// <summary>
    /// What a local head record is kept under: the store file's full path, not its log. A store at another path (a copy,
    /// a store moved on purpose) is another store to this check; the attack it catches is a file put in this one's place:
    /// an older copy, a fork, or another store altogether (a forged one registering a key-file client's public key).
    /// </summary>
    private static byte[] LocalHeadIdentity(string fullPath) =>
        System.Security.Cryptography.SHA256.HashData(new Crypto.AssociatedData("secretops/local-head-store/v1").Add(fullPath).Span);

    /// <summary>
    /// The head this OS account verified at this path before, whose entries a replay need not verify again (null when there
    /// is none). Only a shortcut: <see cref="CheckVerifiedHead"/> decides about rollbacks and forks.
    /// </summary>
    private VerifiedHead? TrustedHead()
    {
        var localKey = LocalHeads.MachineKey();
        try
        {
            return LocalHeads.Load(LocalHeadIdentity(Path), AnyClient, localKey);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(localKey);
        }
    }

    /// <summary>
    /// Compares the store with the newest state this client verified on this machine (its local head), then records the
    /// store's. A log that is behind it, or holds another entry at its sequence, was rolled back or forked: refused,
    /// unless the client accepts a backup restored on purpose (the local head is then forgotten first).
    /// </summary>
    internal void CheckVerifiedHead(AccessState state, ClientRecord record, bool acceptRestored)
    {
        var localKey = LocalHeads.MachineKey();
        var identity = LocalHeadIdentity(Path);
        try
        {
            if (acceptRestored)
            {
                LocalHeads.Forget(identity, AnyClient);
            }

            if (LocalHeads.Load(identity, AnyClient, localKey) is { } head)
            {
                if (head.Sequence > state.Sequence)
                {
                    // Another process may have written (and recorded) since this connect read the log: read it again.
                    state = Backend.Read(reader => Control.Read(reader, Path));
                }

                var stored = head.Sequence <= state.Sequence
                    ? Backend.Read(reader => reader.ControlEntries(head.Sequence - 1).Select(e => ControlView.Decode(e.Sequence, e.Entry)).FirstOrDefault())
                    : null;
                if (stored is null || stored.Sequence != head.Sequence || !stored.Hash().AsSpan().SequenceEqual(head.Hash))
                {
                    var how = head.Sequence > state.Sequence
                        ? $"its control log ends at entry {state.Sequence}, behind entry {head.Sequence}, which client '{record.Name}' verified on this machine before"
                        : $"its control log holds another entry {head.Sequence} than the one client '{record.Name}' verified on this machine before";
                    throw new TamperedException("control log",
                        $"The store at '{Path}' was rolled back or forked: {how}. Nothing was read or changed.")
                    {
                        Hint = SecretOpsHint.AcceptRestoredStore,
                    };
                }
            }

            LocalHeads.Save(identity, AnyClient, new VerifiedHead(state.Sequence, state.HeadHash), localKey);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(localKey);
        }
    }

    /// <summary>
    /// Upgrades a format-1 store to format 2, as <paramref name="client"/> (an active System or Admin client): checks it, signs
    /// its current state as the control log's baseline, and rotates every namespace. See <see cref="StoreUpgrade"/>.
    /// </summary>
    public StoreUpgradeResult Upgrade(string client, ClientCredential credential, Surface surface = Surface.Api)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return new StoreUpgrade(this, surface).Run(client, credential);
    }

    /// <summary>Identity, format and size of the store.</summary>
    public StoreInfo GetInfo() => Backend.Read(reader =>
    {
        var header = reader.Header() ?? throw new StoreUnavailableException($"'{Path}' has no store header; it is damaged.", Path, corrupt: true);
        var statistics = reader.Statistics();
        return new StoreInfo(Path, StoreId, SqliteBackend.FormatVersion, header.Created, statistics.JournalMode, Backend.IsShared, IsReadOnly,
                             AllowWeakKdf, statistics.Namespaces, statistics.Secrets, statistics.Clients, statistics.AuditEntries);
    });

    /// <summary>Verifies the audit chain and reports the first broken link.</summary>
    public AuditVerification VerifyAudit() => Backend.Read(reader => AuditLog.Verify(reader, StoreId, Control.Read(reader, Path)));

    /// <summary>
    /// Copies the store to a new owner-only file, consistent even while others write. The copy holds only what the
    /// store holds: ciphertext, wrapped keys, names, audit.
    /// </summary>
    public void Backup(string destination, Surface surface = Surface.Api)
    {
        var fullDestination = ValidateNewPath(destination);
        // The copy is written by name: into a private directory, then copied into place through one handle.
        using var work = StoreFiles.CreatePrivateDirectory();
        var copy = work.File("backup.db");
        StoreFiles.CreateOwnerOnlyFile(copy).Dispose();
        Backend.BackupTo(copy);
        StoreFiles.CopyToNewOwnerOnlyFile(copy, fullDestination);
        TryAudit(surface, new AuditRecord(null, Environment.UserName, AuditActions.StoreBackup, null, fullDestination, null, AuditRecord.Ok, null));
    }

    /// <summary>
    /// Closes the connections this process keeps open to store files between operations. The last connection
    /// to a file to close folds the write-ahead log into it, leaving one self-contained file.
    /// </summary>
    public static void ReleaseConnections() => SqliteBackend.ReleaseAll();

    /// <summary>
    /// Checks that <paramref name="source"/> is a sound SecretOps store to restore from (the storage's integrity
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
        var shared = SqliteBackend.IsSharedFile(fullDestination);
        using var work = StoreFiles.CreatePrivateDirectory();
        var verified = work.File("restore.db");
        StageVerifiedCopy(source, verified);
        SqliteBackend.Install(verified, fullDestination);
        // Restored on purpose by this user: the state its clients verified here before is not a rollback to refuse.
        LocalHeads.ForgetStore(LocalHeadIdentity(fullDestination));
        Open(fullDestination, new StoreOpenOptions { Shared = shared }).TryAudit(surface, new AuditRecord(null, Environment.UserName, AuditActions.StoreRestore, null, System.IO.Path.GetFullPath(source), null, AuditRecord.Ok, null));
    }

    /// <summary>
    /// Copies a backup to <paramref name="staging"/> (owner-only, in a private directory), upgrades the copy if needed,
    /// and checks it: its schema (on opening), the storage's integrity check and the audit chain.
    /// </summary>
    private static void StageVerifiedCopy(string source, string staging)
    {
        var fullSource = ValidateExistingPath(source);
        SqliteBackend.CopyFile(fullSource, staging);
        var copy = Open(staging, new StoreOpenOptions { Shared = true });
        try
        {
            var integrity = copy.Backend.Read(reader => reader.IntegrityCheck());
            if (integrity != "ok")
            {
                throw new StoreUnavailableException($"The backup '{fullSource}' fails SQLite's integrity check ({integrity}); nothing was restored.", fullSource, corrupt: true);
            }

            if (copy.VerifyAudit() is { IsValid: false } audit)
            {
                throw new StoreUnavailableException($"The backup '{fullSource}' has a broken audit chain ({audit.Problem}); nothing was restored.", fullSource, corrupt: true);
            }
        }
        finally
        {
            copy.Backend.ReleaseConnections();
        }
    }

    internal void TryAudit(Surface surface, AuditRecord record, AuditSigner? signer = null)
    {
        if (IsReadOnly)
        {
            return;
        }

        try
        {
            Backend.Write((reader, batch) =>
            {
                AuditLog.Append(reader, batch, StoreId, surface, [record], signer);
                return 0;
            });
        }
        catch (StoreUnavailableException e) when (e.Category != SecretOpsErrorCategory.Tampered)
        {
            // The audit entry of a failure must not hide the failure itself (a store briefly locked or unwritable); an
            // altered store is reported as such.
        }
    }

    /// <summary>
    /// Opens a client's private key with its credential: a key file as given, or the envelope, bound to the store's
    /// identity (<paramref name="state"/>'s genesis hash; a format-1 store being upgraded has none).
    /// </summary>
    internal ClientPrivateKey UnlockPrivateKey(ClientRecord record, ClientCredential credential, AccessState? state)
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
        var binding = new KeyBinding(StoreId, state?.GenesisHash);
        try
        {
            privateKey = ClientKeyProtection.Open(record.Protection, credential, binding, record.Id);
        }
        catch (TamperedException) when (state is { Baseline.Entries: > 0 })
        {
            privateKey = OpenFormat1Envelope(record, credential, binding);
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

    /// <summary>
    /// A client of an upgraded store that has not connected since: its envelope is still bound to the store id alone, as
    /// format 1 sealed it. Opened that way once, it is sealed again bound to the store's identity.
    /// </summary>
    private ClientPrivateKey OpenFormat1Envelope(ClientRecord record, ClientCredential credential, KeyBinding binding)
    {
        ClientPrivateKey privateKey;
        try
        {
            privateKey = ClientKeyProtection.Open(record.Protection!, credential, binding with { Identity = null }, record.Id);
        }
        catch (TamperedException e)
        {
            throw new AuthenticationFailedException($"Wrong {Describe(record.Kind)} for client '{record.Name}'.", record.Name, e);
        }

        if (!IsReadOnly)
        {
            var resealed = ClientKeyProtection.Seal(privateKey, credential, record.Protection!.Kdf ?? Kdf, binding, record.Id);
            Backend.Write((_, batch) =>
            {
                batch.Add(new ReplaceClientKey(record.Id, record.Kind, record.PublicKey, resealed));
                return 0;
            });
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

        if (Remote.RemoteStoreBackend.IsServerAddress(path))
        {
            // Only files are created, restored or pushed from: a hosted store starts with a push and is never replaced.
            throw new InvalidParameterException("store", $"'{Secrets.Names.Printable(path)}' is a server, not a store file: a server's store is never created or restored in place.")
            {
                Hint = SecretOpsHint.PushStore,
            };
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
}
