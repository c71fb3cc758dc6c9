using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>
/// BLAKE2b (RFC 7693), unkeyed or keyed, with 1–64 byte output, usable incrementally.
/// Argon2 is built on it; it is not used on its own for anything secret-bearing yet.
/// </summary>
internal sealed class Blake2b : IDisposable
{
    /// <summary>Largest digest and key, in bytes.</summary>
    public const int MaxOutputLength = 64;

    /// <summary>Largest key, in bytes.</summary>
    public const int MaxKeyLength = 64;

    private const int BlockSize = 128;

    private static readonly ulong[] IV =
    [
        0x6a09e667f3bcc908UL, 0xbb67ae8584caa73bUL, 0x3c6ef372fe94f82bUL, 0xa54ff53a5f1d36f1UL,
        0x510e527fade682d1UL, 0x9b05688c2b3e6c1fUL, 0x1f83d9abfb41bd6bUL, 0x5be0cd19137e2179UL,
    ];

    private static readonly byte[] Sigma =
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ];

    private readonly ulong[] state = new ulong[8];
    private readonly byte[] buffer = new byte[BlockSize];
    private readonly int outputLength;
    private int bufferLength;
    private ulong counterLow;
    private ulong counterHigh;
    private bool finished;

    /// <summary>Starts a hash of <paramref name="outputLength"/> bytes, keyed when <paramref name="key"/> is not empty.</summary>
    public Blake2b(int outputLength, ReadOnlySpan<byte> key = default)
    {
        if (outputLength is < 1 or > MaxOutputLength)
        {
            throw new InvalidParameterException(nameof(outputLength), $"BLAKE2b output length must be 1–{MaxOutputLength} bytes; got {outputLength}.");
        }

        if (key.Length > MaxKeyLength)
        {
            throw new InvalidParameterException(nameof(key), $"BLAKE2b key must be at most {MaxKeyLength} bytes; got {key.Length}.");
        }

        this.outputLength = outputLength;
        IV.CopyTo(state, 0);
        state[0] ^= 0x01010000UL ^ ((ulong)key.Length << 8) ^ (ulong)outputLength;
        if (!key.IsEmpty)
        {
            key.CopyTo(buffer);
            bufferLength = BlockSize;
        }
    }

    /// <summary>Digest length in bytes.</summary>
    public int OutputLength => outputLength;

    /// <summary>Hashes <paramref name="data"/> into <paramref name="output"/> (whose length is the digest length).</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> output, ReadOnlySpan<byte> key = default)
    {
        using var hash = new Blake2b(output.Length, key);
        hash.Update(data);
        hash.Finish(output);
    }

    /// <summary>Adds <paramref name="data"/> to the hash.</summary>
    public void Update(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(finished, this);
        while (!data.IsEmpty)
        {
            // The last block must wait for Finish (it is compressed with the final flag), so a full
            // buffer is compressed only once more input arrives.
            if (bufferLength == BlockSize)
            {
                Compress(buffer, BlockSize, isLast: false);
                bufferLength = 0;
            }

            if (bufferLength == 0)
            {
                while (data.Length > BlockSize)
                {
                    Compress(data[..BlockSize], BlockSize, isLast: false);
                    data = data[BlockSize..];
                }
            }

            var take = Math.Min(BlockSize - bufferLength, data.Length);
            data[..take].CopyTo(buffer.AsSpan(bufferLength));
            bufferLength += take;
            data = data[take..];
        }
    }

    /// <summary>Completes the hash into <paramref name="output"/>, which must be <see cref="OutputLength"/> bytes.</summary>
    public void Finish(Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(finished, this);
        if (output.Length != outputLength)
        {
            throw new InvalidParameterException(nameof(output), $"BLAKE2b output buffer must be {outputLength} bytes; got {output.Length}.");
        }

        buffer.AsSpan(bufferLength).Clear();
        Compress(buffer, bufferLength, isLast: true);
        Span<byte> full = stackalloc byte[MaxOutputLength];
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(full[(8 * i)..], state[i]);
        }

        full[..outputLength].CopyTo(output);
        CryptographicOperations.ZeroMemory(full);
        Dispose();
    }

    /// <summary>Wipes the internal state.</summary>
    public void Dispose()
    {
        finished = true;
        Array.Clear(state);
        CryptographicOperations.ZeroMemory(buffer);
    }

    private void Compress(ReadOnlySpan<byte> block, int byteCount, bool isLast)
    {
        counterLow += (ulong)byteCount;
        if (counterLow < (ulong)byteCount)
        {
            counterHigh++;
        }

        Span<ulong> m = stackalloc ulong[16];
        Span<ulong> v = stackalloc ulong[16];
        for (var i = 0; i < 16; i++)
        {
            m[i] = BinaryPrimitives.ReadUInt64LittleEndian(block[(8 * i)..]);
        }

        state.CopyTo(v);
        IV.CopyTo(v[8..]);
        v[12] ^= counterLow;
        v[13] ^= counterHigh;
        if (isLast)
        {
            v[14] = ~v[14];
        }

        for (var round = 0; round < 12; round++)
        {
            var s = Sigma.AsSpan(16 * (round % 10), 16);
            Mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            Mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            Mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            Mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            Mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            Mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            Mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            Mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }

        for (var i = 0; i < 8; i++)
        {
            state[i] ^= v[i] ^ v[i + 8];
        }

        m.Clear();
        v.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mix(Span<ulong> v, int a, int b, int c, int d, ulong x, ulong y)
    {
        v[a] += v[b] + x;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 32);
        v[c] += v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 24);
        v[a] += v[b] + y;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 16);
        v[c] += v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 63);
    }
}
