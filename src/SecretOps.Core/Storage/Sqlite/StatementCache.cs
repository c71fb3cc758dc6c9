using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>The prepared statements of one kept connection, by SQL text (a few of each, for nested use).</summary>
internal sealed class StatementCache
{
    // Bounded: SQLite statements hold memory, and ad-hoc SQL (filters, pragmas) should not pile up.
    private const int MaxStatements = 128;
    private readonly Dictionary<string, Stack<SqliteCommand>> idle = new(StringComparer.Ordinal);
    private int count;

    public SqliteCommand? Take(string sql) =>
        idle.TryGetValue(sql, out var commands) && commands.TryPop(out var command) ? Taken(command) : null;

    public bool TryReturn(SqliteCommand command)
    {
        if (count >= MaxStatements)
        {
            return false;
        }

        if (!idle.TryGetValue(command.CommandText, out var commands))
        {
            idle[command.CommandText] = commands = new Stack<SqliteCommand>(1);
        }

        commands.Push(command);
        count++;
        return true;
    }

    private SqliteCommand Taken(SqliteCommand command)
    {
        count--;
        return command;
    }
}
