using SecretOps.Core.Control;
using SecretOps.Core.Crypto;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Keys;

/// <summary>
/// Gives a namespace (and every secret in it) or one secret a new key generation, wrapped only for the current holders
/// other than the client being revoked or retired. No value is re-encrypted: old versions stay under their generation.
/// </summary>
/// <remarks>
/// Without signatures (store format 1) a rotating client cannot prove who was granted what; it can insist that the rows
/// agree. A recipient is a client, not retired and not excluded, with a Read or Write permission row on the scope AND a
/// stanza for its current generation. A stanza with no such permission row is something no SecretOps command writes:
/// the rotation is refused as tampered rather than hand the new key to whoever planted it.
/// </remarks>
internal sealed class KeyRotation(KeyRing keys, Guid storeId)
{
    /// <summary>Rotates a namespace and every secret in it; reports progress every 256 secrets.</summary>
    public RotationResult RotateNamespace(IStoreReader reader, WriteBatch batch, NamespaceRecord ns, IProgress<RotationProgress>? progress, Guid? excluded)
    {
        RefuseUngrantedStanzas(reader, ns, null, excluded);
        var generation = ns.KeyGeneration + 1;
        using var namespaceKey = SymmetricKey.Generate();
        var canary = keys.AddNamespaceKey(batch, ns.Id, generation, namespaceKey);
        var publicKeys = new Dictionary<Guid, ClientPublicKey>();
        var holders = reader.Recipients(ScopeKind.Namespace, ns.Id, ns.KeyGeneration, excluded);
        foreach (var holder in holders)
        {
            keys.PutStanza(batch, holder, PublicKeyOf(reader, holder, publicKeys), new KeyScope(ScopeKind.Namespace, ns.Id, generation), namespaceKey);
        }

        var secrets = reader.SecretKeyGenerations(ns.Id);
        var commitments = new List<SecretKeyCommitment>(secrets.Count);
        var secretHolders = reader.SecretRecipientsIn(ns.Id, excluded);
        (Guid Secret, int Generation, SealedData Wrapped)? first = null;
        for (var i = 0; i < secrets.Count; i++)
        {
            var (secretId, secretGeneration) = secrets[i];
            using var secretKey = SymmetricKey.Generate();
            var wrapped = keys.AddSecretKey(batch, ns.Id, secretId, secretGeneration + 1, secretKey, namespaceKey, generation);
            commitments.Add(new SecretKeyCommitment(secretId, KeyCommitment.Of(ScopeKind.Secret, secretId, secretGeneration + 1, secretKey)));
            first ??= (secretId, secretGeneration + 1, wrapped);
            foreach (var holder in secretHolders.GetValueOrDefault((secretId, secretGeneration), []))
            {
                keys.PutStanza(batch, holder, PublicKeyOf(reader, holder, publicKeys), new KeyScope(ScopeKind.Secret, secretId, secretGeneration + 1), secretKey);
            }

            if ((i + 1) % 256 == 0 || i + 1 == secrets.Count)
            {
                progress?.Report(new RotationProgress(ns.Name, i + 1, secrets.Count));
            }
        }

        batch.Add(new AdvanceSecretKeyGenerations(ns.Id, secrets.Count));
        batch.Add(new SetNamespaceKeyGeneration(ns.Id, ns.KeyGeneration, generation));
        Log(reader).Append(batch, new NamespaceKeyGeneration(ns.Id, generation, KeyCommitment.Of(ScopeKind.Namespace, ns.Id, generation, namespaceKey),
            [.. commitments.OrderBy(c => c.SecretId, GuidBytesComparer.Instance)]));

        // What was sealed opens again before it is committed: the canary, and one wrapped secret key.
        Aead.Open(namespaceKey, canary, Contexts.Canary(storeId, ns.Id, generation), "The new namespace key");
        if (first is { } check)
        {
            using var opened = Aead.OpenKey(namespaceKey, check.Wrapped, Contexts.WrappedSecretKey(storeId, ns.Id, check.Secret, check.Generation, generation), "A new secret key");
        }

        return new RotationResult($"namespace '{ns.Name}'", generation, secrets.Count, holders.Count);
    }

