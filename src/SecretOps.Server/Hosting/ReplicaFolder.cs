using Microsoft.Extensions.Logging;
using SecretOps.Core.Storage;

namespace SecretOps.Server.Hosting;

/// <summary>
/// The private folder a server instance rebuilds its replica of the hosted store in, under the temporary directory.
/// The instance holds a lock file in it for as long as it lives, so the next instance to start removes the folders of
/// instances that died without cleaning up (SIGKILL, an OOM kill): a folder whose lock nobody holds is abandoned.
/// </summary>
internal sealed class ReplicaFolder : IDisposable
{
    /// <summary>The prefix of every instance's folder under the temporary directory.</summary>
    public const string Prefix = "secretops-replica-";

    private const string LockFile = "instance.lock";

    private readonly PrivateDirectory directory;
    private readonly FileStream held;

    private ReplicaFolder(PrivateDirectory directory, FileStream held)
    {
        this.directory = directory;
        this.held = held;
    }

    /// <summary>Removes abandoned folders, then makes and holds this instance's own.</summary>
    public static ReplicaFolder Create(ILogger logger)
    {
        RemoveAbandoned(logger);
        var directory = StoreFiles.CreatePrivateDirectory(Prefix);
        try
        {
            // FileShare.None takes an exclusive lock (flock on Unix) that the system drops when the process dies.
            return new ReplicaFolder(directory, new FileStream(directory.File(LockFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None));
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>A file in the folder.</summary>
    public string File(string name) => directory.File(name);

    public void Dispose()
    {
        held.Dispose();
        directory.Dispose();
    }

    private static void RemoveAbandoned(ILogger logger)
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            try
            {
                // Only a lock nobody holds can be taken: its instance is gone. A folder another live instance holds, one
                // still being made (no lock file yet) or another user's (not ours to enter) is left alone.
                using (new FileStream(Path.Combine(folder, LockFile), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }

                Directory.Delete(folder, recursive: true);
                ServerLog.AbandonedReplicaRemoved(logger, folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
