using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace SecretOps.Core.Tests.Store;

// Also compiled into SecretOps.Cli.Tests (linked), to compare a store before and after a CLI run.
/// <summary>
/// Raw access to a store file, beside the engine: what an attacker (or a curious admin) with the file can
/// do. Every helper first closes the engine's kept connections (where the engine runs in this process) so
/// the file is not held open underneath.
/// </summary>
internal static partial class RawDb
{
    public static SqliteConnection Open(string path, bool readOnly = false)
    {
        ReleaseEngineConnections();
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite,
            ForeignKeys = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Folds the WAL into the main file and lets SQLite delete it, so the file alone is the whole store.</summary>
    public static void Checkpoint(string path)
    {
        using (var connection = Open(path))
        {
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }

        Assert.False(File.Exists(path + "-wal"), "the store should be checkpointed with no -wal left");
    }

    public static int Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static int Execute(string path, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open(path);
        return Execute(connection, sql, parameters);
    }

    public static object? Scalar(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    public static object? Scalar(string path, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open(path, readOnly: true);
        return Scalar(connection, sql, parameters);
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>Flips one bit of a blob column in the rows <paramref name="where"/> selects (the byte at <paramref name="index"/>; negative counts from the end).</summary>
    public static void FlipByte(SqliteConnection connection, string table, string column, string where, int index, params (string Name, object? Value)[] parameters)
    {
        var blob = (byte[])Scalar(connection, $"SELECT {column} FROM {table} WHERE {where}", parameters)!;
        var at = index >= 0 ? index : blob.Length + index;
        blob[at] ^= 0x01;
        var updated = Execute(connection, $"UPDATE {table} SET {column} = $blob WHERE {where}", [.. parameters, ("$blob", blob)]);
        Assert.Equal(1, updated);
    }

    /// <summary>
    /// Every table's rows, sorted, as text (blobs in hex): two fingerprints are equal exactly when the
    /// tables hold the same rows. <paramref name="exclude"/> names tables to leave out (usually audit).
    /// </summary>
    public static string Fingerprint(string path, params string[] exclude)
    {
        using var connection = Open(path, readOnly: true);
        var tables = new List<string>();
        using (var command = Command(connection, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var text = new StringBuilder();
        foreach (var table in tables.Where(t => !exclude.Contains(t, StringComparer.OrdinalIgnoreCase)))
        {
            text.Append("== ").Append(table).Append('\n');
            foreach (var row in Rows(connection, table).Order(StringComparer.Ordinal))
            {
                text.Append(row).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The rows of one table as text, in table order.</summary>
    public static List<string> Rows(SqliteConnection connection, string table, string orderBy = "rowid")
    {
        using var command = Command(connection, $"SELECT * FROM {table} ORDER BY {orderBy}");
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var cells = new string[reader.FieldCount];
            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = reader.IsDBNull(i) ? "NULL" : reader.GetValue(i) switch
                {
                    byte[] blob => "x'" + Convert.ToHexString(blob) + "'",
                    IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                    var other => "'" + other + "'",
                };
            }

            rows.Add(string.Join(" | ", cells));
        }

        return rows;
    }

    public static List<string> Rows(string path, string table, string orderBy = "rowid")
    {
        using var connection = Open(path, readOnly: true);
        return Rows(connection, table, orderBy);
    }

    public static byte[] Uuid(Guid id) => id.ToByteArray(bigEndian: true);

    public static Guid Uuid(object blob) => new((byte[])blob, bigEndian: true);

    /// <summary>Implemented where the engine runs in the test process (Core tests); the CLI's engine is another process.</summary>
    static partial void ReleaseEngineConnections();
}
