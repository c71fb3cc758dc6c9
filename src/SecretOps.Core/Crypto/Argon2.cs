using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>Which compression-function implementation fills memory.</summary>
internal enum Argon2Implementation
{
    /// <summary>The fastest the processor supports.</summary>
    Auto,

    /// <summary>Portable 64-bit arithmetic.</summary>
    Scalar,

    /// <summary>AVX2 (x86-64).</summary>
    Avx2,
}

/// <summary>
/// Argon2d, Argon2i and Argon2id (RFC 9106), with secret (K) and associated data (X).
/// Memory is one contiguous native buffer of 1 KiB blocks (reused while a process keeps deriving,
/// see <see cref="Argon2Memory"/>), lanes of a slice are filled in parallel with one synchronisation per
/// slice, and every byte of it is wiped as soon as the tag is computed.
/// </summary>
internal static class Argon2
{
    /// <summary>Smallest tag, in bytes.</summary>
    public const int MinOutputLength = 4;

    /// <summary>Smallest salt, in bytes (libargon2's limit, so our outputs stay comparable).</summary>
    public const int MinSaltLength = 8;

    private const int SyncPoints = 4;

    /// <summary>Derives <paramref name="output"/>.Length bytes from the password and salt.</summary>
    public static void DeriveBytes(Argon2Parameters parameters, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Span<byte> output,
                                   ReadOnlySpan<byte> secret = default, ReadOnlySpan<byte> associatedData = default) =>
        DeriveBytes(parameters, password, salt, output, secret, associatedData, Argon2Implementation.Auto);

    /// <summary>Derives a new array of <paramref name="outputLength"/> bytes.</summary>
    public static byte[] DeriveBytes(Argon2Parameters parameters, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int outputLength,
                                     ReadOnlySpan<byte> secret = default, ReadOnlySpan<byte> associatedData = default)
    {
        if (outputLength < MinOutputLength)
        {
            throw new InvalidParameterException(nameof(outputLength), $"Argon2 output must be at least {MinOutputLength} bytes; got {outputLength}.");
        }

        var output = new byte[outputLength];
        DeriveBytes(parameters, password, salt, output, secret, associatedData, Argon2Implementation.Auto);
        return output;
    }

    /// <summary>True when this processor runs the AVX2 path.</summary>
    public static bool IsAccelerated => Argon2Block.IsAvx2Supported;

    internal static unsafe void DeriveBytes(Argon2Parameters parameters, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Span<byte> output,
                                            ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData, Argon2Implementation implementation)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (output.Length < MinOutputLength)
        {
            throw new InvalidParameterException(nameof(output), $"Argon2 output must be at least {MinOutputLength} bytes; got {output.Length}.");
        }

        if (salt.Length < MinSaltLength)
        {
            throw new InvalidParameterException(nameof(salt), $"Argon2 salt must be at least {MinSaltLength} bytes; got {salt.Length}.");
        }

        var useAvx2 = implementation switch
        {
            Argon2Implementation.Auto => Argon2Block.IsAvx2Supported,
            Argon2Implementation.Avx2 when !Argon2Block.IsAvx2Supported => throw new PlatformNotSupportedException("AVX2 is not supported on this processor."),
            Argon2Implementation.Avx2 => true,
            _ => false,
        };

