using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Control;

/// <summary>
/// A reader whose answers about authority come from the verified control log, never from rows alone. Roles, statuses,
/// grants, key generations, secrets and their current versions are answered from <see cref="State"/>; rows that carry them
/// too (clients, namespaces, secrets, versions, grants) must agree with it, or the read is refused as tampered, naming
/// the row. Rows the log says nothing about (descriptions, retention, stanzas, wrapped keys, audit) pass through; keys
/// from stanzas and wrapped keys are checked against the log's key commitments where they are unwrapped.
/// </summary>
/// <remarks>
/// A command's changes go through <see cref="Append"/>: each control entry is signed, replayed onto <see cref="Pending"/>
/// (so one the log would refuse is refused before anything is written) and added to the batch. Answers keep coming from
/// <see cref="State"/>: a command decides from what it read, as with every reader.
/// </remarks>
internal sealed class VerifiedReader(IStoreReader inner, AccessState state, Guid signerId, ClientSigningKey? signer, VerifiedVersions? verifiedVersions = null) : IStoreReader
{
    /// <summary>The verified state the command read.</summary>
    public AccessState State { get; } = state;

    /// <summary>The state after the entries this command has appended so far.</summary>
    public AccessState Pending { get; private set; } = state;

    /// <summary>Signs <paramref name="entry"/> as this command's client, replays it onto <see cref="Pending"/> and adds it to the batch.</summary>
    public void Append(WriteBatch batch, ControlEntry entry)
    {
        var key = signer ?? throw new InvalidOperationException("This reader has no signing key: it cannot append to the control log.");
        var (signed, next) = ControlLog.Append(Pending, signerId, key, entry);
        batch.Add(new AppendControl(signed.Sequence, signed.Encode()));
        Pending = next;
    }

    public StoreHeader? Header() => inner.Header();

    public StoreStatistics Statistics() => inner.Statistics();

    public string IntegrityCheck() => inner.IntegrityCheck();

    public ClientRecord? FindClient(string idOrName) => inner.FindClient(idOrName) is { } row ? Checked(row) : null;

    public ClientStatus? ClientStatus(Guid clientId) => State.Client(clientId)?.Status;

    public string? ClientName(Guid clientId) => State.Client(clientId)?.Name;

    public IReadOnlyList<ClientRecord> Clients() => [.. inner.Clients().Select(Checked)];

    public bool AnyActiveClient(IReadOnlyCollection<ClientRole> roles, Guid? except) => State.AnyActiveClient(roles, except);

    public NamespaceRecord? FindNamespace(string name) => inner.FindNamespace(name) is { } row ? Checked(row) : null;

    public NamespaceRecord? GetNamespace(Guid id) => inner.GetNamespace(id) is { } row ? Checked(row) : null;

    public IReadOnlyList<NamespaceRecord> Namespaces() => [.. inner.Namespaces().Select(Checked)];

    public int CountSecrets(Guid namespaceId) => State.SecretsIn(namespaceId).Count();

    public SecretLookup? LookUpSecret(Guid clientId, string ns, string nameKey, int? version)
    {
        if (inner.LookUpSecret(clientId, ns, nameKey, version) is not { } found)
        {
            return null;
        }

        if (found.ControlHead != State.Sequence)
        {
            // The state was read in this same snapshot: the two cannot differ.
            throw Altered("the control log", "it changed within one snapshot");
        }

        var namespaceRecord = Checked(found.Namespace);
        var secret = found.Secret is null ? null : Checked(found.Secret);
        if (secret is null && State.FindSecret(namespaceRecord.Id, nameKey) is { } missing)
        {
            throw Altered($"secret {missing.Id}", "the control log holds it, but its row is missing");
        }

        VersionRow? row = null;
        if (secret is not null)
        {
            // The version comes from the log, not from the row's pointer: a lookup of the row's current version is redone
            // for the log's when the two differ.
            // A version row that does not verify is left out rather than refused here: the read that needs it refuses it
            // (through Version), while reads of other versions of the secret go on.
            var wanted = version ?? secret.CurrentVersion;
            row = found.Version is { } candidate && candidate.Number == wanted ? candidate : inner.Version(secret.Id, wanted);
            row = row is not null && Verifies(secret.Id, row) ? row : null;
        }

        var held = State.EffectiveFlags(clientId, namespaceRecord.Id, secret?.Id);
        return new SecretLookup(State.Client(clientId)?.Status, namespaceRecord, secret, held, row) { ControlHead = found.ControlHead };
    }

