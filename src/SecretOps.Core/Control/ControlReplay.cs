using System.Collections.Immutable;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Control;

/// <summary>
/// Replays the control log. Each entry is checked against the state before it: its place in the chain, its author (a
/// client of that state, active), its signature (with the author's signing key in that state), its encoding, and the
/// author's authority for the change, as Session enforces it today. The first entry that fails is refused with a
/// <see cref="TamperedException"/> whose target is <c>control log entry N</c> (N its position) and whose message says why.
/// </summary>
internal static class ControlReplay
{
    /// <summary>The store format whose log this replays.</summary>
    public const long Format = 2;

    private const Permissions KeyFlags = Permissions.Read | Permissions.Write;

    /// <summary>Longest metadata a version may carry (canonical JSON, characters).</summary>
    private const int MaxMetadataLength = 64 * 1024;

    private static readonly ClientRole[] Administrators = [ClientRole.System, ClientRole.Admin];

    /// <summary>Replays a whole log from its genesis entry; an empty log is refused.</summary>
    public static AccessState ReplayAll(IEnumerable<SignedControlEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        AccessState? state = null;
        var deferred = new DeferredSignatures();
        try
        {
            foreach (var entry in entries)
            {
                state = Apply(state, entry, deferred);
            }
        }
        catch
        {
            deferred.VerifyAll();
            throw;
        }

        deferred.VerifyAll();
        return state ?? throw new TamperedException("control log", "The control log is empty: it has no genesis entry.");
    }

    /// <summary>The state after <paramref name="entry"/>; <paramref name="before"/> is null for the genesis entry.</summary>
    public static AccessState Apply(AccessState? before, SignedControlEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new Step(before, entry, signatureVerified: false, deferred: null).Run();
    }

