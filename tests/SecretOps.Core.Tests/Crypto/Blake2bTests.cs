using System.Text;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Crypto;

public class Blake2bTests
{
    [Fact]
    public void Abc_MatchesRfc7693AppendixA()
    {
        var digest = new byte[64];
        Blake2b.Hash("abc"u8, digest);
        Assert.Equal(
            "BA80A53F981C4D0D6A2797B69F12F6E94C212F14685AC4B74B12BB6FDBFFA2D17D87C5392AAB792DC252D5DE4533CC9518D38AA8DBF1925AB92386EDD4009923",
            Convert.ToHexString(digest));
    }

    [Fact]
    public void EmptyInput_MatchesKnownDigest()
    {
        var digest = new byte[64];
        Blake2b.Hash([], digest);
        Assert.Equal(
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce",
            Convert.ToHexString(digest).ToLowerInvariant());
    }

    [Theory]
    [InlineData("", "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568")]
    [InlineData("00", "961f6dd1e4dd30f63901690c512e78e4b45e4742ed197c3c5e45c549fd25f2e4187b0bc9fe30492b16b0d0bc4ef9b0f34c7003fac09a5ef1532e69430234cebd")]
    public void Keyed_MatchesBlake2KatFile(string inputHex, string expectedHex)
    {
        var key = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        var digest = new byte[64];
        Blake2b.Hash(Convert.FromHexString(inputHex), digest, key);
        Assert.Equal(expectedHex, Convert.ToHexString(digest).ToLowerInvariant());
    }

    [Fact]
    public void GrandHash_MatchesRfc7693AppendixE()
    {
        // Covers every output length class, keying, and the 128/129-byte block boundary.
        using var grand = new Blake2b(32);
        foreach (var outputLength in new[] { 20, 32, 48, 64 })
        {
            foreach (var inputLength in new[] { 0, 3, 128, 129, 255, 1024 })
            {
                var input = SelfTestSequence(inputLength, (uint)inputLength);
                var digest = new byte[outputLength];
                Blake2b.Hash(input, digest);
                grand.Update(digest);
                Blake2b.Hash(input, digest, SelfTestSequence(outputLength, (uint)outputLength));
                grand.Update(digest);
            }
        }

        var result = new byte[32];
        grand.Finish(result);
        Assert.Equal("C23A7800D98123BD10F506C61E29DA5603D763B8BBAD2E737F5E765A7BCCD475", Convert.ToHexString(result));
    }

    [Fact]
    public void IncrementalUpdates_InAnySplit_EqualOneShot()
    {
        var random = new Random(7693);
        var data = new byte[1000];
        random.NextBytes(data);
        var expected = new byte[64];
        Blake2b.Hash(data, expected);
        for (var trial = 0; trial < 50; trial++)
        {
            using var hash = new Blake2b(64);
            var position = 0;
            while (position < data.Length)
            {
                var take = Math.Min(random.Next(0, 300), data.Length - position);
                hash.Update(data.AsSpan(position, take));
                position += take;
            }

            var actual = new byte[64];
            hash.Finish(actual);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void OutputLengthOutOfRange_IsRefused(int length)
    {
        var error = Assert.Throws<InvalidParameterException>(() => new Blake2b(length));
        Assert.Equal("SecretOps.InvalidParameter", error.ErrorId);
    }

    [Fact]
    public void KeyLongerThan64Bytes_IsRefused() =>
        Assert.Throws<InvalidParameterException>(() => new Blake2b(64, new byte[65]));

    [Fact]
    public void FinishTwice_IsRefused()
    {
        var hash = new Blake2b(32);
        hash.Update(Encoding.ASCII.GetBytes("x"));
        hash.Finish(new byte[32]);
        Assert.Throws<ObjectDisposedException>(() => hash.Finish(new byte[32]));
    }

    private static byte[] SelfTestSequence(int length, uint seed)
    {
        var output = new byte[length];
        uint a = 0xDEAD4BAD * seed, b = 1;
        for (var i = 0; i < length; i++)
        {
            var t = a + b;
            a = b;
            b = t;
            output[i] = (byte)(t >> 24);
        }

        return output;
    }
}
