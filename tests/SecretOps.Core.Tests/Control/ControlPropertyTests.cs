using System.Diagnostics;
using SecretOps.Core.Control;
using ScopeKind = SecretOps.Core.Storage.ScopeKind;

namespace SecretOps.Core.Tests.Control;

/// <summary>
/// Randomized (fixed seeds, no property-testing library in this project): operation sequences chosen only among what an
/// authorised client may do always replay; any single flipped byte of any entry is refused at that entry.
/// </summary>
public class ControlPropertyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomAuthorisedOperations_AlwaysReplay(int seed)
    {
        using var log = TestLog.Create();
        var random = new Random(seed);
        Generate(log, random, 400);
        var replayed = ControlReplay.ReplayAll(log.Entries.Select(e => SignedControlEntry.Decode(e.Encode())));
        Assert.Equal(log.State.HeadHash, replayed.HeadHash);
        Assert.Equal(log.State.Clients.Count, replayed.Clients.Count);
        Assert.Equal(log.State.Secrets.Count, replayed.Secrets.Count);
        Assert.Equal(log.State.Grants.Sum(g => g.Value.Count), replayed.Grants.Sum(g => g.Value.Count));
    }

    [Fact]
    public void AnyFlippedByte_IsRefusedAtItsEntry()
    {
        using var log = TestLog.Create();
        Generate(log, new Random(7), 30);
        var states = new List<AccessState?> { null };
        foreach (var entry in log.Entries)
        {
            states.Add(ControlReplay.Apply(states[^1], entry));
        }

        var flips = 0;
        for (var i = 0; i < log.Entries.Count; i++)
        {
            var encoded = log.Entries[i].Encode();
            for (var position = 0; position < encoded.Length; position++)
            {
                var flipped = (byte[])encoded.Clone();
                flipped[position] ^= (byte)(1 << (position % 8));
                flips++;
                SignedControlEntry altered;
                try
                {
                    altered = SignedControlEntry.Decode(flipped);
                }
                catch (FormatException)
                {
                    continue; // refused before replay, at this entry
                }

                // The entries before it replay as before; replay from there must stop at this entry.
                var e = Assert.Throws<TamperedException>(() => ControlReplay.Apply(states[i], altered));
                Assert.Equal($"control log entry {i + 1}", e.Target);
            }
        }

        output.WriteLine($"{flips} single-byte flips over {log.Entries.Count} entries, all refused at their entry");
    }

    [Fact]
    public void ABadSignature_IsRefusedAtItsEntry_WhenVerifiedAfterThePass_AsWhenVerifiedInOrder()
    {
        // ReplayAll verifies signatures after its sequential pass (in parallel above 64 entries); the refusal must still be
        // the one the entry-by-entry replay gives: the lowest entry whose signature fails, even when a later entry fails
        // first for another reason (here: the next entry no longer links to the altered one).
        using var log = TestLog.Create();
        Generate(log, new Random(13), 300);
        using var stranger = ClientSigningKey.Generate();
        foreach (var k in new[] { 1, 2, 40, 63, 64, 65, 150, log.Entries.Count - 2, log.Entries.Count - 1 })
        {
            var entries = log.Entries.ToList();
            entries[k] = entries[k] with { Signature = stranger.Sign(entries[k].SignedBytes()) };
            var inOrder = Assert.Throws<TamperedException>(() =>
            {
                AccessState? state = null;
                foreach (var entry in entries)
                {
                    state = ControlReplay.Apply(state, entry);
                }
            });
            var deferred = Assert.Throws<TamperedException>(() => ControlReplay.ReplayAll(entries));
            Assert.Equal($"control log entry {k + 1}", inOrder.Target);
            Assert.Equal((inOrder.Target, inOrder.Message), (deferred.Target, deferred.Message));
        }
    }

    [Fact]
    public void Replaying10000Entries_IsMeasured()
    {
        using var log = TestLog.Create();
        Generate(log, new Random(11), 10_000, maxClients: 60);
        var entries = log.Entries.Take(10_000).ToList();
        ControlReplay.ReplayAll(entries.Take(100)); // warm up
        var watch = Stopwatch.StartNew();
        var state = ControlReplay.ReplayAll(entries);
        watch.Stop();
        Assert.Equal(entries.Count, state.Sequence);
        // For comparison: the signature checks alone, with one cached key.
        using var key = ClientSigningKey.Generate();
        var message = entries[^1].SignedBytes();
        var signature = key.Sign(message);
        var verify = Stopwatch.StartNew();
        for (var i = 0; i < entries.Count; i++)
        {
            Assert.True(key.VerifyingKey.Verify(message, signature));
        }

        verify.Stop();
        output.WriteLine($"{entries.Count} bare ECDSA P-256 verifications: {verify.ElapsedMilliseconds} ms.");
        output.WriteLine($"Replayed {entries.Count} entries from nothing in {watch.ElapsedMilliseconds} ms ({state.Clients.Count} clients, {state.Namespaces.Count} namespaces, {state.Secrets.Count} secrets, {state.Grants.Sum(g => g.Value.Count)} grants).");
    }

    /// <summary>Appends up to <paramref name="count"/> random entries, each by a client the state says may make it.</summary>
    private static void Generate(TestLog log, Random random, int count, int maxClients = 25)
    {
        var n = 0;
        while (log.Entries.Count < count)
        {
            n++;
            var s = log.State;
            var active = s.Clients.Values.Where(c => c.Status == ClientStatus.Active).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            var admins = active.Where(c => c.Role != ClientRole.Member).ToList();
            var live = s.Clients.Values.Where(c => c.Status != ClientStatus.Retired).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            var namespaces = s.Namespaces.Values.OrderBy(x => x.Name, StringComparer.Ordinal).ToList();
            var secrets = s.Secrets.Values.OrderBy(x => x.Id).ToList();
            T Pick<T>(IReadOnlyList<T> list) => list[random.Next(list.Count)];

            switch (random.Next(10))
            {
                case 0 when admins.Count > 0 && s.Clients.Count < maxClients:
                    log.AddClient($"c{n}", random.Next(4) == 0 ? ClientRole.Admin : ClientRole.Member, Pick(admins).Id);
                    break;
                case 1 when admins.Count > 0 && namespaces.Count < 12:
                    log.CreateNamespace($"ns{n}", Pick(admins).Id);
                    break;
                case 2:
                {
                    var ns = Pick(namespaces);
                    var authors = active.Where(c => c.Role == ClientRole.System || (s.Flags(c.Id, ScopeKind.Namespace, ns.Id) & Permissions.Permit) != 0).ToList();
                    if (authors.Count > 0)
                    {
                        log.Append(Pick(authors).Id, log.NextGeneration(ns.Id, ns.KeyGeneration + 1));
                    }

                    break;
                }

                case 3:
                {
                    var ns = Pick(namespaces);
                    var authors = active.Where(c => (s.Flags(c.Id, ScopeKind.Namespace, ns.Id) & Permissions.Write) != 0).ToList();
                    if (authors.Count > 0 && ns.KeyGeneration > 0)
                    {
                        log.CreateSecret(ns.Id, $"S{n}", Pick(authors).Id);
                    }

                    break;
                }

                case 4 or 5:
                {
                    var (kind, nsId, secretId) = Scope(random, namespaces, secrets);
                    var author = Pick(active);
                    var held = author.Role == ClientRole.System ? Permissions.All : s.EffectiveFlags(author.Id, nsId, secretId);
                    var flags = (Permissions)random.Next(1, 16) & held;
                    if ((held & Permissions.Permit) != 0 && flags != Permissions.None)
                    {
                        log.Append(author.Id, new Grant(Pick(live).Id, kind, secretId ?? nsId, flags));
                    }

                    break;
                }

                case 6:
                {
                    var (kind, nsId, secretId) = Scope(random, namespaces, secrets);
                    var author = Pick(active);
                    var held = author.Role == ClientRole.System ? Permissions.All : s.EffectiveFlags(author.Id, nsId, secretId);
                    var flags = (Permissions)random.Next(1, 16) & held;
                    var grantees = s.Clients.Values.Where(c => s.Flags(c.Id, kind, secretId ?? nsId) != Permissions.None).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
                    if ((held & Permissions.Permit) != 0 && flags != Permissions.None && grantees.Count > 0)
                    {
                        log.Append(author.Id, new Revoke(Pick(grantees).Id, kind, secretId ?? nsId, flags));
                        log.RotateAllowed();
                    }

                    break;
                }

                case 7 when admins.Count > 0:
                {
                    var author = Pick(admins);
                    var targets = live.Where(c => c.Id != author.Id && c.Role == ClientRole.Member).ToList();
                    if (targets.Count > 0)
                    {
                        var target = Pick(targets);
                        log.Append(author.Id, new SetClientStatus(target.Id, target.Status == ClientStatus.Active ? ClientStatus.Disabled : ClientStatus.Active));
                    }

                    break;
                }

                case 8 when admins.Count > 0:
                {
                    var author = Pick(admins);
                    var targets = live.Where(c => c.Id != author.Id && c.Role == ClientRole.Member).ToList();
                    if (targets.Count > 0 && random.Next(3) == 0)
                    {
                        log.Append(author.Id, new RetireClient(Pick(targets).Id));
                        log.RotateAllowed();
                    }

                    break;
                }

                case 9:
                {
                    var author = Pick(active);
                    if (random.Next(2) == 0)
                    {
                        var key = ClientSigningKey.Generate();
                        log.Append(author.Id, new RekeyClient(author.Id, ClientKind.Generated, TestLog.EncryptionSpki(), key.VerifyingKey.ExportSubjectPublicKeyInfo()));
                        log.Keys[author.Id].Dispose();
                        log.Keys[author.Id] = key;
                    }
                    else if (secrets.Count > 0)
                    {
                        var secret = Pick(secrets);
                        if ((s.EffectiveFlags(author.Id, secret.NamespaceId, secret.Id) & Permissions.Delete) != 0)
                        {
                            log.Append(author.Id, new RemoveSecret(secret.Id));
                        }
                    }

                    break;
                }
            }
        }
    }

    private static (ScopeKind Kind, Guid NamespaceId, Guid? SecretId) Scope(Random random, List<NamespaceState> namespaces, List<SecretState> secrets)
    {
        if (secrets.Count > 0 && random.Next(3) == 0)
        {
            var secret = secrets[random.Next(secrets.Count)];
            return (ScopeKind.Secret, secret.NamespaceId, secret.Id);
        }

        return (ScopeKind.Namespace, namespaces[random.Next(namespaces.Count)].Id, null);
    }
}
