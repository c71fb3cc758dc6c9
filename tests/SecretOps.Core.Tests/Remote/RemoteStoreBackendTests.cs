using SecretOps.Core.Remote;

namespace SecretOps.Core.Tests.Remote;

/// <summary>The client's side of a hosted store, where it can be tested without a server.</summary>
public sealed class RemoteStoreBackendTests
{
    /// <summary>
    /// Several commands on one machine share its replica, one at a time under its lock. A command that is only starting
    /// must not judge the replica without that lock: another command part way through a change has its marker there, and
    /// a replica that looked cut off was cleared, its store file deleted under the command using it.
    /// </summary>
    [Fact]
    public void Opening_LeavesAReplicaAnotherCommandIsChanging_Untouched()
    {
        var state = Directory.CreateTempSubdirectory("secretops-remote-").FullName;
        try
        {
            using var key = RequestSigningKey.Generate();
            var token = EnrolmentToken.Format(Guid.NewGuid(), key);
            const string address = "http://127.0.0.1:9";
            RemoteStoreBackend.Open(address, token, caFile: null, state);
            var replica = Assert.Single(Directory.GetDirectories(Path.Combine(state, "replicas")));

            // Another command holds the machine's lock and is applying a change: its marker, the store file, the revision.
            string[] files = ["store.db", "revision", "applying"];
            File.WriteAllText(Path.Combine(replica, "store.db"), "the store file another command has open");
            File.WriteAllText(Path.Combine(replica, "revision"), "7 " + Guid.NewGuid().ToString("N"));
            File.WriteAllText(Path.Combine(replica, "applying"), "1");

            RemoteStoreBackend.Open(address, token, caFile: null, state);

            Assert.All(files, file => Assert.True(File.Exists(Path.Combine(replica, file)), $"{file} was removed by a command that only opened the store"));
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
