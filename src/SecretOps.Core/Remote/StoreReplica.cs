using System.Globalization;
using SecretOps.Core.Storage;
using SecretOps.Core.Storage.Sqlite;

namespace SecretOps.Core.Remote;

/// <summary>
/// A hosted store as one machine holds it: a store file built from the store log, and the revision it is at. A client
/// reads its own replica; each server instance applies writes to its own. The file and the revision cannot change in one
/// commit, so a marker is written before any change and removed after the revision: a marker found on open means a
/// change was cut off part way, and the replica starts again from nothing (it is only a copy of the log).
/// </summary>
internal sealed class StoreReplica
{
    private const string StoreFileName = "store.db";
    private const string RevisionFileName = "revision";
    private const string MarkerFileName = "applying";

    private readonly string directory;

    private readonly bool durable;

    private StoreReplica(string directory, bool durable)
    {
        this.directory = directory;
        this.durable = durable;
    }

    /// <summary>Which install of a snapshot the file is: another process may replace the file under this one's connections.</summary>
    private Guid installation;

    /// <summary>The revision the replica holds; 0 when it holds nothing yet.</summary>
    public long Revision { get; private set; }

    /// <summary>The replica's store file; null until the first snapshot is installed.</summary>
    public SqliteBackend? Backend { get; private set; }

    /// <summary>The replica's store file path.</summary>
    public string StorePath => Path.Combine(directory, StoreFileName);

