using AccessState = SecretOps.Core.Control.AccessState;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Remote;

/// <summary>
/// Whether the row changes of a hosted-store write are ones its control entries vouch for, judged on the control log's
/// state with the batch applied: the server's check that a client cannot delete, demote, escalate or cut off by
/// writing rows no signed entry covers (docs/SERVER-PROTOCOL.md §11). It covers the changes that destroy or grant:
/// removals of namespaces, secrets, versions, grants and key stanzas, and changes to clients, grants, key generations
/// and a secret's current version. Additions a client can only make for itself (a stanza wraps a key it must hold; a new
/// row nobody's entry names is one verifying clients ignore or refuse) are left to the clients' own checks.
/// </summary>
internal static class BatchCoverage
{
    private const Permissions KeyFlags = Permissions.Read | Permissions.Write;

    /// <summary>The first change of <paramref name="batch"/> that <paramref name="after"/> does not vouch for; null when there is none.</summary>
    public static string? Problem(WriteBatch batch, AccessState after, Guid sender)
    {
        var rekeyed = batch.Changes.OfType<ReplaceClientKey>().Select(change => change.ClientId).ToHashSet();
        foreach (var change in batch.Changes)
        {
            if (Problem(change, after, sender, rekeyed) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? Problem(StoreChange change, AccessState after, Guid sender, HashSet<Guid> rekeyed) => change switch
    {
        InsertStoreHeader => "a store header is written only by a push",
        UpdateClient(var id, var name, _, var role) when after.Client(id) is not { } client || client.Name != name || client.Role != role =>
            $"client {id} is renamed or given a role no control entry gives it",
        SetClientStatus(var id, var status) when after.Client(id)?.Status != status => $"client {id} is set {status} without a control entry",
        ReplaceClientKey(var id, _, var key, _) when after.Client(id) is not { } client || !client.EncryptionKeySpki.AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()) =>
            $"client {id} gets a key no control entry gives it",
        NoteClientUse(var id, _) when id != sender => $"client {id}'s use is recorded by another client",
        RemoveNamespace(var id) when after.Namespaces.ContainsKey(id) => $"namespace {id} is removed without a control entry",
        SetNamespaceKeyGeneration(var id, _, var generation) when after.Namespaces.GetValueOrDefault(id)?.KeyGeneration != generation =>
            $"namespace {id} moves to a key generation no control entry commits to",
        RemoveSecret(var id) when after.Secrets.ContainsKey(id) => $"secret {id} is removed without a control entry",
        UpdateSecret(var secret, _, _) when after.Secrets.GetValueOrDefault(secret.Id)?.CurrentVersion != secret.CurrentVersion =>
            $"secret {secret.Id} points at a version no control entry makes current",
        SetSecretKeyGeneration(var id, _, var generation) when after.Secrets.GetValueOrDefault(id)?.KeyGeneration != generation =>
            $"secret {id} moves to a key generation no control entry commits to",
        RemoveVersion(var id, var version) when after.Secrets.GetValueOrDefault(id)?.Versions.ContainsKey(version) == true =>
            $"version {version} of secret {id} is removed without a control entry",
        PutPermission(var client, var kind, var scope, var flags, _, _) when after.Flags(client, kind, scope) != flags =>
            $"client {client} is given a grant no control entry gives it",
        RemovePermission(var client, var kind, var scope) when after.Flags(client, kind, scope) != Permissions.None =>
            $"a grant of client {client} is removed without a control entry",
        RemovePermissionsOf(var client) when after.Grants.TryGetValue(client, out var grants) && grants.Values.Any(flags => flags != Permissions.None) =>
            $"the grants of client {client} are removed without a control entry",
        RemoveStanzas(var client, var kind, var scope) when !MayLoseKeys(after, sender, rekeyed, client, kind, scope) =>
            $"the keys of client {client} are taken while its grants keep Read or Write",
        RemoveSecretStanzasIn(var client, var ns) when !MayLoseKeys(after, sender, rekeyed, client, ScopeKind.Namespace, ns)
                                                       || after.SecretsIn(ns).Any(secret => (after.Flags(client, ScopeKind.Secret, secret) & KeyFlags) != 0) =>
            $"the secret keys of client {client} in namespace {ns} are taken while its grants keep Read or Write",
        _ => null,
    };

    /// <summary>
    /// Whether a client's key stanzas may go: its own, a retired (or removed) client's, one re-keyed in the same batch
    /// (its stanzas are wrapped anew), or those of a scope where its grants, after the batch, hold neither Read nor Write.
    /// </summary>
    private static bool MayLoseKeys(AccessState after, Guid sender, HashSet<Guid> rekeyed, Guid client, ScopeKind? kind, Guid? scope)
    {
        if (client == sender || rekeyed.Contains(client) || after.Client(client) is not { Status: not ClientStatus.Retired })
        {
            return true;
        }

        return kind is { } scopeKind && scope is { } scopeId
            ? (after.Flags(client, scopeKind, scopeId) & KeyFlags) == 0
            : !after.Grants.TryGetValue(client, out var grants) || grants.Values.All(flags => (flags & KeyFlags) == 0);
    }
}
