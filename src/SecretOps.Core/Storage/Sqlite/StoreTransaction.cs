using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>
/// An open SQLite transaction on a connection, begun and ended by <see cref="StoreDatabase"/> with prepared
/// statements (Microsoft.Data.Sqlite's own transactions prepare BEGIN and COMMIT afresh each time). Passing it
/// on says "inside this transaction"; statements given it check they run on its connection.
/// </summary>
internal sealed class StoreTransaction(SqliteConnection connection)
{
    public SqliteConnection Connection { get; } = connection;
}
