using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Keys;
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
        var record = Change(AuditActions.ClientAdd, null, name, (reader, batch) =>
        {
            RequireAdmin("create clients");
            if (reader.FindClient(name) is not null)
            {
                throw new ConflictException($"A client named '{name}' already exists.", name);
            }

            var added = new ClientRecord(id, name, description, credential.Kind, role, ClientStatus.Active, publicKey, protection, DateTimeOffset.UtcNow, null);
            batch.Add(new InsertClient(added, ClientId));
            var (signing, stanza) = Control.SigningKeyStanza.Create(StoreId, id, publicKey);
            using (signing)
            {
                batch.Add(new PutSigningKey(stanza));
                Sign(reader, batch, new Control.AddClient(id, name, credential.Kind, role, publicKey.ExportSubjectPublicKeyInfo(), signing.VerifyingKey.ExportSubjectPublicKeyInfo()));
            }

            return (added, (int?)null);
        });
        return new ClientCreated(ToInfo(record), secret);
    }

    /// <summary>Every client of the store (names and roles are not secret; credentials never leave the store).</summary>
    public IReadOnlyList<ClientInfo> ListClients() => Query(AuditActions.ClientList, null, null, reader =>
        ((IReadOnlyList<ClientInfo>)reader.Clients().Select(ToInfo).ToList(), (int?)null, AuditRecord.Ok));

    /// <summary>One client by name or id.</summary>
    public ClientInfo GetClient(string client) => Query(AuditActions.ClientShow, null, client, reader =>
        (ToInfo(RequireClient(reader, client)), (int?)null, AuditRecord.Ok));

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

        return Change(AuditActions.ClientUpdate, null, client, (reader, batch) =>
        {
            RequireAdmin("change clients");
            var record = RequireClient(reader, client);
            if (record.Role == ClientRole.System && role is not null)
            {
                throw new InvalidParameterException("role", "The System client's role cannot change; retire it once admins exist.");
            }

            if (newName is not null && reader.FindClient(newName) is { } other && other.Id != record.Id)
            {
                throw new ConflictException($"A client named '{newName}' already exists.", newName);
            }

            var updated = record with { Name = newName ?? record.Name, Description = description ?? record.Description, Role = role ?? record.Role };
            if (record.Status == ClientStatus.Active && record.Role != ClientRole.Member && updated.Role == ClientRole.Member
                && !reader.AnyActiveClient([ClientRole.System, ClientRole.Admin], except: record.Id))
            {
                throw new ConflictException($"'{record.Name}' is the last active administrator; make another client an admin first.", record.Name);
            }

            batch.Add(new UpdateClient(updated.Id, updated.Name, updated.Description, updated.Role));
            if (updated.Name != record.Name || updated.Role != record.Role)
            {
                Sign(reader, batch, new Control.UpdateClient(updated.Id, updated.Name, updated.Role));
            }

            return (ToInfo(updated), (int?)null);
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
        var created = Change(AuditActions.ClientRotate, null, target, (reader, batch) =>
        {
            record = RequireClient(reader, target);
            if (!self)
            {
                RequireAdmin("re-key other clients");
            }

            if (record.Status == ClientStatus.Retired)
            {
                throw new ConflictException($"Client '{record.Name}' is retired.", record.Name);
            }

            var (publicKey, protection, secret) = NewKeyMaterial(record.Id, credential);
            foreach (var scope in reader.StanzasOf(record.Id))
            {
                var key = self ? keys.UnwrapOwn(reader, scope)! : KeyForRekey(reader, scope, record.Name);
                keys.PutStanza(batch, record.Id, publicKey, scope, key);
                if (self)
                {
                    key.Dispose();
                }
            }

            batch.Add(new ReplaceClientKey(record.Id, credential.Kind, publicKey, protection));
            var (signing, stanza) = Control.SigningKeyStanza.Create(StoreId, record.Id, publicKey);
            using (signing)
            {
                batch.Add(new PutSigningKey(stanza));
                Sign(reader, batch, new Control.RekeyClient(record.Id, credential.Kind, publicKey.ExportSubjectPublicKeyInfo(), signing.VerifyingKey.ExportSubjectPublicKeyInfo()));
            }

            return (new ClientCreated(ToInfo(record with { Kind = credential.Kind, PublicKey = publicKey, Protection = protection }), secret), (int?)null);
        });

        if (self)
        {
            // The old private key can no longer open anything; this session cannot follow a key it does not hold.
            Lock();
        }

        return created;
    }

    private SymmetricKey KeyForRekey(IStoreReader reader, KeyScope scope, string clientName)
    {
        try
        {
            if (scope.Kind == ScopeKind.Namespace)
            {
                return keys.NamespaceKey(reader, scope.ScopeId, scope.Generation, $"a namespace '{clientName}' holds");
            }

            var secret = reader.GetSecret(scope.ScopeId) ?? throw new TamperedException($"A secret key '{clientName}' holds");
            return keys.SecretKey(reader, secret.NamespaceId, scope.ScopeId, scope.Generation, $"a secret '{clientName}' holds");
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
                    return (key.PublicKey, ClientKeyProtection.Seal(key, credentialValue, kdf, new KeyBinding(StoreId, Store.Control.Latest?.GenesisHash), clientId), secret);
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
                + "on a store created weak and when the command asks for it. If this store was not created weak, its header was altered.")
            {
                Hint = Store.AllowWeakKdf && !allowWeak ? SecretOpsHint.AllowWeakKdf : SecretOpsHint.None,
            };
        }


        // The floor the genesis entry fixed is signed: a header lowered below it was altered, whatever it says of itself.
        if (Store.Control.Latest?.KdfFloor is { } floor
            && (Store.Kdf.MemoryKiB < floor.MemoryKiB || Store.Kdf.Iterations < floor.Iterations || Store.Kdf.Parallelism < floor.Parallelism))
        {
            throw new TamperedException("the store's KDF defaults",
                $"The store's KDF defaults (m = {Store.Kdf.MemoryKiB} KiB, t = {Store.Kdf.Iterations}, p = {Store.Kdf.Parallelism}) are below the floor its control log fixes "
                + $"(m = {floor.MemoryKiB} KiB, t = {floor.Iterations}, p = {floor.Parallelism}): the store's header was altered. No passphrase was sealed.");
        }

        return Store.Kdf;
    }

    private ClientInfo SetStatus(string client, ClientStatus status, string action) => Change(action, null, client, (reader, batch) =>
    {
        RequireAdmin("disable or enable clients");
        var record = RequireClient(reader, client);
        if (record.Id == ClientId)
        {
            throw new ConflictException("A client cannot disable or enable itself.", record.Name);
        }

        if (record.Status == ClientStatus.Retired)
        {
            throw new ConflictException($"Client '{record.Name}' is retired; retirement is permanent.", record.Name);
        }

        if (status == ClientStatus.Disabled && record.Role != ClientRole.Member && !reader.AnyActiveClient([ClientRole.System, ClientRole.Admin], except: record.Id))
        {
            throw new ConflictException($"'{record.Name}' is the last active administrator; make another client an admin first.", record.Name);
        }

        batch.Add(new SetClientStatus(record.Id, status));
        Sign(reader, batch, new Control.SetClientStatus(record.Id, status));
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

    private static ClientRecord RequireClient(IStoreReader reader, string client) =>
        reader.FindClient(client) ?? throw new NotFoundException($"There is no client '{Names.Printable(client)}'.", client);

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