    /// <summary>
    /// As <see cref="Apply(AccessState?, SignedControlEntry)"/>, but the entry's signature (the genesis entry's excepted) is
    /// handed to <paramref name="deferred"/> with the author's key at this point instead of being verified here: the
    /// caller must <see cref="DeferredSignatures.VerifyAll"/> (or trust them) before using the state.
    /// </summary>
    internal static AccessState Apply(AccessState? before, SignedControlEntry entry, DeferredSignatures deferred)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new Step(before, entry, signatureVerified: false, deferred).Run();
    }

    /// <summary>The refusal of an entry whose signature does not verify with its author's signing key.</summary>
    internal static TamperedException BadSignature(long position, string authorName) =>
        Refuse(position, $"its signature does not verify with the signing key of its author '{authorName}'");

    /// <summary>
    /// The state after an entry this process has just signed with the author's key: every rule but the signature is
    /// checked (verifying a signature one has just made proves nothing and costs a verification per change).
    /// </summary>
    internal static AccessState ApplyOwn(AccessState? before, SignedControlEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new Step(before, entry, signatureVerified: true, deferred: null).Run();
    }

    private static TamperedException Refuse(long position, string why) =>
        new($"control log entry {position}", $"Control log entry {position} is refused as tampered: {why}.");

    private sealed class Step(AccessState? before, SignedControlEntry signed, bool signatureVerified, DeferredSignatures? deferred)
    {
        private readonly long position = (before?.Sequence ?? 0) + 1;
        private ClientState author = null!;
        private AccessState state = null!;
        private RotationAllowance? allowance;

        public AccessState Run()
        {
            if (signed.Sequence != position)
            {
                throw Refuse($"it claims sequence {signed.Sequence} where {position} is next");
            }

            var expectedPrevious = before is null ? SignedControlEntry.NoPreviousHash : before.HeadHash;
            if (signed.PreviousHash is null || !expectedPrevious.SequenceEqual(signed.PreviousHash))
            {
                throw Refuse("its previous hash is not the hash of the entry before it");
            }

            if (before is null)
            {
                return ApplyGenesis();
            }

            author = before.Client(signed.AuthorId) ?? throw Refuse($"its author {signed.AuthorId} is not a client of the store");
            if (author.Status != ClientStatus.Active)
            {
                throw Refuse($"its author '{author.Name}' is {author.Status.ToString().ToLowerInvariant()}");
            }

            if (signed.Body is null || signed.Signature is null)
            {
                throw BadSignature(position, author.Name);
            }

            if (deferred is not null)
            {
                deferred.Add(signed, author.SigningKey, author.Name);
            }
            else if (!signatureVerified && !author.SigningKey.Verify(signed.SignedBytes(), signed.Signature))
            {
                throw BadSignature(position, author.Name);
            }

            var entry = Decode();
            state = before with { Allowance = null };
            switch (entry)
            {
                case Genesis:
                    throw Refuse("it is a second genesis entry");
                case AddClient e:
                    Apply(e);
                    break;
                case UpdateClient e:
                    Apply(e);
                    break;
                case SetClientStatus e:
                    Apply(e);
                    break;
                case RetireClient e:
                    Apply(e);
                    break;
                case RekeyClient e:
                    Apply(e);
                    break;
                case CreateNamespace e:
                    Apply(e);
                    break;
                case RemoveNamespace e:
                    Apply(e);
                    break;
                case NamespaceKeyGeneration e:
                    Apply(e);
                    break;
                case CreateSecret e:
                    Apply(e);
                    break;
                case RemoveSecret e:
                    Apply(e);
                    break;
                case SecretKeyGeneration e:
                    Apply(e);
                    break;
                case PutVersion e:
                    Apply(e);
                    break;
                case RemoveVersion e:
                    Apply(e);
                    break;
                case SetSecretMetadata e:
                    Apply(e);
                    break;
                case Grant e:
                    Apply(e);
                    break;
                case Revoke e:
                    Apply(e);
                    break;
                default:
                    throw Refuse("its kind is unknown");
            }

            return state with { Sequence = position, HeadHash = signed.Hash(), Allowance = allowance };
        }

        private AccessState ApplyGenesis()
        {
            if (Decode() is not Genesis genesis)
            {
                throw Refuse("the log does not start with a genesis entry");
            }

            if (genesis.Format != Format)
            {
                throw Refuse($"it names store format {genesis.Format}, not {Format}");
            }

            var floor = genesis.KdfFloor;
            if (floor.Parallelism is < 1 or > Argon2Parameters.MaxParallelism || floor.Iterations is < 1 or > Argon2Parameters.MaxIterations
                || floor.MemoryKiB < 8 * floor.Parallelism || floor.MemoryKiB > Argon2Parameters.MaxMemoryKiB)
            {
                throw Refuse("its KDF floor is outside what Argon2id and SecretOps accept");
            }

            var system = genesis.SystemClient;
            if (genesis.StoreId == Guid.Empty || system.Id == Guid.Empty)
            {
                throw Refuse("it names an empty store or client id");
            }

            ValidClientName(system.Name);
            var signingKey = Keys(system.EncryptionKeySpki, system.SigningKeySpki, system.Name);
            if (signed.AuthorId != system.Id)
            {
                throw Refuse("it is not authored by the System client it introduces");
            }

            if (signed.Signature is null || !signingKey.Verify(signed.SignedBytes(), signed.Signature))
            {
                throw Refuse("its signature does not verify with the System client's signing key");
            }

            var hash = signed.Hash();
            var client = new ClientState(system.Id, system.Name, system.Kind, ClientRole.System, ClientStatus.Active, system.EncryptionKeySpki.ToArray(), signingKey);
            if (genesis.Baseline.Format1AuditEntries < 0)
            {
                throw Refuse("its baseline names a negative count of format-1 audit entries");
            }

            return new AccessState(genesis.StoreId, genesis.Format, floor, hash)
            {
                Baseline = genesis.Baseline,
                Clients = ImmutableDictionary<Guid, ClientState>.Empty.Add(system.Id, client),
                ClientNames = ImmutableDictionary.Create<string, Guid>(StringComparer.OrdinalIgnoreCase).Add(system.Name, system.Id),
                UsedIds = [system.Id],
            };
        }

        private void Apply(AddClient e)
        {
            RequireAdministrator("add clients");
            if (e.Role == ClientRole.System)
            {
                throw Refuse("it adds a second System client");
            }

            FreshId(e.Id);
            ValidClientName(e.Name);
            UniqueClientName(e.Name, e.Id);
            var signingKey = Keys(e.EncryptionKeySpki, e.SigningKeySpki, e.Name);
            var client = new ClientState(e.Id, e.Name, e.Kind, e.Role, ClientStatus.Active, e.EncryptionKeySpki.ToArray(), signingKey);
            state = state with
            {
                Clients = state.Clients.Add(e.Id, client),
                ClientNames = state.ClientNames.Add(e.Name, e.Id),
                UsedIds = state.UsedIds.Add(e.Id),
            };
        }

        private void Apply(UpdateClient e)
        {
            RequireAdministrator("change clients");
            var target = RequireClient(e.Id);
            ValidClientName(e.Name);
            UniqueClientName(e.Name, e.Id);
            if (target.Role == ClientRole.System && e.Role != ClientRole.System)
            {
                throw Refuse("it changes the System client's role");
            }

            if (target.Role != ClientRole.System && e.Role == ClientRole.System)
            {
                throw Refuse($"it makes '{target.Name}' a second System client");
            }

            if (target.Status == ClientStatus.Active && target.Role != ClientRole.Member && e.Role == ClientRole.Member
                && !state.AnyActiveClient(Administrators, except: target.Id))
            {
                throw Refuse($"it demotes '{target.Name}', the last active administrator");
            }

            state = state with
            {
                Clients = state.Clients.SetItem(e.Id, target with { Name = e.Name, Role = e.Role }),
                ClientNames = state.ClientNames.Remove(target.Name).Add(e.Name, e.Id),
            };
        }

        private void Apply(SetClientStatus e)
        {
            RequireAdministrator("disable or enable clients");
            if (e.Status == ClientStatus.Retired)
            {
                throw Refuse("it retires a client without a retirement entry");
            }

            var target = RequireClient(e.Id);
            if (target.Id == author.Id)
            {
                throw Refuse($"'{author.Name}' disables or enables itself");
            }

            if (target.Status == ClientStatus.Retired)
            {
                throw Refuse($"'{target.Name}' is retired, and retirement is permanent");
            }

            if (e.Status == ClientStatus.Disabled && target.Role != ClientRole.Member && !state.AnyActiveClient(Administrators, except: target.Id))
            {
                throw Refuse($"it disables '{target.Name}', the last active administrator");
            }

            state = state with { Clients = state.Clients.SetItem(e.Id, target with { Status = e.Status }) };
        }

        private void Apply(RetireClient e)
        {
            RequireAdministrator("retire clients");
            var target = RequireClient(e.Id);
            if (target.Status == ClientStatus.Retired)
            {
                throw Refuse($"'{target.Name}' is already retired");
            }

            if (target.Id == author.Id)
            {
                throw Refuse($"'{author.Name}' retires itself");
            }

            if (target.Role != ClientRole.Member && !state.AnyActiveClient(Administrators, except: target.Id))
            {
                throw Refuse($"it retires '{target.Name}', the last active administrator");
            }

            if (target.Role == ClientRole.System && !state.AnyActiveClient([ClientRole.Admin], except: null))
            {
                throw Refuse("it retires the System client while no active admin exists");
            }

            // The namespaces and secrets whose keys it held must be rotated without it, by this author, in the entries that follow.
            var held = state.Grants.GetValueOrDefault(target.Id) ?? ImmutableDictionary<GrantScope, Permissions>.Empty;
            ImmutableHashSet<Guid> Holding(ScopeKind kind) =>
                held.Where(g => g.Key.Kind == kind && (g.Value & KeyFlags) != 0).Select(g => g.Key.ScopeId).ToImmutableHashSet();
            var rotations = new RotationAllowance(author.Id, Holding(ScopeKind.Namespace), Holding(ScopeKind.Secret));
            allowance = rotations.IsEmpty ? null : rotations;
            state = state with
            {
                Clients = state.Clients.SetItem(e.Id, target with { Status = ClientStatus.Retired }),
                Grants = state.Grants.Remove(target.Id),
            };
        }

        private void Apply(RekeyClient e)
        {
            var target = RequireClient(e.Id);
            if (target.Id != author.Id)
            {
                RequireAdministrator("re-key other clients");
            }

            if (target.Status == ClientStatus.Retired)
            {
                throw Refuse($"'{target.Name}' is retired");
            }

            var signingKey = Keys(e.EncryptionKeySpki, e.SigningKeySpki, target.Name);
            state = state with
            {
                Clients = state.Clients.SetItem(e.Id, target with
                {
                    Kind = e.Kind, EncryptionKeySpki = e.EncryptionKeySpki.ToArray(), SigningKey = signingKey,
                    FormerSigningKeys = target.SigningKey.SameKeyAs(signingKey) ? target.FormerSigningKeys : target.FormerSigningKeys.Add(target.SigningKey),
                }),
            };
        }

        private void Apply(CreateNamespace e)
        {
            RequireAdministrator("create namespaces");
            FreshId(e.Id);
            try
            {
                Names.ValidateNamespaceName(e.Name);
            }
            catch (InvalidParameterException)
            {
                throw Refuse("it names a namespace with a name SecretOps does not accept");
            }

            if (state.FindNamespace(e.Name) is not null)
            {
                throw Refuse($"namespace '{e.Name}' already exists");
            }

            state = state with
            {
                Namespaces = state.Namespaces.Add(e.Id, new NamespaceState(e.Id, e.Name, 0, [])),
                NamespaceNames = state.NamespaceNames.Add(e.Name, e.Id),
                UsedIds = state.UsedIds.Add(e.Id),
            };
            SetFlags(author.Id, new GrantScope(ScopeKind.Namespace, e.Id), Permissions.All);
        }

        private void Apply(RemoveNamespace e)
        {
            var ns = RequireNamespace(e.Id);
            if (string.Equals(ns.Name, SecretStore.DefaultNamespace, StringComparison.OrdinalIgnoreCase))
            {
                throw Refuse("it removes the default namespace");
            }

            RequireFlags(state.EffectiveFlags(author.Id, ns.Id, null), Permissions.Delete, $"namespace '{ns.Name}'");
            var secrets = state.SecretsIn(ns.Id).ToList();
            var scopes = secrets.Select(id => new GrantScope(ScopeKind.Secret, id)).Append(new GrantScope(ScopeKind.Namespace, ns.Id)).ToList();
            var grants = state.Grants;
            foreach (var (client, held) in state.Grants)
            {
                var remaining = held.RemoveRange(scopes);
                if (remaining.Count != held.Count)
                {
                    grants = remaining.IsEmpty ? grants.Remove(client) : grants.SetItem(client, remaining);
                }
            }

            state = state with
            {
                Namespaces = state.Namespaces.Remove(ns.Id),
                NamespaceNames = state.NamespaceNames.Remove(ns.Name),
                Secrets = state.Secrets.RemoveRange(secrets),
                SecretsByNamespace = state.SecretsByNamespace.Remove(ns.Id),
                Grants = grants,
            };
        }

        private void Apply(NamespaceKeyGeneration e)
        {
            var ns = RequireNamespace(e.NamespaceId);
            if (e.Generation != ns.KeyGeneration + 1)
            {
                throw Refuse($"it gives namespace '{ns.Name}' key generation {e.Generation} where {ns.KeyGeneration + 1} is next");
            }

            RequireCommitment(e.KeyCommitment);
            var allowed = TakeAllowance(a => a.Namespaces.Contains(ns.Id), a => a with { Namespaces = a.Namespaces.Remove(ns.Id) });
            if (!allowed && author.Role != ClientRole.System && (state.Flags(author.Id, ScopeKind.Namespace, ns.Id) & Permissions.Permit) == 0)
            {
                throw Refuse($"'{author.Name}' gives namespace '{ns.Name}' a key generation without Permit there, the System role, or a retirement or revocation it is part of");
            }

            // Every secret of the namespace gets its next key generation with it: exactly those, each once, in id order.
            var secrets = state.SecretsIn(ns.Id).Order(GuidBytesComparer.Instance).ToList();
            if (!secrets.SequenceEqual(e.SecretKeys.Select(k => k.SecretId)))
            {
                throw Refuse($"its secret key commitments are not exactly the secrets of namespace '{ns.Name}' in id order");
            }

            var updated = state.Secrets;
            foreach (var commitment in e.SecretKeys)
            {
                RequireCommitment(commitment.KeyCommitment);
                var secret = updated[commitment.SecretId];
                updated = updated.SetItem(secret.Id, secret with { KeyCommitments = secret.KeyCommitments.Add(commitment.KeyCommitment.ToArray()) });
            }

            state = state with
            {
                Namespaces = state.Namespaces.SetItem(ns.Id, ns with { KeyGeneration = e.Generation, KeyCommitments = ns.KeyCommitments.Add(e.KeyCommitment.ToArray()) }),
                Secrets = updated,
            };
        }

        private void Apply(SecretKeyGeneration e)
        {
            var secret = RequireSecret(e.SecretId);
            if (e.Generation != secret.KeyGeneration + 1)
            {
                throw Refuse($"it gives secret {secret.Id} key generation {e.Generation} where {secret.KeyGeneration + 1} is next");
            }

            RequireCommitment(e.KeyCommitment);
            var allowed = TakeAllowance(a => a.Secrets.Contains(secret.Id), a => a with { Secrets = a.Secrets.Remove(secret.Id) });
            if (!allowed && author.Role != ClientRole.System && (state.EffectiveFlags(author.Id, secret.NamespaceId, secret.Id) & Permissions.Permit) == 0)
            {
                throw Refuse($"'{author.Name}' gives secret {secret.Id} a key generation without Permit there, the System role, or a retirement or revocation it is part of");
            }

            state = state with { Secrets = state.Secrets.SetItem(secret.Id, secret with { KeyCommitments = secret.KeyCommitments.Add(e.KeyCommitment.ToArray()) }) };
        }

        private void Apply(PutVersion e)
        {
            var secret = RequireSecret(e.SecretId);
            RequireFlags(state.EffectiveFlags(author.Id, secret.NamespaceId, secret.Id), Permissions.Write, $"secret {secret.Id}");
            // Format 1 pruned old versions without a trace: a baseline's versions may skip numbers, never go back.
            if (InBaseline ? e.Version <= secret.CurrentVersion : e.Version != secret.CurrentVersion + 1)
            {
                throw Refuse($"it gives secret {secret.Id} version {e.Version} where {secret.CurrentVersion + 1} is next");
            }

            if (e.KeyGeneration != secret.KeyGeneration)
            {
                throw Refuse($"it seals version {e.Version} of secret {secret.Id} under key generation {e.KeyGeneration}, not the newest ({secret.KeyGeneration})");
            }

            if (e.ValueDigest.Length != 32 || e.Created <= 0 || e.KeepFrom > e.Version || e.Metadata is { Length: > MaxMetadataLength })
            {
                throw Refuse($"version {e.Version} of secret {secret.Id} has a malformed digest, time, retention or metadata");
            }

            var created = DateTimeOffset.FromUnixTimeMilliseconds(e.Created);
            var version = new VersionState(e.Version, e.KeyGeneration, e.Type, e.ValueDigest.ToArray(), author.Id, created);
            var versions = secret.Versions.SetItem(e.Version, version);
            if (e.KeepFrom > 1)
            {
                versions = versions.RemoveRange(versions.Keys.TakeWhile(n => n < e.KeepFrom).ToList());
            }

            var updated = secret with
            {
                CurrentVersion = e.Version,
                Versions = versions,
                Metadata = e.Metadata,
                ExpiresAt = e.ExpiresAt is { } expires ? DateTimeOffset.FromUnixTimeMilliseconds(expires) : null,
                Created = e.Version == 1 ? created : secret.Created,
            };
            state = state with { Secrets = state.Secrets.SetItem(secret.Id, updated) };
        }

        private void Apply(SetSecretMetadata e)
        {
            var secret = RequireSecret(e.SecretId);
            RequireFlags(state.EffectiveFlags(author.Id, secret.NamespaceId, secret.Id), Permissions.Write, $"secret {secret.Id}");
            if (secret.CurrentVersion == 0 || e.Metadata is { Length: > MaxMetadataLength })
            {
                throw Refuse($"it sets metadata on secret {secret.Id}, which has no version yet, or the metadata is too long");
            }

            state = state with { Secrets = state.Secrets.SetItem(secret.Id, secret with { Metadata = e.Metadata }) };
        }

        private void Apply(RemoveVersion e)
        {
            var secret = RequireSecret(e.SecretId);
            RequireFlags(state.EffectiveFlags(author.Id, secret.NamespaceId, secret.Id), Permissions.Delete, $"secret {secret.Id}");
            if (e.Version == secret.CurrentVersion || !secret.Versions.ContainsKey(e.Version))
            {
                throw Refuse($"version {e.Version} of secret {secret.Id} is the current one or does not exist");
            }

            state = state with { Secrets = state.Secrets.SetItem(secret.Id, secret with { Versions = secret.Versions.Remove(e.Version) }) };
        }

        /// <summary>
        /// Whether the allowance carried from the author's previous entry covers this rotation; when it does, the rotation
        /// is taken off it (each scope is rotated once), and what is left carries on to the author's next entry.
        /// </summary>
        private bool TakeAllowance(Func<RotationAllowance, bool> covers, Func<RotationAllowance, RotationAllowance> take)
        {
            var carried = before!.Allowance is { } pending && pending.AuthorId == author.Id ? pending : null;
            var allowed = carried is not null && covers(carried);
            if (allowed)
            {
                carried = take(carried!);
            }

            allowance = carried is { IsEmpty: false } ? carried : null;
            return allowed;
        }

        private void RequireCommitment(byte[] commitment)
        {
            if (commitment.Length != KeyCommitment.Size)
            {
                throw Refuse($"a key commitment is not {KeyCommitment.Size} bytes");
            }

            // Only the baseline of an upgraded store names key generations whose keys nobody could commit to (format 1's).
            if (!InBaseline && KeyCommitment.IsUnknown(commitment))
            {
                throw Refuse("it commits to no key (an all-zero commitment), which only an upgrade's baseline may");
            }
        }

        /// <summary>Whether this entry is part of an upgraded store's baseline (format 1's state, signed by the upgrade).</summary>
        private bool InBaseline => position <= 1L + before!.Baseline.Entries;

        private void Apply(CreateSecret e)
        {
            var ns = RequireNamespace(e.NamespaceId);
            RequireFlags(state.Flags(author.Id, ScopeKind.Namespace, ns.Id), Permissions.Write, $"namespace '{ns.Name}'");
            if (ns.KeyGeneration == 0)
            {
                throw Refuse($"namespace '{ns.Name}' has no key generation yet");
            }

            FreshId(e.Id);
            try
            {
                Names.ValidateSecretName(e.NameKey);
            }
            catch (InvalidParameterException)
            {
                throw Refuse("it names a secret with a name SecretOps does not accept");
            }

            if (!string.Equals(Names.LookupKey(e.NameKey), e.NameKey, StringComparison.Ordinal))
            {
                throw Refuse("its secret name key is not upper-cased as name keys are");
            }

            if (state.FindSecret(ns.Id, e.NameKey) is not null)
            {
                throw Refuse($"a secret with that name already exists in namespace '{ns.Name}'");
            }

            RequireCommitment(e.KeyCommitment);
            var names = state.SecretsByNamespace.GetValueOrDefault(ns.Id) ?? ImmutableDictionary.Create<string, Guid>(StringComparer.Ordinal);
            state = state with
            {
                Secrets = state.Secrets.Add(e.Id, new SecretState(e.Id, ns.Id, e.NameKey, [e.KeyCommitment.ToArray()], author.Id, default)),
                SecretsByNamespace = state.SecretsByNamespace.SetItem(ns.Id, names.Add(e.NameKey, e.Id)),
                UsedIds = state.UsedIds.Add(e.Id),
            };
            SetFlags(author.Id, new GrantScope(ScopeKind.Secret, e.Id), Permissions.All);
        }

        private void Apply(RemoveSecret e)
        {
            var secret = RequireSecret(e.Id);
            RequireFlags(state.EffectiveFlags(author.Id, secret.NamespaceId, secret.Id), Permissions.Delete, $"secret {secret.Id}");
            var scope = new GrantScope(ScopeKind.Secret, secret.Id);
            var grants = state.Grants;
            foreach (var (client, held) in state.Grants)
            {
                var remaining = held.Remove(scope);
                if (remaining.Count != held.Count)
                {
                    grants = remaining.IsEmpty ? grants.Remove(client) : grants.SetItem(client, remaining);
                }
            }

            var names = state.SecretsByNamespace[secret.NamespaceId].Remove(secret.NameKey);
            state = state with
            {
                Secrets = state.Secrets.Remove(secret.Id),
                SecretsByNamespace = names.IsEmpty ? state.SecretsByNamespace.Remove(secret.NamespaceId) : state.SecretsByNamespace.SetItem(secret.NamespaceId, names),
                Grants = grants,
            };
        }

        private void Apply(Grant e)
        {
            var (scope, _) = Grantable(e.ScopeKind, e.ScopeId, e.Flags);
            var grantee = RequireClient(e.ClientId);
            if (grantee.Status == ClientStatus.Retired)
            {
                throw Refuse($"it grants to '{grantee.Name}', which is retired");
            }

            SetFlags(grantee.Id, scope, state.Flags(grantee.Id, scope.Kind, scope.ScopeId) | e.Flags);
        }

        private void Apply(Revoke e)
        {
            var (scope, name) = Grantable(e.ScopeKind, e.ScopeId, e.Flags);
            var grantee = RequireClient(e.ClientId);
            var held = state.Flags(grantee.Id, scope.Kind, scope.ScopeId);
            if (held == Permissions.None)
            {
                throw Refuse($"'{grantee.Name}' holds no permission on {name}");
            }

            var remaining = held & ~e.Flags;
            SetFlags(grantee.Id, scope, remaining);
            var keepsKeys = (remaining & KeyFlags) != 0;
            if (scope.Kind == ScopeKind.Namespace)
            {
                // As Session.Revoke: the grantee's grants on the namespace's secrets lose the same flags, and Read and
                // Write too once it keeps neither on the namespace.
                var taken = keepsKeys ? e.Flags : e.Flags | KeyFlags;
                foreach (var secretId in state.SecretsIn(scope.ScopeId))
                {
                    var secretScope = new GrantScope(ScopeKind.Secret, secretId);
                    var flags = state.Flags(grantee.Id, ScopeKind.Secret, secretId);
                    if (flags != Permissions.None)
                    {
                        SetFlags(grantee.Id, secretScope, flags & ~taken);
                    }
                }

                if ((held & KeyFlags) != 0 && !keepsKeys)
                {
                    allowance = new RotationAllowance(author.Id, [scope.ScopeId], []);
                }
            }
            else if ((held & KeyFlags) != 0 && !keepsKeys)
            {
                allowance = new RotationAllowance(author.Id, [], [scope.ScopeId]);
            }
        }

        /// <summary>The scope, which must exist, once the author may grant or revoke <paramref name="flags"/> on it.</summary>
        private (GrantScope Scope, string Name) Grantable(ScopeKind kind, Guid scopeId, Permissions flags)
        {
            Guid namespaceId;
            Guid? secretId = null;
            string name;
            if (kind == ScopeKind.Namespace)
            {
                var ns = RequireNamespace(scopeId);
                namespaceId = ns.Id;
                name = $"namespace '{ns.Name}'";
            }
            else
            {
                var secret = RequireSecret(scopeId);
                namespaceId = secret.NamespaceId;
                secretId = secret.Id;
                name = $"secret {secret.Id} in namespace '{state.Namespaces[namespaceId].Name}'";
            }

            if (author.Role != ClientRole.System)
            {
                var held = state.EffectiveFlags(author.Id, namespaceId, secretId);
                RequireFlags(held, Permissions.Permit, name);
                var missing = flags & ~held;
                if (missing != Permissions.None)
                {
                    throw Refuse($"'{author.Name}' grants or revokes {missing} on {name} without holding it");
                }
            }

            return (new GrantScope(kind, scopeId), name);
        }

        private void SetFlags(Guid clientId, GrantScope scope, Permissions flags)
        {
            var held = state.Grants.GetValueOrDefault(clientId) ?? ImmutableDictionary<GrantScope, Permissions>.Empty;
            held = flags == Permissions.None ? held.Remove(scope) : held.SetItem(scope, flags);
            state = state with { Grants = held.IsEmpty ? state.Grants.Remove(clientId) : state.Grants.SetItem(clientId, held) };
        }

        private void RequireAdministrator(string what)
        {
            if (author.Role == ClientRole.Member)
            {
                throw Refuse($"'{author.Name}' is a member, and only administrators {what}");
            }
        }

        private void RequireFlags(Permissions held, Permissions needed, string scope)
        {
            if ((held & needed) != needed)
            {
                throw Refuse($"'{author.Name}' lacks {needed} on {scope}");
            }
        }

        private ClientState RequireClient(Guid id) => state.Client(id) ?? throw Refuse($"client {id} does not exist");

        private NamespaceState RequireNamespace(Guid id) => state.Namespaces.GetValueOrDefault(id) ?? throw Refuse($"namespace {id} does not exist");

        private SecretState RequireSecret(Guid id) => state.Secrets.GetValueOrDefault(id) ?? throw Refuse($"secret {id} does not exist");

        private void FreshId(Guid id)
        {
            if (id == Guid.Empty || state.UsedIds.Contains(id))
            {
                throw Refuse($"it reuses id {id}");
            }
        }

        private void ValidClientName(string name)
        {
            try
            {
                Names.ValidateClientName(name);
            }
            catch (InvalidParameterException)
            {
                throw Refuse("it names a client with a name SecretOps does not accept");
            }
        }

        private void UniqueClientName(string name, Guid id)
        {
            if (state.FindClient(name) is { } other && other.Id != id)
            {
                throw Refuse($"a client named '{other.Name}' already exists");
            }
        }

        /// <summary>Both public keys, valid and canonical, and not one key for both purposes; the signing key parsed.</summary>
        private ClientVerifyingKey Keys(byte[] encryptionKeySpki, byte[] signingKeySpki, string client)
        {
            try
            {
                var encryptionKey = ClientPublicKey.FromSubjectPublicKeyInfo(encryptionKeySpki);
                if (!encryptionKeySpki.AsSpan().SequenceEqual(encryptionKey.ExportSubjectPublicKeyInfo()))
                {
                    throw Refuse($"the encryption key of '{client}' is not in canonical form");
                }

                if (encryptionKeySpki.AsSpan().SequenceEqual(signingKeySpki))
                {
                    throw Refuse($"'{client}' would use one key to encrypt and to sign");
                }

                return ClientVerifyingKey.FromSubjectPublicKeyInfo(signingKeySpki);
            }
            catch (InvalidKeyException e)
            {
                throw Refuse($"a public key of '{client}' is refused ({e.Message.TrimEnd('.')})");
            }
        }

        private ControlEntry Decode()
        {
            try
            {
                return ControlEntry.Decode(signed.Body ?? []);
            }
            catch (FormatException e)
            {
                throw Refuse($"its body cannot be decoded ({e.Message.TrimEnd('.')})");
            }
        }

        private TamperedException Refuse(string why) => ControlReplay.Refuse(position, why);
    }
}
