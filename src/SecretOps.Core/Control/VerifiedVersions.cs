using System.Collections.Concurrent;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Control;

/// <summary>The version rows a process has verified (see <see cref="ControlView.Versions"/>).</summary>
internal sealed class VerifiedVersions
{
    private const int Capacity = 4096;
    private readonly ConcurrentDictionary<(Guid SecretId, int Version), SealedData> rows = new();

    /// <summary>Whether <paramref name="value"/> is, byte for byte, the value already verified for this version.</summary>
    public bool Holds(Guid secretId, int version, SealedData value) =>
        rows.TryGetValue((secretId, version), out var known)
        && known.Nonce.AsSpan().SequenceEqual(value.Nonce) && known.Ciphertext.AsSpan().SequenceEqual(value.Ciphertext);

    /// <summary>Notes a value whose digest matched the log's.</summary>
    public void Add(Guid secretId, int version, SealedData value)
    {
        if (rows.Count >= Capacity)
        {
            rows.Clear();
        }

        rows[(secretId, version)] = value;
    }
}
