using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SecretOps.Core.Crypto;

/// <summary>
/// Argon2's compression function G over 1 KiB blocks (RFC 9106 §3.5): next = P(prev ⊕ ref) ⊕ prev ⊕ ref,
/// additionally ⊕ next in v1.3's later passes. P is BLAKE2b's round with BlaMka's multiplication, applied
/// to the eight rows and then the eight columns of the block seen as an 8×8 matrix of 16-byte registers.
/// </summary>
internal static unsafe class Argon2Block
{
    public const int Size = 1024;
    public const int Words = Size / sizeof(ulong);
    private const int Vectors = Size / 32;

    private static readonly Vector256<byte> Rotate24 = Vector256.Create(
        (byte)3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);

    private static readonly Vector256<byte> Rotate16 = Vector256.Create(
        (byte)2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);

    public static bool IsAvx2Supported => Avx2.IsSupported;

    [SkipLocalsInit]
    public static void FillScalar(ulong* previous, ulong* reference, ulong* next, bool withXor)
    {
        ulong* r = stackalloc ulong[Words];
        ulong* keep = stackalloc ulong[Words];
        for (var i = 0; i < Words; i++)
        {
            r[i] = previous[i] ^ reference[i];
            keep[i] = withXor ? r[i] ^ next[i] : r[i];
        }

        for (var row = 0; row < 8; row++)
        {
            var b = 16 * row;
            RoundScalar(r, b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13, b + 14, b + 15);
        }

        for (var column = 0; column < 8; column++)
        {
            var b = 2 * column;
            RoundScalar(r, b, b + 1, b + 16, b + 17, b + 32, b + 33, b + 48, b + 49, b + 64, b + 65, b + 80, b + 81, b + 96, b + 97, b + 112, b + 113);
        }

        for (var i = 0; i < Words; i++)
        {
            next[i] = r[i] ^ keep[i];
        }
    }

