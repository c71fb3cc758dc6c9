namespace SecretOps.Server.Storage;

/// <summary>
/// The server's audit table: every signed route's request, allowed or refused, in the database. A failure throws
/// <see cref="StorageUnavailableException"/>, and the request then fails: nothing is served unaudited.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends <paramref name="entry"/>, durably.</summary>
    void Append(RequestAuditEntry entry);

    /// <summary>Appends <paramref name="entry"/>, durably, as <see cref="Append"/> does, without blocking a thread while it is written.</summary>
    Task AppendAsync(RequestAuditEntry entry);

    /// <summary>The latest <paramref name="count"/> entries, newest first.</summary>
    IReadOnlyList<RequestAuditEntry> Recent(int count);

    /// <summary>Deletes the entries from before <paramref name="cutoff"/> (the retention pruning); returns how many.</summary>
    int DeleteOlderThan(DateTimeOffset cutoff);
}