    /// <summary>
    /// A warm read, decided from <see cref="State"/>: the client active with Read, the secret and the version the log
    /// holds; only the secret's display name and the version's sealed value come from rows, read in one statement with the
    /// log's head and checked against the log. Null whenever the state does not answer or the log has moved on since it:
    /// the full read then decides, with its errors.
    /// </summary>
    public ReadableVersion? LookUpReadable(Guid clientId, string ns, string nameKey, int? version)
    {
        if (State.Client(clientId) is not { Status: global::SecretOps.ClientStatus.Active } || State.FindNamespace(ns) is not { } namespaceState
            || State.FindSecret(namespaceState.Id, nameKey) is not { } secret
            || (State.EffectiveFlags(clientId, namespaceState.Id, secret.Id) & global::SecretOps.Permissions.Read) == 0
            || !secret.Versions.ContainsKey(version ?? secret.CurrentVersion))
        {
            return null;
        }

        var wanted = version ?? secret.CurrentVersion;
        return VersionAtHead(secret.Id, wanted) is { Version: { } row } found
            ? new ReadableVersion(namespaceState.Id, namespaceState.Name, Record(secret, found.SecretName), row)
            : null;
    }

    /// <summary>Null unless the log's head is this state's, the secret's name is the log's and the version row (if any) verifies.</summary>
    public VersionAtHead? VersionAtHead(Guid secretId, int version) =>
        inner.VersionAtHead(secretId, version) is { } found && found.ControlHead == State.Sequence
        && State.Secrets.GetValueOrDefault(secretId) is { } logged && string.Equals(Names.LookupKey(found.SecretName), logged.NameKey, StringComparison.Ordinal)
        && (found.Version is null || Verifies(secretId, found.Version))
            ? found
            : null;

    public SecretRecord? FindSecret(Guid namespaceId, string nameKey) => inner.FindSecret(namespaceId, nameKey) is { } row ? Checked(row) : null;

    public SecretRecord? GetSecret(Guid id) => inner.GetSecret(id) is { } row ? Checked(row) : null;

    // Read lean (the columns the log vouches for, no client names joined in) and checked like any row; who created and
    // changed each secret, and when, come from the log.
    public IReadOnlyList<SecretRecord> Secrets(Guid namespaceId, string? nameKey = null, string? nameKeyPrefix = null) =>
        [.. inner.ListedSecrets(namespaceId, nameKey, nameKeyPrefix).Select(Checked)];

    public IReadOnlyList<ListedSecret> ListedSecrets(Guid namespaceId, string? nameKey = null, string? nameKeyPrefix = null) =>
        [.. Secrets(namespaceId, nameKey, nameKeyPrefix).Select(Listed)];

    public IReadOnlyList<(Guid SecretId, int KeyGeneration)> SecretKeyGenerations(Guid namespaceId) =>
        [.. State.SecretsIn(namespaceId).Select(id => (id, State.Secrets[id].KeyGeneration))];

    public VersionRow? Version(Guid secretId, int version) => inner.Version(secretId, version) switch
    {
        { } row => Checked(secretId, row),
        // Retention prunes old rows without an entry, but never the current version's: its row gone is an altered file.
        null when State.Secrets.GetValueOrDefault(secretId)?.CurrentVersion == version =>
            throw Altered($"secret {secretId} version {version}", "the control log names it the current version, but its row is missing"),
        null => null,
    };

    public IReadOnlyList<VersionSummary> Versions(Guid secretId)
    {
        var secret = State.Secrets.GetValueOrDefault(secretId) ?? throw Altered($"secret {secretId}", "the control log does not hold it");
        var summaries = new List<VersionSummary>();
        foreach (var row in inner.Versions(secretId))
        {
            var logged = secret.Versions.GetValueOrDefault(row.Number) ?? throw Altered($"secret {secretId} version {row.Number}", "the control log does not hold it");
            summaries.Add(new VersionSummary(logged.Number, logged.Type, logged.Created, logged.Author));
        }

        return summaries;
    }

    public Permissions Flags(Guid clientId, ScopeKind kind, Guid scopeId) => State.Flags(clientId, kind, scopeId);

    public Permissions EffectiveFlags(Guid clientId, Guid namespaceId, Guid? secretId) => State.EffectiveFlags(clientId, namespaceId, secretId);

    public IReadOnlyList<(Guid SecretId, Permissions Flags)> SecretGrantsIn(Guid clientId, Guid namespaceId) =>
        State.Grants.TryGetValue(clientId, out var grants)
            ? [.. grants.Where(g => g.Key.Kind == ScopeKind.Secret && State.Secrets.GetValueOrDefault(g.Key.ScopeId)?.NamespaceId == namespaceId).Select(g => (g.Key.ScopeId, g.Value))]
            : [];

