namespace SecretOps.Core.Audit;

/// <summary>
/// A session's audit entries not yet written (the connect, reads): they go with the session's next write, or when
/// it flushes. Taken entries whose write fails are put back in front, so none is lost and order is kept.
/// </summary>
internal sealed class PendingAudit
{
    private readonly List<AuditRecord> pending = new();
    private readonly object gate = new();

    public void Add(AuditRecord record)
    {
        lock (gate)
        {
            pending.Add(record);
        }
    }

    public AuditRecord[] TakeAll()
    {
        lock (gate)
        {
            AuditRecord[] taken = [.. pending];
            pending.Clear();
            return taken;
        }
    }

    public void PutBack(AuditRecord[] records)
    {
        lock (gate)
        {
            pending.InsertRange(0, records);
        }
    }
}