    /// <summary>Rotates one secret's key, wrapped under the namespace's current key, for its direct holders.</summary>
    public RotationResult RotateSecret(IStoreReader reader, WriteBatch batch, NamespaceRecord ns, SecretRecord secret, Guid? excluded)
    {
        RefuseUngrantedStanzas(reader, ns, secret, excluded);
        // The new secret key must be wrapped under the namespace's current key, so the rotating client needs it.
        var namespaceKey = keys.NamespaceKey(reader, ns.Id, ns.KeyGeneration, $"namespace '{ns.Name}' (needed to rotate secret '{secret.Name}')");
        var generation = secret.KeyGeneration + 1;
        using var secretKey = SymmetricKey.Generate();
        var wrapped = keys.AddSecretKey(batch, ns.Id, secret.Id, generation, secretKey, namespaceKey, ns.KeyGeneration);
        var publicKeys = new Dictionary<Guid, ClientPublicKey>();
        var holders = reader.Recipients(ScopeKind.Secret, secret.Id, secret.KeyGeneration, excluded);
        foreach (var holder in holders)
        {
            keys.PutStanza(batch, holder, PublicKeyOf(reader, holder, publicKeys), new KeyScope(ScopeKind.Secret, secret.Id, generation), secretKey);
        }

        batch.Add(new SetSecretKeyGeneration(secret.Id, secret.KeyGeneration, generation));
        Log(reader).Append(batch, new SecretKeyGeneration(secret.Id, generation, KeyCommitment.Of(ScopeKind.Secret, secret.Id, generation, secretKey)));
        using var check = Aead.OpenKey(namespaceKey, wrapped, Contexts.WrappedSecretKey(storeId, ns.Id, secret.Id, generation, ns.KeyGeneration), "The new secret key");
        return new RotationResult($"secret '{secret.Name}'", generation, 1, holders.Count);
    }

    /// <summary>
    /// Refuses to rotate a scope holding a stanza for a client (other than <paramref name="excluded"/>, whose stanzas this
    /// command removes) with no Read or Write grant there, or for a retired one. Names the first such client.
    /// </summary>
    private static void RefuseUngrantedStanzas(IStoreReader reader, NamespaceRecord ns, SecretRecord? secret, Guid? excluded)
    {
        if (reader.FirstUngrantedStanza(ns.Id, secret?.Id, excluded) is not { } stray)
        {
            return;
        }

        var scope = stray.Kind == ScopeKind.Namespace ? $"namespace '{ns.Name}'" : $"secret '{stray.Secret}' in namespace '{ns.Name}'";
        throw new TamperedException(scope,
            $"Client '{stray.Client}' has a key stanza for {scope} but no grant there: a row no SecretOps command writes, so the store was altered. Nothing was rotated.")
        {
            Hint = SecretOpsHint.RevokeStrayStanza,
            HintSubject = new SecretOpsHintSubject(stray.Client, ns.Name, stray.Kind == ScopeKind.Namespace ? null : stray.Secret),
        };
    }

    /// <summary>The command's verified reader, which signs its control entries (every rotation runs inside a verified command).</summary>
    private static VerifiedReader Log(IStoreReader reader) => (VerifiedReader)reader;

    private static ClientPublicKey PublicKeyOf(IStoreReader reader, Guid clientId, Dictionary<Guid, ClientPublicKey> cache)
    {
        if (!cache.TryGetValue(clientId, out var key))
        {
            cache[clientId] = key = (reader.FindClient(clientId.ToString()) ?? throw new TamperedException($"The recipient {clientId} of a key")).PublicKey;
        }

        return key;
    }
}
