using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Storage;

/// <summary>
/// One test's server database, opened as often as a test wants (each <see cref="Open"/> is another "server instance"
/// on it) and made to fail on demand; everything opened is closed on dispose.
/// </summary>
public abstract class TestStorage : IDisposable
{
    private readonly List<ServerStorage> opened = [];

    /// <summary>Opens the storage once more; skips or fails the test when it is not there.</summary>
    public ServerStorage Open()
    {
        var storage = OpenStorage();
        opened.Add(storage);
        return storage;
    }

    /// <summary>Makes the storage fail until the result is disposed.</summary>
    public abstract IDisposable TakeDown();

    /// <summary>The audit table's name in this storage.</summary>
    public abstract string AuditTable { get; }

    /// <summary>Runs <paramref name="sql"/> on the database, outside the server's storage classes.</summary>
    public abstract void Execute(string sql);

    public void Dispose()
    {
        foreach (var storage in opened)
        {
            storage.Dispose();
        }

        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected abstract ServerStorage OpenStorage();

    protected virtual void Dispose(bool disposing)
    {
    }
}
