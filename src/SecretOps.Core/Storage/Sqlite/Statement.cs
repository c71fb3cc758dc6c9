using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>A bound statement; disposing it returns it to its connection's cache, or frees it.</summary>
internal sealed class Statement(SqliteCommand command, StatementCache? cache) : IDisposable
{
    public SqliteDataReader ExecuteReader() => command.ExecuteReader();

    public object? ExecuteScalar() => command.ExecuteScalar();

    public int ExecuteNonQuery() => command.ExecuteNonQuery();

    public void Dispose()
    {
        command.Parameters.Clear();
        if (cache is null || !cache.TryReturn(command))
        {
            command.Dispose();
        }
    }
}
