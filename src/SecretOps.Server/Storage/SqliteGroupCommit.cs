using Microsoft.Data.Sqlite;

namespace SecretOps.Server.Storage;

/// <summary>
/// The per-request writes (nonce and audit rows) of a <see cref="SqliteDatabase"/>, committed in groups: the writes
/// queued while a commit is being made are committed together by the next one, in one transaction and one fsync. The
/// caller that finds no commit under way makes it on its own thread (so a lone request pays no hand-over to another
/// thread); the writes that arrive meanwhile wait, without a thread, for the next commit, which a thread-pool item
/// makes. Each write runs in a savepoint of its own, so a write that throws leaves nothing behind and fails alone (its
/// caller gets the exception); the others are told they succeeded only once the commit has. When the transaction
/// cannot begin or commit, every write in it fails with that exception and nothing of it is in the file. Writers in
/// other processes (another server instance, an operator's command) take turns with this one through SQLite's lock.
/// </summary>
internal sealed class SqliteGroupCommit : IDisposable
{
    /// <summary>At most this many writes share one commit.</summary>
    private const int MaxBatch = 256;

    private readonly SqliteDatabase database;
    private readonly Queue<Write> queue = new();
    private bool committing;
    private bool disposed;

    public SqliteGroupCommit(SqliteDatabase database)
    {
        this.database = database;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the committing connection, inside the next commit; the task completes with its
    /// result once that commit is durable, or with the exception <paramref name="work"/>, the transaction or the
    /// commit threw (a <see cref="SqliteDatabase.IsStorageFailure"/> for a failing database).
    /// </summary>
    public Task<T> RunAsync<T>(Func<SqliteConnection, T> work)
    {
        var write = new Write<T>(work);
        lock (queue)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            queue.Enqueue(write);
            if (committing)
            {
                return write.Task;
            }

            committing = true;
        }

        // No commit under way: this caller makes the next one (with its own write in it) on its own thread.
        CommitNext();
        return write.Task;
    }

    public void Dispose()
    {
        lock (queue)
        {
            disposed = true;
            while (committing)
            {
                Monitor.Wait(queue);
            }
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void FailAll(List<Write> writes, Exception e) => writes.ForEach(w => w.Fail(e));

    /// <summary>Commits what is queued (at most <see cref="MaxBatch"/>), then hands what arrived meanwhile to a thread-pool item.</summary>
    private void CommitNext()
    {
        var batch = new List<Write>();
        lock (queue)
        {
            while (batch.Count < MaxBatch && queue.TryDequeue(out var write))
            {
                batch.Add(write);
            }
        }

        try
        {
            Commit(batch);
        }
        finally
        {
            lock (queue)
            {
                if (queue.Count > 0)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static self => self.CommitNext(), this, preferLocal: false);
                }
                else
                {
                    committing = false;
                    Monitor.PulseAll(queue);
                }
            }
        }
    }

    private void Commit(List<Write> batch)
    {
        SqliteDatabase.ConnectionLease lease;
        try
        {
            lease = database.Rent();
        }
        catch (Exception e)
        {
            FailAll(batch, e);
            return;
        }

        // Disposing the lease closes the connection instead of keeping it when a failure left the transaction open,
        // which rolls it back.
        using (lease)
        {
            var connection = lease.Connection;
            var done = new List<Write>(batch.Count);
            try
            {
                Execute(connection, "BEGIN IMMEDIATE");
                foreach (var write in batch)
                {
                    Execute(connection, "SAVEPOINT request");
                    try
                    {
                        write.Run(connection);
                    }
                    catch (Exception e)
                    {
                        // Undo this write alone; if even that fails, the transaction is gone and the catch below fails the rest.
                        Execute(connection, "ROLLBACK TO request");
                        Execute(connection, "RELEASE request");
                        write.Fail(e);
                        continue;
                    }

                    Execute(connection, "RELEASE request");
                    done.Add(write);
                }

                Execute(connection, "COMMIT");
            }
            catch (Exception e)
            {
                FailAll(batch, e);
                return;
            }

            done.ForEach(w => w.Complete());
        }
    }

    /// <summary>A queued write; completes or fails once, whichever comes first.</summary>
    private abstract class Write
    {
        public abstract void Run(SqliteConnection connection);

        public abstract void Complete();

        public abstract void Fail(Exception e);
    }

    private sealed class Write<T>(Func<SqliteConnection, T> work) : Write
    {
        private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? result;

        public Task<T> Task => completion.Task;

        public override void Run(SqliteConnection connection) => result = work(connection);

        public override void Complete() => completion.TrySetResult(result!);

        public override void Fail(Exception e) => completion.TrySetException(e);
    }
}