    /// <summary>
    /// The replica in <paramref name="directory"/> (made owner-only if new), not yet read: <see cref="Refresh"/> reads it,
    /// holding the lock of whatever else may change it (another process would otherwise see its change in progress as one
    /// cut off, and clear the file under it). A replica that need not be <paramref name="durable"/> (a server instance's,
    /// rebuilt from the log at every start) keeps no marker or revision file and commits without waiting for the disk.
    /// </summary>
    public static StoreReplica Open(string directory, bool durable = true)
    {
        var full = Path.GetFullPath(directory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
        }
        else
        {
            Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new StoreReplica(full, durable);
    }

    /// <summary>
    /// Reads the replica's state from disk again, where another process may have moved it on (call it holding the
    /// replica's lock): empty when there is none or a change was cut off.
    /// </summary>
    public void Refresh()
    {
        var state = ReadState();
        if (File.Exists(Marker) || state is null || !File.Exists(StorePath))
        {
            Clear();
            return;
        }

        if (Backend is null || state.Value.Installation != installation)
        {
            Backend?.ReleaseConnections();
            Backend = SqliteBackend.Open(StorePath, shared: false).Backend;
            installation = state.Value.Installation;
        }

        Revision = state.Value.Revision;
    }

    /// <summary>Replaces the replica with a whole store file at <paramref name="revision"/>; its schema is verified first.</summary>
    public void Install(long revision, byte[] storeFile)
    {
        try
        {
            Install(storeFile, revision);
        }
        catch
        {
            // The file may have been replaced before the failure: start again from nothing rather than guess.
            Clear();
            throw;
        }
    }

    private void Install(byte[] storeFile, long revision)
    {
        Changing(() =>
        {
            using var work = StoreFiles.CreatePrivateDirectory();
            var incoming = work.File("incoming.db");
            using (var file = StoreFiles.CreateOwnerOnlyFile(incoming))
            {
                file.Write(storeFile);
                file.Flush(flushToDisk: true);
            }

            var (checkedCopy, _) = SqliteBackend.Open(incoming, shared: false);
            checkedCopy.ReleaseConnections();
            Backend?.ReleaseConnections();
            SqliteBackend.Install(incoming, StorePath);
            Backend = SqliteBackend.Open(StorePath, shared: false).Backend;
            installation = Guid.NewGuid();
            return revision;
        });
    }

    /// <summary>
    /// Applies the batch of <paramref name="revision"/> (the next one): <paramref name="check"/> sees the store with it
    /// applied, <paramref name="beforeCommit"/> runs last, and if either throws nothing changes.
    /// </summary>
    public void Apply(long revision, WriteBatch batch, Action<IStoreReader>? check = null, Action? beforeCommit = null) =>
        Apply(revision, [batch], check, beforeCommit);

    /// <summary>
    /// Applies the batches of consecutive revisions from <paramref name="firstRevision"/> (the next one) in one change,
    /// ending at the last: all of them or, if one fails, none (the replica stays where it was).
    /// </summary>
    public void Apply(long firstRevision, IReadOnlyList<WriteBatch> batches, Action<IStoreReader>? check = null, Action? beforeCommit = null)
    {
        var backend = Backend ?? throw new InvalidOperationException("A batch cannot apply to an empty replica.");
        if (firstRevision != Revision + 1)
        {
            throw new InvalidOperationException($"Revision {firstRevision} does not follow the replica's {Revision}.");
        }

        if (batches.Count == 0)
        {
            throw new ArgumentException("There is no batch to apply.", nameof(batches));
        }

        Changing(() =>
        {
            backend.Apply(batches, check ?? (_ => { }), beforeCommit ?? (() => { }), durable ? CommitDurability.Synced : CommitDurability.Buffered);
            return firstRevision + batches.Count - 1;
        });
    }

    /// <summary>
    /// Brings the replica through <paramref name="entries"/> (in revision order; those it holds already are skipped): a
    /// snapshot is installed, and each run of batches between snapshots is applied as one change (one marker, one
    /// transaction) rather than one change per revision. Returns whether a snapshot was installed.
    /// </summary>
    public bool Follow(IEnumerable<StoreLogEntry> entries, Func<StoreLogEntry, WriteBatch> decode)
    {
        var installed = false;
        var run = new List<WriteBatch>();
        foreach (var entry in entries)
        {
            var next = Revision + run.Count + 1;
            if (entry.Revision < next)
            {
                continue;
            }

            if (entry.Kind == StoreLogEntryKind.Snapshot)
            {
                // The snapshot replaces the whole file: the run before it need not be applied first.
                run.Clear();
                Install(entry.Revision, entry.Content);
                installed = true;
            }
            else if (entry.Revision == next)
            {
                run.Add(decode(entry));
            }
            else
            {
                // A gap: the run before it applies, and this batch is refused as not following.
                ApplyRun(run);
                Apply(entry.Revision, decode(entry));
            }
        }

        ApplyRun(run);
        return installed;
    }

    private void ApplyRun(List<WriteBatch> run)
    {
        if (run.Count > 0)
        {
            Apply(Revision + 1, run);
            run.Clear();
        }
    }

    /// <summary>Empties the replica: the next sync starts from a snapshot.</summary>
    public void Clear()
    {
        Backend?.ReleaseConnections();
        Backend = null;
        SqliteBackend.Delete(StorePath);
        File.Delete(RevisionFile);
        File.Delete(Marker);
        Revision = 0;
    }

    private string RevisionFile => Path.Combine(directory, RevisionFileName);

    private string Marker => Path.Combine(directory, MarkerFileName);

    /// <summary>
    /// Runs a change between the marker and the new revision. A change that throws was rolled back (one SQLite
    /// transaction, or a file not yet moved into place), so the marker goes and the revision stays.
    /// </summary>
    private void Changing(Func<long> change)
    {
        if (!durable)
        {
            Revision = change();
            return;
        }

        WriteDurably(Marker, "1");
        long revision;
        try
        {
            revision = change();
        }
        catch
        {
            File.Delete(Marker);
            throw;
        }

        WriteDurably(RevisionFile + ".new", string.Create(CultureInfo.InvariantCulture, $"{revision} {installation:N}"));
        File.Move(RevisionFile + ".new", RevisionFile, overwrite: true);
        File.Delete(Marker);
        Revision = revision;
    }

    private (long Revision, Guid Installation)? ReadState()
    {
        try
        {
            var parts = File.ReadAllText(RevisionFile).Split(' ');
            return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision > 0
                   && Guid.TryParseExact(parts[1], "N", out var id)
                ? (revision, id)
                : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static void WriteDurably(string path, string text)
    {
        File.Delete(path);
        using var file = StoreFiles.CreateOwnerOnlyFile(path);
        file.Write(System.Text.Encoding.ASCII.GetBytes(text));
        file.Flush(flushToDisk: true);
    }
}