    public IReadOnlyList<PermissionRow> Permissions(Guid? clientId, Guid? namespaceId, Guid? secretId)
    {
        var rows = inner.Permissions(clientId, namespaceId, secretId);
        foreach (var row in rows)
        {
            var scopeId = row.Kind == ScopeKind.Namespace ? row.NamespaceId : State.FindSecret(row.NamespaceId, Names.LookupKey(row.Secret ?? ""))?.Id;
            if (scopeId is null || State.Flags(row.ClientId, row.Kind, scopeId.Value) != row.Flags)
            {
                throw Altered($"the grant of client '{row.Client}' on namespace '{row.Namespace}'{(row.Secret is null ? "" : $", secret '{row.Secret}'")}",
                    "it is not the grant the control log holds");
            }
        }

        var logged = State.Grants
            .Where(g => clientId is null || g.Key == clientId)
            .SelectMany(g => g.Value.Select(scope => (Client: g.Key, Scope: scope.Key)))
            .Count(g => InScope(g.Scope, namespaceId, secretId));
        if (logged != rows.Count)
        {
            throw Altered("the grants", $"{rows.Count} grant rows match where the control log holds {logged}");
        }

        return rows;
    }

    public Stanza? Stanza(Guid clientId, KeyScope scope) => inner.Stanza(clientId, scope);

    public IReadOnlyList<KeyScope> StanzasOf(Guid clientId) => inner.StanzasOf(clientId);

    public bool HasStanza(Guid clientId, ScopeKind kind, Guid scopeId) => inner.HasStanza(clientId, kind, scopeId);

    public bool HasSecretStanzasIn(Guid clientId, Guid namespaceId) => inner.HasSecretStanzasIn(clientId, namespaceId);

    public bool HasOtherActiveHolder(ScopeKind kind, Guid scopeId, Guid excluded) => inner.HasOtherActiveHolder(kind, scopeId, excluded);

    /// <summary>
    /// The holders of a stanza for the generation (rows) that the log grants Read or Write on the scope and has not retired:
    /// a planted grant or stanza alone never makes a recipient.
    /// </summary>
    public IReadOnlyList<Guid> Recipients(ScopeKind kind, Guid scopeId, int generation, Guid? excluded) =>
        [.. inner.Recipients(kind, scopeId, generation, excluded).Where(id => HoldsKeys(id, kind, scopeId))];

    public IReadOnlyDictionary<(Guid SecretId, int Generation), IReadOnlyList<Guid>> SecretRecipientsIn(Guid namespaceId, Guid? excluded) =>
        inner.SecretRecipientsIn(namespaceId, excluded).ToDictionary(
            e => e.Key, e => (IReadOnlyList<Guid>)[.. e.Value.Where(id => HoldsKeys(id, ScopeKind.Secret, e.Key.SecretId))]);

    public UngrantedStanza? FirstUngrantedStanza(Guid namespaceId, Guid? secretId, Guid? excluded) => inner.FirstUngrantedStanza(namespaceId, secretId, excluded);

    public WrappedSecretKey? WrappedSecretKey(Guid secretId, int generation) => inner.WrappedSecretKey(secretId, generation);

    public bool NamespaceKeyExists(Guid namespaceId, int generation) => State.Namespaces.GetValueOrDefault(namespaceId)?.Commitment(generation) is not null;

    public IReadOnlyList<NamespaceCanary> CanariesHeldBy(Guid clientId) => inner.CanariesHeldBy(clientId);

    public long ControlHead() => inner.ControlHead();

    public IEnumerable<(long Sequence, byte[] Entry)> ControlEntries(long sequence) => inner.ControlEntries(sequence);

    public Stanza? SigningKey(Guid clientId) => inner.SigningKey(clientId);

    public AuditLink? LastAuditEntry() => inner.LastAuditEntry();

    public IReadOnlyList<AuditEntry> AuditEntries(AuditQuery query) => inner.AuditEntries(query);

    public IEnumerable<ChainedAuditEntry> AuditChain() => inner.AuditChain();

    /// <summary>The commitment of a key generation, from the log; null for one it never made.</summary>
    public byte[]? Commitment(KeyScope scope) => scope.Kind == ScopeKind.Namespace
        ? State.Namespaces.GetValueOrDefault(scope.ScopeId)?.Commitment(scope.Generation)
        : State.Secrets.GetValueOrDefault(scope.ScopeId)?.Commitment(scope.Generation);

    private bool HoldsKeys(Guid clientId, ScopeKind kind, Guid scopeId) =>
        (State.Flags(clientId, kind, scopeId) & (global::SecretOps.Permissions.Read | global::SecretOps.Permissions.Write)) != 0
        && State.Client(clientId) is { Status: not global::SecretOps.ClientStatus.Retired };