        var instance = new Instance(parameters, useAvx2);
        try
        {
            Span<byte> h0 = stackalloc byte[Blake2b.MaxOutputLength + 8];
            ComputeH0(parameters, password, salt, secret, associatedData, output.Length, h0[..Blake2b.MaxOutputLength]);
            instance.FillFirstBlocks(h0);
            CryptographicOperations.ZeroMemory(h0);
            instance.FillMemory();
            instance.Finalize(output);
        }
        finally
        {
            instance.Free();
        }
    }

    private static void ComputeH0(Argon2Parameters parameters, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> secret,
                                  ReadOnlySpan<byte> associatedData, int tagLength, Span<byte> h0)
    {
        using var hash = new Blake2b(Blake2b.MaxOutputLength);
        AddUInt32(hash, (uint)parameters.Parallelism);
        AddUInt32(hash, (uint)tagLength);
        AddUInt32(hash, (uint)parameters.MemoryKiB);
        AddUInt32(hash, (uint)parameters.Iterations);
        AddUInt32(hash, (uint)parameters.Version);
        AddUInt32(hash, (uint)parameters.Type);
        AddLengthPrefixed(hash, password);
        AddLengthPrefixed(hash, salt);
        AddLengthPrefixed(hash, secret);
        AddLengthPrefixed(hash, associatedData);
        hash.Finish(h0);
    }

    private static void AddLengthPrefixed(Blake2b hash, ReadOnlySpan<byte> data)
    {
        AddUInt32(hash, (uint)data.Length);
        hash.Update(data);
    }

    private static void AddUInt32(Blake2b hash, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        hash.Update(bytes);
    }

    /// <summary>H' (RFC 9106 §3.3): BLAKE2b stretched to any output length.</summary>
    private static void VariableLengthHash(ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)output.Length);
        if (output.Length <= Blake2b.MaxOutputLength)
        {
            using var single = new Blake2b(output.Length);
            single.Update(length);
            single.Update(input);
            single.Finish(output);
            return;
        }

        Span<byte> v = stackalloc byte[Blake2b.MaxOutputLength];
        using (var first = new Blake2b(Blake2b.MaxOutputLength))
        {
            first.Update(length);
            first.Update(input);
            first.Finish(v);
        }

        var fullBlocks = (output.Length + 31) / 32 - 2;
        v[..32].CopyTo(output);
        var position = 32;
        for (var i = 1; i < fullBlocks; i++)
        {
            Blake2b.Hash(v, v);
            v[..32].CopyTo(output[position..]);
            position += 32;
        }

        Blake2b.Hash(v, output[position..]);
        CryptographicOperations.ZeroMemory(v);
    }

    /// <summary>One derivation's memory and geometry.</summary>
    private sealed unsafe class Instance
    {
        private readonly Argon2Parameters parameters;
        private readonly bool useAvx2;
        private readonly int lanes;
        private readonly int laneLength;
        private readonly int segmentLength;
        private readonly uint blockCount;
        private readonly nuint byteCount;
        private ulong* memory;

        public Instance(Argon2Parameters parameters, bool useAvx2)
        {
            this.parameters = parameters;
            this.useAvx2 = useAvx2;
            lanes = parameters.Parallelism;
            segmentLength = parameters.MemoryKiB / (SyncPoints * lanes);
            laneLength = segmentLength * SyncPoints;
            blockCount = (uint)(laneLength * lanes);
            byteCount = (nuint)blockCount * Argon2Block.Size;
            memory = (ulong*)Argon2Memory.Rent(byteCount, prefault: lanes == 1);
        }

        public void FillFirstBlocks(Span<byte> h0Extended)
        {
            Span<byte> block = stackalloc byte[Argon2Block.Size];
            for (var lane = 0; lane < lanes; lane++)
            {
                for (var index = 0u; index < 2; index++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(h0Extended[64..], index);
                    BinaryPrimitives.WriteUInt32LittleEndian(h0Extended[68..], (uint)lane);
                    VariableLengthHash(h0Extended, block);
                    var target = BlockAt(lane, (int)index);
                    for (var word = 0; word < Argon2Block.Words; word++)
                    {
                        target[word] = BinaryPrimitives.ReadUInt64LittleEndian(block[(8 * word)..]);
                    }
                }
            }

            CryptographicOperations.ZeroMemory(block);
        }

        public void FillMemory()
        {
            for (var pass = 0; pass < parameters.Iterations; pass++)
            {
                for (var slice = 0; slice < SyncPoints; slice++)
                {
                    if (lanes == 1)
                    {
                        FillSegment(pass, 0, slice);
                    }
                    else
                    {
                        var (p, s) = (pass, slice);
                        Parallel.For(0, lanes, lane => FillSegment(p, lane, s));
                    }
                }
            }
        }

        public void Finalize(Span<byte> output)
        {
            Span<ulong> final = stackalloc ulong[Argon2Block.Words];
            new ReadOnlySpan<ulong>(BlockAt(0, laneLength - 1), Argon2Block.Words).CopyTo(final);
            for (var lane = 1; lane < lanes; lane++)
            {
                var last = BlockAt(lane, laneLength - 1);
                for (var word = 0; word < Argon2Block.Words; word++)
                {
                    final[word] ^= last[word];
                }
            }

            Span<byte> bytes = stackalloc byte[Argon2Block.Size];
            for (var word = 0; word < Argon2Block.Words; word++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes[(8 * word)..], final[word]);
            }

            VariableLengthHash(bytes, output);
            CryptographicOperations.ZeroMemory(bytes);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(final));
        }

        public void Free()
        {
            if (memory == null)
            {
                return;
            }

            // Wipe in chunks: a span is limited to int.MaxValue bytes and memory may be up to 4 GiB.
            var bytes = (byte*)memory;
            for (nuint offset = 0; offset < byteCount;)
            {
                var chunk = (int)Math.Min(byteCount - offset, 1u << 30);
                CryptographicOperations.ZeroMemory(new Span<byte>(bytes + offset, chunk));
                offset += (nuint)chunk;
            }

            Argon2Memory.Return(memory, byteCount);
            memory = null;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong* BlockAt(int lane, int index) => memory + ((nuint)(uint)(lane * laneLength + index) * Argon2Block.Words);

        [SkipLocalsInit]
        private void FillSegment(int pass, int lane, int slice)
        {
            var dataIndependent = parameters.Type == Argon2Type.Argon2i
                || (parameters.Type == Argon2Type.Argon2id && pass == 0 && slice < SyncPoints / 2);
            var withXor = parameters.Version == Argon2Version.Version13 && pass != 0;

            ulong* addresses = stackalloc ulong[Argon2Block.Words];
            ulong* input = stackalloc ulong[Argon2Block.Words];
            ulong* zero = stackalloc ulong[Argon2Block.Words];
            if (dataIndependent)
            {
                new Span<ulong>(zero, Argon2Block.Words).Clear();
                new Span<ulong>(input, Argon2Block.Words).Clear();
                input[0] = (ulong)pass;
                input[1] = (ulong)lane;
                input[2] = (ulong)slice;
                input[3] = blockCount;
                input[4] = (ulong)parameters.Iterations;
                input[5] = (ulong)parameters.Type;
            }

            var startIndex = 0;
            if (pass == 0 && slice == 0)
            {
                // The first two blocks of each lane come from H0.
                startIndex = 2;
                if (dataIndependent)
                {
                    NextAddresses(addresses, input, zero);
                }
            }

            var laneStart = lane * laneLength;
            var currentOffset = laneStart + slice * segmentLength + startIndex;
            var previousOffset = currentOffset % laneLength == 0 ? currentOffset + laneLength - 1 : currentOffset - 1;

            for (var index = startIndex; index < segmentLength; index++, currentOffset++, previousOffset++)
            {
                if (currentOffset % laneLength == 1)
                {
                    previousOffset = currentOffset - 1;
                }

                ulong pseudoRandom;
                if (dataIndependent)
                {
                    if (index % Argon2Block.Words == 0)
                    {
                        NextAddresses(addresses, input, zero);
                    }

                    pseudoRandom = addresses[index % Argon2Block.Words];
                }
                else
                {
                    pseudoRandom = memory[(nuint)(uint)previousOffset * Argon2Block.Words];
                }

                var referenceLane = pass == 0 && slice == 0 ? lane : (int)((pseudoRandom >> 32) % (ulong)lanes);
                var referenceIndex = ReferenceIndex(pass, slice, index, (uint)pseudoRandom, referenceLane == lane);
                var reference = BlockAt(referenceLane, (int)referenceIndex);
                var previous = memory + ((nuint)(uint)previousOffset * Argon2Block.Words);
                var current = memory + ((nuint)(uint)currentOffset * Argon2Block.Words);
                Fill(previous, reference, current, withXor);
            }

            if (dataIndependent)
            {
                new Span<ulong>(addresses, Argon2Block.Words).Clear();
            }
        }

        private void NextAddresses(ulong* addresses, ulong* input, ulong* zero)
        {
            input[6]++;
            Fill(zero, input, addresses, withXor: false);
            Fill(zero, addresses, addresses, withXor: false);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Fill(ulong* previous, ulong* reference, ulong* next, bool withXor)
        {
            if (useAvx2)
            {
                Argon2Block.FillAvx2(previous, reference, next, withXor);
            }
            else
            {
                Argon2Block.FillScalar(previous, reference, next, withXor);
            }
        }

        /// <summary>Maps a pseudo-random value to a block of the reference lane (RFC 9106 §3.4.1.2).</summary>
        private uint ReferenceIndex(int pass, int slice, int index, uint pseudoRandom, bool sameLane)
        {
            uint areaSize;
            if (pass == 0)
            {
                areaSize = slice == 0
                    ? (uint)(index - 1)
                    : sameLane
                        ? (uint)(slice * segmentLength + index - 1)
                        : (uint)(slice * segmentLength + (index == 0 ? -1 : 0));
            }
            else
            {
                areaSize = sameLane
                    ? (uint)(laneLength - segmentLength + index - 1)
                    : (uint)(laneLength - segmentLength + (index == 0 ? -1 : 0));
            }

            ulong relative = pseudoRandom;
            relative = (relative * relative) >> 32;
            relative = areaSize - 1 - ((areaSize * relative) >> 32);
            var start = pass != 0 && slice != SyncPoints - 1 ? (uint)((slice + 1) * segmentLength) : 0u;
            return (uint)((start + relative) % (uint)laneLength);
        }
    }
}
