using Microsoft.Data.Sqlite;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Storage.Sqlite;

/// <summary>SQLite's result codes that SecretOps tells apart, and what each means to a user of the store.</summary>
internal static class SqliteErrors
{
    public const int Busy = 5;
    public const int Locked = 6;
    public const int ReadOnly = 8;
    public const int IoError = 10;
    public const int Corrupt = 11;
    public const int Full = 13;
    public const int CannotOpen = 14;
    public const int NotADatabase = 26;

    /// <summary>Another connection holds what this one needs.</summary>
    public static bool IsBusy(SqliteException e) => e.SqliteErrorCode is Busy or Locked;

    /// <summary>The store error a SQLite failure on <paramref name="path"/> is reported as.</summary>
    public static StoreUnavailableException Translate(string path, SqliteException e) => e.SqliteErrorCode switch
    {
        NotADatabase => new StoreUnavailableException($"'{path}' is not a SQLite database (or is damaged beyond recognition).", path, corrupt: true, e),
        Corrupt => new StoreUnavailableException($"'{path}' is damaged (SQLite reports it malformed; a truncated or partly overwritten file).", path, corrupt: true, e),
        ReadOnly => StoreUnavailableException.ReadOnly($"'{path}' is read-only; this needs to write to it.", path, e),
        CannotOpen => new StoreUnavailableException($"'{path}' cannot be opened (check the path and its permissions).", path, innerException: e),
        Full => new StoreUnavailableException($"The disk holding '{path}' is full; free some space and try again.", path, innerException: e),
        IoError => new StoreUnavailableException($"'{path}' could not be read or written (disk I/O error: is the disk full, or was the file or its directory removed?).", path, innerException: e),
        Busy or Locked => new StoreUnavailableException($"'{path}' stayed locked by another process for too long; try again.", path, innerException: e),
        _ => new StoreUnavailableException($"'{path}' could not be used: {e.Message}", path, innerException: e),
    };
}