    private static void RoundScalar(ulong* v, int v0, int v1, int v2, int v3, int v4, int v5, int v6, int v7,
                                    int v8, int v9, int v10, int v11, int v12, int v13, int v14, int v15)
    {
        MixScalar(ref v[v0], ref v[v4], ref v[v8], ref v[v12]);
        MixScalar(ref v[v1], ref v[v5], ref v[v9], ref v[v13]);
        MixScalar(ref v[v2], ref v[v6], ref v[v10], ref v[v14]);
        MixScalar(ref v[v3], ref v[v7], ref v[v11], ref v[v15]);
        MixScalar(ref v[v0], ref v[v5], ref v[v10], ref v[v15]);
        MixScalar(ref v[v1], ref v[v6], ref v[v11], ref v[v12]);
        MixScalar(ref v[v2], ref v[v7], ref v[v8], ref v[v13]);
        MixScalar(ref v[v3], ref v[v4], ref v[v9], ref v[v14]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MixScalar(ref ulong a, ref ulong b, ref ulong c, ref ulong d)
    {
        a = a + b + 2 * (ulong)(uint)a * (uint)b;
        d = BitOperations.RotateRight(d ^ a, 32);
        c = c + d + 2 * (ulong)(uint)c * (uint)d;
        b = BitOperations.RotateRight(b ^ c, 24);
        a = a + b + 2 * (ulong)(uint)a * (uint)b;
        d = BitOperations.RotateRight(d ^ a, 16);
        c = c + d + 2 * (ulong)(uint)c * (uint)d;
        b = BitOperations.RotateRight(b ^ c, 63);
    }

    /// <summary>
    /// The same function with four 64-bit lanes per register. Rows: registers 8i..8i+7 hold rows 2i and
    /// 2i+1, and the diagonal step rotates lanes within registers. Columns: register i, 4+i, …, 28+i hold
    /// column pairs 2i and 2i+1, and the diagonal step exchanges halves between register pairs.
    /// </summary>
    [SkipLocalsInit]
    public static void FillAvx2(ulong* previous, ulong* reference, ulong* next, bool withXor)
    {
        // R = prev ⊕ ref is permuted in s; what must be XORed back in at the end (R, and in v1.3's later
        // passes the old block too) is parked in the output block itself, which stays in L1.
        Vector256<ulong>* s = stackalloc Vector256<ulong>[Vectors];
        for (var i = 0; i < Vectors; i++)
        {
            var r = Avx.LoadVector256(previous + 4 * i) ^ Avx.LoadVector256(reference + 4 * i);
            s[i] = r;
            Avx.Store(next + 4 * i, withXor ? r ^ Avx.LoadVector256(next + 4 * i) : r);
        }

        // Unrolled with constant offsets so every operand is a fixed stack slot.
        RowRoundAvx2(s);
        RowRoundAvx2(s + 8);
        RowRoundAvx2(s + 16);
        RowRoundAvx2(s + 24);
        ColumnRoundAvx2(s);
        ColumnRoundAvx2(s + 1);
        ColumnRoundAvx2(s + 2);
        ColumnRoundAvx2(s + 3);

        for (var i = 0; i < Vectors; i++)
        {
            Avx.Store(next + 4 * i, s[i] ^ Avx.LoadVector256(next + 4 * i));
        }
    }

    /// <summary>Rows 2i and 2i+1 live in registers 8i..8i+7: a0 = s[0], a1 = s[4], b0 = s[1], b1 = s[5], …</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowRoundAvx2(Vector256<ulong>* s) =>
        RowRoundAvx2(ref s[0], ref s[4], ref s[1], ref s[5], ref s[2], ref s[6], ref s[3], ref s[7]);

    /// <summary>Column pairs 2i and 2i+1 live in registers i, 4+i, …, 28+i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnRoundAvx2(Vector256<ulong>* s) =>
        ColumnRoundAvx2(ref s[0], ref s[4], ref s[8], ref s[12], ref s[16], ref s[20], ref s[24], ref s[28]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowRoundAvx2(ref Vector256<ulong> a0r, ref Vector256<ulong> a1r, ref Vector256<ulong> b0r, ref Vector256<ulong> b1r,
                                     ref Vector256<ulong> c0r, ref Vector256<ulong> c1r, ref Vector256<ulong> d0r, ref Vector256<ulong> d1r)
    {
        var (a0, a1, b0, b1, c0, c1, d0, d1) = (a0r, a1r, b0r, b1r, c0r, c1r, d0r, d1r);
        MixAvx2(ref a0, ref b0, ref c0, ref d0);
        MixAvx2(ref a1, ref b1, ref c1, ref d1);

        // Diagonals: lane j of (a, b, c, d) becomes (a_j, b_{j+1}, c_{j+2}, d_{j+3}).
        b0 = Avx2.Permute4x64(b0, 0x39); c0 = Avx2.Permute4x64(c0, 0x4E); d0 = Avx2.Permute4x64(d0, 0x93);
        b1 = Avx2.Permute4x64(b1, 0x39); c1 = Avx2.Permute4x64(c1, 0x4E); d1 = Avx2.Permute4x64(d1, 0x93);
        MixAvx2(ref a0, ref b0, ref c0, ref d0);
        MixAvx2(ref a1, ref b1, ref c1, ref d1);
        b0 = Avx2.Permute4x64(b0, 0x93); c0 = Avx2.Permute4x64(c0, 0x4E); d0 = Avx2.Permute4x64(d0, 0x39);
        b1 = Avx2.Permute4x64(b1, 0x93); c1 = Avx2.Permute4x64(c1, 0x4E); d1 = Avx2.Permute4x64(d1, 0x39);

        (a0r, a1r, b0r, b1r, c0r, c1r, d0r, d1r) = (a0, a1, b0, b1, c0, c1, d0, d1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnRoundAvx2(ref Vector256<ulong> a0r, ref Vector256<ulong> a1r, ref Vector256<ulong> b0r, ref Vector256<ulong> b1r,
                                        ref Vector256<ulong> c0r, ref Vector256<ulong> c1r, ref Vector256<ulong> d0r, ref Vector256<ulong> d1r)
    {
        var (a0, a1, b0, b1, c0, c1, d0, d1) = (a0r, a1r, b0r, b1r, c0r, c1r, d0r, d1r);
        MixAvx2(ref a0, ref b0, ref c0, ref d0);
        MixAvx2(ref a1, ref b1, ref c1, ref d1);

        // Diagonals: with b0 = (v4 v5 | v4' v5'), b1 = (v6 v7 | …) the diagonal needs (v5 v6) and (v7 v4),
        // c swaps whole registers, and d needs (v15 v12) and (v13 v14).
        var t0 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0xCC).AsUInt64();
        var t1 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0x33).AsUInt64();
        b0 = Avx2.Permute4x64(t1, 0xB1);
        b1 = Avx2.Permute4x64(t0, 0xB1);
        (c0, c1) = (c1, c0);
        t0 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0xCC).AsUInt64();
        t1 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0x33).AsUInt64();
        d0 = Avx2.Permute4x64(t0, 0xB1);
        d1 = Avx2.Permute4x64(t1, 0xB1);

        MixAvx2(ref a0, ref b0, ref c0, ref d0);
        MixAvx2(ref a1, ref b1, ref c1, ref d1);

        t0 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0xCC).AsUInt64();
        t1 = Avx2.Blend(b0.AsUInt32(), b1.AsUInt32(), 0x33).AsUInt64();
        b0 = Avx2.Permute4x64(t0, 0xB1);
        b1 = Avx2.Permute4x64(t1, 0xB1);
        (c0, c1) = (c1, c0);
        t0 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0x33).AsUInt64();
        t1 = Avx2.Blend(d0.AsUInt32(), d1.AsUInt32(), 0xCC).AsUInt64();
        d0 = Avx2.Permute4x64(t0, 0xB1);
        d1 = Avx2.Permute4x64(t1, 0xB1);

        (a0r, a1r, b0r, b1r, c0r, c1r, d0r, d1r) = (a0, a1, b0, b1, c0, c1, d0, d1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MixAvx2(ref Vector256<ulong> a, ref Vector256<ulong> b, ref Vector256<ulong> c, ref Vector256<ulong> d)
    {
        var product = Avx2.Multiply(a.AsUInt32(), b.AsUInt32());
        a = a + b + product + product;
        d = Avx2.Shuffle((d ^ a).AsUInt32(), 0xB1).AsUInt64();
        product = Avx2.Multiply(c.AsUInt32(), d.AsUInt32());
        c = c + d + product + product;
        b = Avx2.Shuffle((b ^ c).AsByte(), Rotate24).AsUInt64();
        product = Avx2.Multiply(a.AsUInt32(), b.AsUInt32());
        a = a + b + product + product;
        d = Avx2.Shuffle((d ^ a).AsByte(), Rotate16).AsUInt64();
        product = Avx2.Multiply(c.AsUInt32(), d.AsUInt32());
        c = c + d + product + product;
        var x = b ^ c;
        b = Avx2.ShiftRightLogical(x, 63) ^ (x + x);
    }
}
