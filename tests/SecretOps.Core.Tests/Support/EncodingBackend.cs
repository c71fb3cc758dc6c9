using SecretOps.Core.Storage;

namespace SecretOps.Core.Tests.Support;

/// <summary>
/// A store backend that sends every write batch through <see cref="WriteBatchCodec"/> on its way to the store, as a
/// remote client's batch travels: the command writes into a batch of its own, the store gets the decoded copy.
/// <paramref name="committed"/> then sees the command's original batch and its encoding, once the store has committed.
/// Reads go straight to the store.
/// </summary>
internal sealed class EncodingBackend(IStoreBackend inner, Action<WriteBatch, byte[]> committed) : IStoreBackend
{
    public string Location => inner.Location;

    public bool IsReadOnly => inner.IsReadOnly;

    public bool IsShared => inner.IsShared;

    public T Read<T>(Func<IStoreReader, T> body) => inner.Read(body);

    public T? TryReadOnce<T>(Func<IStoreReader, T?> body)
        where T : struct => inner.TryReadOnce(body);

    public T Write<T>(Func<IStoreReader, WriteBatch, T> body, CommitDurability durability = CommitDurability.Synced)
    {
        var original = new WriteBatch();
        byte[] encoded = [];
        var result = inner.Write((reader, batch) =>
        {
            // The body may run again (a busy store retries), so each attempt starts from an empty batch.
            original = new WriteBatch();
            var value = body(reader, original);
            encoded = WriteBatchCodec.Encode(original);
            foreach (var change in WriteBatchCodec.Decode(encoded).Changes)
            {
                batch.Add(change);
            }

            return value;
        }, durability);
        committed(original, encoded);
        return result;
    }

    public void BackupTo(string file) => inner.BackupTo(file);

    public void ReleaseConnections() => inner.ReleaseConnections();
}
