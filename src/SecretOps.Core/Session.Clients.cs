using Microsoft.Data.Sqlite;
using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core;

/// <summary>How a new or re-keyed client will authenticate.</summary>
public sealed class ClientCredentialSpec
{
    /// <summary>The kind of credential.</summary>
    public required ClientKind Kind { get; init; }

    /// <summary>For <see cref="ClientKind.Passphrase"/>: the passphrase.</summary>
    public ReadOnlyMemory<char> Passphrase { get; init; }

    /// <summary>For <see cref="ClientKind.KeyFile"/>: the public half of the key the client keeps.</summary>
    public ClientPublicKey? PublicKey { get; init; }

    /// <summary>
    /// For <see cref="ClientKind.Passphrase"/>: seal the passphrase with the store's KDF defaults even below the floor
    /// (m = 64 MiB, t = 3), on a store created weak. Only the command that seals may say so (tests); without it, defaults
    /// below the floor are refused, whatever the store's header says.
    /// </summary>
    public bool AllowWeakKdf { get; init; }
}

public sealed partial class Session
{
    /// <summary>
    /// Creates a client (System and Admin clients only). Passphrase and generated clients get a new P-256
    /// key pair protected by their credential; key-file clients register only their public key. A generated
    /// secret is returned once and never stored.
    /// </summary>
    public ClientCreated AddClient(string name, ClientCredentialSpec credential, ClientRole role = ClientRole.Member, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        Names.ValidateClientName(name);
        ValidateDescription(description);
        if (role == ClientRole.System || !Enum.IsDefined(role))
        {
            throw new InvalidParameterException("role", "A new client is an admin or a member; a store has one System client.");
        }

        var id = Guid.NewGuid();
        var (publicKey, protection, secret) = NewKeyMaterial(id, credential);
        var record = Change(AuditActions.ClientAdd, null, name, (connection, transaction) =>
        {
            RequireAdmin("create clients");
            if (ClientRecord.Load(connection, transaction, name) is not null)
            {
                throw new ConflictException($"A client named '{name}' already exists.", name);
            }

            ClientRecord.Insert(connection, transaction, id, name, description, credential.Kind, role, publicKey, protection, ClientId);
            return (ClientRecord.Load(connection, transaction, id.ToString())!, (int?)null);
        });
        return new ClientCreated(ToInfo(record), secret);
    }

