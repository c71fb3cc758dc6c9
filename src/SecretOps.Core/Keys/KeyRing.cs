using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Keys;

/// <summary>
/// One connected client's keys: its private key, and the namespace and secret key generations it has unwrapped, cached
/// until <see cref="Dispose"/> wipes them. It unwraps a key from the client's own stanza or, for a secret key, with the
/// namespace key generation that wrapped it; and it wraps keys into new stanzas, canaries and wrapped secret keys for a batch.
/// </summary>
internal sealed class KeyRing : IDisposable
{
    private readonly ClientPrivateKey privateKey;
    private readonly Guid storeId;
    private readonly Guid clientId;
    private readonly string clientName;
    // Concurrent so that a warm read finds a cached key without taking the lock.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<KeyScope, SymmetricKey> keys = new();
    private readonly object gate = new();

    public KeyRing(ClientPrivateKey privateKey, Guid storeId, Guid clientId, string clientName)
    {
        this.privateKey = privateKey;
        this.storeId = storeId;
        this.clientId = clientId;
        this.clientName = clientName;
    }

    /// <summary>The client's own public key.</summary>
    public ClientPublicKey PublicKey => privateKey.PublicKey;

    /// <summary>What a key generation of a scope is bound to when wrapped in a stanza.</summary>
    public AssociatedData StanzaContext(KeyScope scope) => scope.Kind == ScopeKind.Namespace
        ? Contexts.NamespaceKey(storeId, scope.ScopeId, scope.Generation)
        : Contexts.SecretKey(storeId, scope.ScopeId, scope.Generation);

    /// <summary>A namespace key generation, unwrapped from this client's stanza (cached).</summary>
    public SymmetricKey NamespaceKey(IStoreReader reader, Guid namespaceId, int generation, string what) =>
        Cached(new KeyScope(ScopeKind.Namespace, namespaceId, generation), scope =>
            Committed(reader, scope, UnwrapOwn(reader, scope) ?? throw new AccessDeniedException($"Client '{clientName}' holds no key for {what}.", what), what));

    /// <summary>
    /// A secret key generation: from this client's own stanza for the secret, or unwrapped with the namespace key
    /// generation that wrapped it (cached).
    /// </summary>
    public SymmetricKey SecretKey(IStoreReader reader, Guid namespaceId, Guid secretId, int generation, string what) =>
        Cached(new KeyScope(ScopeKind.Secret, secretId, generation), scope =>
        {
            if (UnwrapOwn(reader, scope) is { } own)
            {
                return Committed(reader, scope, own, what);
            }

            var wrapped = reader.WrappedSecretKey(secretId, generation) ?? throw new TamperedException($"The key of {what}");
            // A generation the namespace never had is an altered row, not a key this client lacks.
            if (!reader.NamespaceKeyExists(namespaceId, wrapped.NamespaceGeneration))
            {
                throw new TamperedException($"The key of {what}");
            }

            var namespaceKey = NamespaceKey(reader, namespaceId, wrapped.NamespaceGeneration, what);
            var key = Aead.OpenKey(namespaceKey, wrapped.Wrapped, Contexts.WrappedSecretKey(storeId, namespaceId, secretId, generation, wrapped.NamespaceGeneration), $"The key of {what}");
            return Committed(reader, scope, key, what);
        });

    /// <summary>
    /// A key as unwrapped, once it matches the commitment its generation has in the control log: a stanza or wrapped key
    /// planted beside the real ones (a key the planter knows) is refused as tampered, not used. Readers without a log
    /// (a format-1 store being upgraded) have no commitments to check.
    /// </summary>
    private static SymmetricKey Committed(IStoreReader reader, KeyScope scope, SymmetricKey key, string what)
    {
        if (reader is Control.VerifiedReader verified
            && (verified.Commitment(scope) is not { } commitment
                || (!Control.KeyCommitment.IsUnknown(commitment) && !Control.KeyCommitment.Matches(commitment, scope.Kind, scope.ScopeId, scope.Generation, key))))
        {
            key.Dispose();
            throw new TamperedException($"The key of {what}",
                $"The key of {what} (generation {scope.Generation}) is not the one the control log commits to: the store was altered.");
        }

        return key;
    }

    /// <summary>A key generation already unwrapped, or null.</summary>
    public SymmetricKey? CachedOrNull(KeyScope scope) => keys.GetValueOrDefault(scope);

    /// <summary>Unwraps this client's own stanza for a key generation (not cached: the caller disposes it); null when it has none.</summary>
    public SymmetricKey? UnwrapOwn(IStoreReader reader, KeyScope scope) =>
        reader.Stanza(clientId, scope) is { } stanza ? stanza.Unwrap(privateKey, StanzaContext(scope)) : null;

    /// <summary>Keeps a key this client just made (a new secret's key), so the same command can use it before it is stored.</summary>
    public void Remember(KeyScope scope, SymmetricKey key) => Cached(scope, _ => SymmetricKey.FromBytes(key.Bytes));

    /// <summary>Wraps a key generation to a client and adds the stanza to the batch.</summary>
    public void PutStanza(WriteBatch batch, Guid recipientId, ClientPublicKey recipient, KeyScope scope, SymmetricKey key) =>
        batch.Add(new PutStanza(scope, Stanza.Wrap(key, recipientId, recipient, StanzaContext(scope))));

    /// <summary>Adds a namespace key generation with its canary to the batch; returns the canary.</summary>
    public SealedData AddNamespaceKey(WriteBatch batch, Guid namespaceId, int generation, SymmetricKey key)
    {
        var canary = Aead.Seal(key, Contexts.CanaryPlaintext, Contexts.Canary(storeId, namespaceId, generation));
        batch.Add(new InsertNamespaceKey(namespaceId, generation, canary, DateTimeOffset.UtcNow));
        return canary;
    }

    /// <summary>Adds a secret key generation wrapped under a namespace key generation to the batch; returns it wrapped.</summary>
    public SealedData AddSecretKey(WriteBatch batch, Guid namespaceId, Guid secretId, int generation, SymmetricKey secretKey, SymmetricKey namespaceKey, int namespaceGeneration)
    {
        var wrapped = Aead.SealKey(namespaceKey, secretKey, Contexts.WrappedSecretKey(storeId, namespaceId, secretId, generation, namespaceGeneration));
        batch.Add(new InsertSecretKey(secretId, generation, namespaceGeneration, wrapped));
        return wrapped;
    }

    /// <summary>Wipes every cached key and the private key.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            foreach (var key in keys.Values)
            {
                key.Dispose();
            }

            keys.Clear();
            privateKey.Dispose();
        }
    }

    private SymmetricKey Cached(KeyScope scope, Func<KeyScope, SymmetricKey> unwrap)
    {
        if (CachedOrNull(scope) is { } cached)
        {
            return cached;
        }

        var key = unwrap(scope);
        if (keys.TryAdd(scope, key))
        {
            return key;
        }

        key.Dispose();
        return keys[scope];
    }
}
