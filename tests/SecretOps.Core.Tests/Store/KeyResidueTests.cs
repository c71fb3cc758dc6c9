using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// What someone who reads the memory of a process that used SecretOps finds once the session is gone: no copy of
/// any key the session created or unwrapped. Runs alone (other tests' allocations would overwrite the garbage it
/// looks for, hiding a leak) and reads this process's memory through /proc/self/mem.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class KeyResidueTests
{
    [Fact]
    public void TheFirstKeysOfANamespaceAndASecret_LeaveNoCopyInMemory_OnceTheSessionIsDisposed()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Reads /proc/self/mem.");
        }

        using var store = new TempStore();
        var keys = new List<MaskedSecret>();
        using (var session = store.ConnectSystem())
        {
            session.CreateNamespace("fresh");
            session.SetSecret("fresh", "first", SecretValue.FromString("v"));
            using (session.GetSecret("fresh", "first"))
            {
            }

            // The session now holds (pinned, until disposed) the namespace's first key and the secret's first key.
            keys.AddRange(SessionInternals.CachedKeys(session).Select(k => MaskedSecret.Of(k.Bytes)));
        }

        Assert.True(keys.Count >= 2, $"expected the namespace and secret keys in the session, found {keys.Count}");
        Assert.Equal(0, MemoryScan.CountCopies(keys));
    }
}