    /// <summary>Every client of the store (names and roles are not secret; credentials never leave the store).</summary>
    public IReadOnlyList<ClientInfo> ListClients() => Query(AuditActions.ClientList, null, null, (connection, transaction) =>
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT id FROM clients ORDER BY name");
        using var reader = command.ExecuteReader();
        var ids = new List<Guid>();
        while (reader.Read())
        {
            ids.Add(reader.GetUuid(0));
        }

        return ((IReadOnlyList<ClientInfo>)ids.Select(id => ToInfo(ClientRecord.Load(connection, transaction, id.ToString())!)).ToList(), (int?)null, AuditRecord.Ok);
    });

    /// <summary>One client by name or id.</summary>
    public ClientInfo GetClient(string client) => Query(AuditActions.ClientShow, null, client, (connection, transaction) =>
        (ToInfo(RequireClient(connection, transaction, client)), (int?)null, AuditRecord.Ok));

    /// <summary>Renames a client, changes its description or role (System and Admin clients only).</summary>
    public ClientInfo SetClient(string client, string? newName = null, string? description = null, ClientRole? role = null)
    {
        if (newName is not null)
        {
            Names.ValidateClientName(newName);
        }

        ValidateDescription(description);
        if (role is ClientRole.System || (role is { } r && !Enum.IsDefined(r)))
        {
            throw new InvalidParameterException("role", "A client can be made an admin or a member, not System.");
        }

        return Change(AuditActions.ClientUpdate, null, client, (connection, transaction) =>
        {
            RequireAdmin("change clients");
            var record = RequireClient(connection, transaction, client);
            if (record.Role == ClientRole.System && role is not null)
            {
                throw new InvalidParameterException("role", "The System client's role cannot change; retire it once admins exist.");
            }

            if (newName is not null && ClientRecord.Load(connection, transaction, newName) is { } other && other.Id != record.Id)
            {
                throw new ConflictException($"A client named '{newName}' already exists.", newName);
            }

            StoreDatabase.Execute(connection, transaction, "UPDATE clients SET name = $name, description = $description, role = $role WHERE id = $id",
                ("$name", newName ?? record.Name), ("$description", description ?? record.Description), ("$role", (int)(role ?? record.Role)), ("$id", record.Id.ToBlob()));
            return (ToInfo(ClientRecord.Load(connection, transaction, record.Id.ToString())!), (int?)null);
        });
    }

    /// <summary>Refuses the client at connect until enabled again (module-enforced; its keys stay).</summary>
    public ClientInfo DisableClient(string client) => SetStatus(client, ClientStatus.Disabled, AuditActions.ClientDisable);

    /// <summary>Lets a disabled client connect again.</summary>
    public ClientInfo EnableClient(string client) => SetStatus(client, ClientStatus.Active, AuditActions.ClientEnable);

    /// <summary>
    /// Gives a client a new key pair and credential, re-wrapping every key it holds. A client re-keys itself;
    /// an admin may re-key another client (a forgotten passphrase) only when it can itself reach every key
    /// that client holds. A session that re-keys itself is closed afterwards: connect with the new credential.
    /// </summary>
    public ClientCreated RotateClientKey(string? client, ClientCredentialSpec credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var self = client is null || Matches(client);
        var target = client ?? ClientId.ToString();
        var newId = self ? ClientId : Guid.Empty;
        ClientRecord? record = null;
        var created = Change(AuditActions.ClientRotate, null, target, (connection, transaction) =>
        {
            record = RequireClient(connection, transaction, target);
            if (!self)
            {
                RequireAdmin("re-key other clients");
            }

            if (record.Status == ClientStatus.Retired)
            {
                throw new ConflictException($"Client '{record.Name}' is retired.", record.Name);
            }

            var (publicKey, protection, secret) = NewKeyMaterial(record.Id, credential);
            var stanzas = StanzasOf(connection, transaction, record.Id);
            foreach (var (kind, scopeId, generation) in stanzas)
            {
                var context = kind == ScopeKind.Namespace ? Contexts.NamespaceKey(StoreId, scopeId, generation) : Contexts.SecretKey(StoreId, scopeId, generation);
                var key = self ? UnwrapOwnStanza(connection, transaction, kind, scopeId, generation, context)! : KeyForRekey(connection, transaction, kind, scopeId, generation, record.Name);
                WriteStanza(connection, transaction, record.Id, publicKey, kind, scopeId, generation, key, context);
                if (self)
                {
                    key.Dispose();
                }
            }

            StoreDatabase.Execute(connection, transaction,
                "UPDATE clients SET kind = $kind, public_key = $public, kdf_salt = $salt, kdf_memory_kib = $m, kdf_iterations = $t, kdf_parallelism = $p, private_key_nonce = $nonce, private_key = $key WHERE id = $id",
                ("$kind", (int)credential.Kind), ("$public", publicKey.ExportSubjectPublicKeyInfo()), ("$salt", protection?.Salt), ("$m", protection?.Kdf?.MemoryKiB),
                ("$t", protection?.Kdf?.Iterations), ("$p", protection?.Kdf?.Parallelism), ("$nonce", protection?.Envelope.Nonce), ("$key", protection?.Envelope.Ciphertext),
                ("$id", record.Id.ToBlob()));
            return (new ClientCreated(ToInfo(ClientRecord.Load(connection, transaction, record.Id.ToString())!), secret), (int?)null);
        });

        if (self)
        {
            // The old private key can no longer open anything; this session cannot follow a key it does not hold.
            Lock();
        }

        return created;
    }

    private SymmetricKey KeyForRekey(SqliteConnection connection, StoreTransaction transaction, ScopeKind kind, Guid scopeId, int generation, string clientName)
    {
        try
        {
            if (kind == ScopeKind.Namespace)
            {
                return NamespaceKey(connection, transaction, scopeId, generation, $"a namespace '{clientName}' holds");
            }

            var namespaceId = (byte[])StoreDatabase.Scalar(connection, transaction, "SELECT namespace_id FROM secrets WHERE id = $id", ("$id", scopeId.ToBlob()))!;
            return SecretKey(connection, transaction, Columns.ToGuid(namespaceId), scopeId, generation, $"a secret '{clientName}' holds");
        }
        catch (AccessDeniedException)
        {
            throw new AccessDeniedException($"Client '{ClientName}' cannot re-key '{clientName}': it does not itself hold every key '{clientName}' holds.", clientName);
        }
    }

    private (ClientPublicKey PublicKey, KeyProtection? Protection, string? Secret) NewKeyMaterial(Guid clientId, ClientCredentialSpec credential)
    {
        switch (credential.Kind)
        {
            case ClientKind.KeyFile:
                return (credential.PublicKey ?? throw new InvalidParameterException("public-key", "A key-file client needs its public key."), null, null);
            case ClientKind.Passphrase when credential.Passphrase.IsEmpty:
                throw new InvalidParameterException("passphrase", "A passphrase client needs a passphrase.");
            case ClientKind.Passphrase or ClientKind.Generated:
                var secret = credential.Kind == ClientKind.Generated ? GeneratedSecret.Create() : null;
                using (var credentialValue = secret is null ? ClientCredential.FromPassphrase(credential.Passphrase.Span) : ClientCredential.FromGeneratedSecret(secret))
                using (var key = ClientPrivateKey.Generate())
                {
                    var kdf = secret is null ? SealingKdf(credential.AllowWeakKdf) : Store.Kdf;
                    return (key.PublicKey, ClientKeyProtection.Seal(key, credentialValue, kdf, StoreId, clientId), secret);
                }

            default:
                throw new InvalidParameterException("kind", $"Unknown client kind {(int)credential.Kind}.");
        }
    }

    /// <summary>
    /// The Argon2id parameters a passphrase is sealed with: the store's defaults, which are a row anyone with the file
    /// can write, so the floor applies to them every time; only the sealing command itself may lower it.
    /// </summary>
    private Argon2Parameters SealingKdf(bool allowWeak)
    {
        try
        {
            Store.Kdf.EnsureAcceptable(allowWeak && Store.AllowWeakKdf);
        }
        catch (InvalidParameterException e)
        {
            throw new InvalidParameterException("kdf", $"The store's KDF defaults are refused for a new passphrase: {e.Message} A passphrase is sealed below the floor only "
                + "on a store created weak and when the command asks for it (--weak-kdf, -AllowWeakKdf). If this store was not created weak, its header was altered.");
        }

        return Store.Kdf;
    }

    private ClientInfo SetStatus(string client, ClientStatus status, string action) => Change(action, null, client, (connection, transaction) =>
    {
        RequireAdmin("disable or enable clients");
        var record = RequireClient(connection, transaction, client);
        if (record.Id == ClientId)
        {
            throw new ConflictException("A client cannot disable or enable itself.", record.Name);
        }

        if (record.Status == ClientStatus.Retired)
        {
            throw new ConflictException($"Client '{record.Name}' is retired; retirement is permanent.", record.Name);
        }

        StoreDatabase.Execute(connection, transaction, "UPDATE clients SET status = $status WHERE id = $id", ("$status", (int)status), ("$id", record.Id.ToBlob()));
        return (ToInfo(record with { Status = status }), (int?)null);
    });

    private void RequireAdmin(string what)
    {
        if (Role == ClientRole.Member)
        {
            throw new AccessDeniedException($"Client '{ClientName}' is a member; only admins {what}.", ClientName);
        }
    }

    private bool Matches(string client) =>
        string.Equals(client, ClientName, StringComparison.OrdinalIgnoreCase) || (Guid.TryParse(client, out var id) && id == ClientId);

    private static ClientRecord RequireClient(SqliteConnection connection, StoreTransaction transaction, string client) =>
        ClientRecord.Load(connection, transaction, client) ?? throw new NotFoundException($"There is no client '{Names.Printable(client)}'.", client);

    private static List<(ScopeKind Kind, Guid ScopeId, int Generation)> StanzasOf(SqliteConnection connection, StoreTransaction transaction, Guid clientId)
    {
        using var command = StoreDatabase.Command(connection, transaction, "SELECT scope_kind, scope_id, generation FROM stanzas WHERE client_id = $id", ("$id", clientId.ToBlob()));
        using var reader = command.ExecuteReader();
        var stanzas = new List<(ScopeKind, Guid, int)>();
        while (reader.Read())
        {
            stanzas.Add(((ScopeKind)reader.GetInt32(0), reader.GetUuid(1), reader.GetInt32(2)));
        }

        return stanzas;
    }

    private static ClientInfo ToInfo(ClientRecord record) => new(
        record.Id, record.Name, record.Description, record.Kind, record.Role, record.Status,
        record.PublicKey.Algorithm switch
        {
            ClientKeyAlgorithm.Rsa => $"RSA-{record.PublicKey.KeySizeBits}",
            ClientKeyAlgorithm.EcP384 => "EC P-384",
            _ => "EC P-256",
        },
        record.PublicKey.Fingerprint, record.Created, record.LastUsed);
}