    private bool InScope(GrantScope scope, Guid? namespaceId, Guid? secretId)
    {
        if (secretId is { } secret)
        {
            // With a secret: its own grants and those on its namespace (everyone who reaches it).
            return scope.ScopeId == secret || (scope.Kind == ScopeKind.Namespace && scope.ScopeId == namespaceId);
        }

        if (namespaceId is not { } ns)
        {
            return true;
        }

        return scope.Kind == ScopeKind.Namespace ? scope.ScopeId == ns : State.Secrets.GetValueOrDefault(scope.ScopeId)?.NamespaceId == ns;
    }

    private ClientRecord Checked(ClientRecord row)
    {
        var logged = State.Client(row.Id) ?? throw Altered($"client '{row.Name}'", "the control log never added it");
        if (!string.Equals(row.Name, logged.Name, StringComparison.Ordinal) || row.Kind != logged.Kind || row.Role != logged.Role || row.Status != logged.Status
            || !row.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(logged.EncryptionKeySpki))
        {
            throw Altered($"client '{logged.Name}'", "its name, kind, role, status or public key is not what the control log holds");
        }

        return row;
    }

    private NamespaceRecord Checked(NamespaceRecord row)
    {
        var logged = State.Namespaces.GetValueOrDefault(row.Id) ?? throw Altered($"namespace '{row.Name}'", "the control log holds no such namespace");
        if (!string.Equals(row.Name, logged.Name, StringComparison.Ordinal) || row.KeyGeneration != logged.KeyGeneration)
        {
            throw Altered($"namespace '{logged.Name}'", "its name or key generation is not what the control log holds");
        }

        return row;
    }

    private SecretRecord Checked(SecretRecord row) => Checked(Listed(row));

    private static ListedSecret Listed(SecretRecord row) =>
        new(row.Id, row.NamespaceId, row.Name, row.Type, row.CurrentVersion, row.KeyGeneration, row.Metadata, row.ExpiresAt);

    private SecretRecord Checked(ListedSecret row)
    {
        var logged = State.Secrets.GetValueOrDefault(row.Id) ?? throw Altered($"secret '{row.Name}'", "the control log holds no such secret");
        var current = logged.Current;
        if (logged.NamespaceId != row.NamespaceId || !string.Equals(logged.NameKey, Names.LookupKey(row.Name), StringComparison.Ordinal)
            || current is null || row.CurrentVersion != logged.CurrentVersion || row.KeyGeneration != logged.KeyGeneration || row.Type != current.Type
            || !string.Equals(row.Metadata, logged.Metadata, StringComparison.Ordinal) || row.ExpiresAt != logged.ExpiresAt)
        {
            throw Altered($"secret '{row.Name}'", "its name, current version, key generation, type, metadata or expiry is not what the control log holds");
        }

        // Who created and last changed it, and when, are the log's too.
        return Record(logged, row.Name);
    }

    /// <summary>A secret as the log holds it, with the display name its row gives (which the caller checked against the log's name key).</summary>
    private SecretRecord Record(SecretState logged, string name)
    {
        var current = logged.Current!;
        return new SecretRecord(logged.Id, logged.NamespaceId, name, current.Type, logged.CurrentVersion, logged.KeyGeneration, logged.Metadata, logged.ExpiresAt,
            logged.Created, ClientName(logged.CreatedBy) ?? logged.CreatedBy.ToString(), current.Created, ClientName(current.Author) ?? current.Author.ToString());
    }

    private VersionRow Checked(Guid secretId, VersionRow row) => Verifies(secretId, row)
        ? row
        : throw Altered($"secret {secretId} version {row.Number}", "its value, type or key generation is not what its author signed in the control log");

    private bool Verifies(Guid secretId, VersionRow row)
    {
        if (State.Secrets.GetValueOrDefault(secretId)?.Versions.GetValueOrDefault(row.Number) is not { } logged
            || logged.KeyGeneration != row.KeyGeneration || logged.Type != row.Type)
        {
            return false;
        }

        if (verifiedVersions?.Holds(secretId, row.Number, row.Value) == true)
        {
            return true;
        }

        var verifies = System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(logged.ValueDigest, KeyCommitment.OfValue(row.Value));
        if (verifies)
        {
            verifiedVersions?.Add(secretId, row.Number, row.Value);
        }

        return verifies;
    }

    private static TamperedException Altered(string what, string why) =>
        new(what, $"The store was altered: {what} is refused, because {why}.");
}

/// <summary>What a warm read found: the namespace's id and name, the secret as the log holds it, and the verified version row.</summary>
internal sealed record ReadableVersion(Guid NamespaceId, string NamespaceName, SecretRecord Secret, VersionRow Version);
