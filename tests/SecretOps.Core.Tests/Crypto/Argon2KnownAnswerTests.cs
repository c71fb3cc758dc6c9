using System.Text;
using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Crypto;

/// <summary>RFC 9106 §5 and phc-winner-argon2 test.c vectors, on every implementation this processor runs.</summary>
public class Argon2KnownAnswerTests
{
    // Names rather than the internal enum, so xunit can show and pass them.
    public static TheoryData<string> Implementations()
    {
        var data = new TheoryData<string> { nameof(Argon2Implementation.Scalar) };
        if (Argon2.IsAccelerated)
        {
            data.Add(nameof(Argon2Implementation.Avx2));
        }

        return data;
    }

    public static TheoryData<Argon2Type, string, string> RfcVectors()
    {
        var data = new TheoryData<Argon2Type, string, string>();
        foreach (var implementation in Implementations())
        {
            data.Add(Argon2Type.Argon2d, "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb", implementation);
            data.Add(Argon2Type.Argon2i, "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8", implementation);
            data.Add(Argon2Type.Argon2id, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", implementation);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RfcVectors))]
    public void Rfc9106Section5(Argon2Type type, string expectedTag, string implementation)
    {
        var parameters = new Argon2Parameters(type, iterations: 3, memoryKiB: 32, parallelism: 4);
        var tag = new byte[32];
        Argon2.DeriveBytes(parameters, Repeat(0x01, 32), Repeat(0x02, 16), tag, Repeat(0x03, 8), Repeat(0x04, 12), Enum.Parse<Argon2Implementation>(implementation));
        Assert.Equal(expectedTag, Convert.ToHexString(tag).ToLowerInvariant());
    }

    public static TheoryData<Argon2Type, Argon2Version, int, int, int, string, string, string> TestCVectors()
    {
        const string Pwd = "password", Salt = "somesalt";
        var rows = new (Argon2Type, Argon2Version, int T, int M, int P, string Pwd, string Salt, string Hex)[]
        {
            (Argon2Type.Argon2id, Argon2Version.Version13, 2, 65536, 1, Pwd, Salt, "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"),
            (Argon2Type.Argon2id, Argon2Version.Version13, 2, 262144, 1, Pwd, Salt, "78fe1ec91fb3aa5657d72e710854e4c3d9b9198c742f9616c2f085bed95b2e8c"),
            (Argon2Type.Argon2id, Argon2Version.Version13, 2, 256, 1, Pwd, Salt, "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe"),
            (Argon2Type.Argon2id, Argon2Version.Version13, 2, 256, 2, Pwd, Salt, "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037"),
            (Argon2Type.Argon2id, Argon2Version.Version13, 1, 65536, 1, Pwd, Salt, "f6a5adc1ba723dddef9b5ac1d464e180fcd9dffc9d1cbf76cca2fed795d9ca98"),
            (Argon2Type.Argon2id, Argon2Version.Version13, 4, 65536, 1, Pwd, Salt, "9025d48e68ef7395cca9079da4c4ec3affb3c8911fe4f86d1a2520856f63172c"),
            (Argon2Type.Argon2id, Argon2Version.Version13, 2, 65536, 1, "differentpassword", Salt, "0b84d652cf6b0c4beaef0dfe278ba6a80df6696281d7e0d2891b817d8c458fde"),
            (Argon2Type.Argon2id, Argon2Version.Version13, 2, 65536, 1, Pwd, "diffsalt", "bdf32b05ccc42eb15d58fd19b1f856b113da1e9a5874fdcc544308565aa8141c"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 2, 65536, 1, Pwd, Salt, "c1628832147d9720c5bd1cfd61367078729f6dfb6f8fea9ff98158e0d7816ed0"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 2, 262144, 1, Pwd, Salt, "296dbae80b807cdceaad44ae741b506f14db0959267b183b118f9b24229bc7cb"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 2, 256, 1, Pwd, Salt, "89e9029f4637b295beb027056a7336c414fadd43f6b208645281cb214a56452f"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 2, 256, 2, Pwd, Salt, "4ff5ce2769a1d7f4c8a491df09d41a9fbe90e5eb02155a13e4c01e20cd4eab61"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 1, 65536, 1, Pwd, Salt, "d168075c4d985e13ebeae560cf8b94c3b5d8a16c51916b6f4ac2da3ac11bbecf"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 4, 65536, 1, Pwd, Salt, "aaa953d58af3706ce3df1aefd4a64a84e31d7f54175231f1285259f88174ce5b"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 2, 65536, 1, "differentpassword", Salt, "14ae8da01afea8700c2358dcef7c5358d9021282bd88663a4562f59fb74d22ee"),
            (Argon2Type.Argon2i, Argon2Version.Version13, 2, 65536, 1, Pwd, "diffsalt", "b0357cccfbef91f3860b0dba447b2348cbefecadaf990abfe9cc40726c521271"),
            (Argon2Type.Argon2i, Argon2Version.Version10, 2, 65536, 1, Pwd, Salt, "f6c4db4a54e2a370627aff3db6176b94a2a209a62c8e36152711802f7b30c694"),
        };
        var data = new TheoryData<Argon2Type, Argon2Version, int, int, int, string, string, string>();
        foreach (var (type, version, t, m, p, password, salt, hex) in rows)
        {
            data.Add(type, version, t, m, p, password, salt, hex);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TestCVectors))]
    public void PhcTestC(Argon2Type type, Argon2Version version, int iterations, int memoryKiB, int parallelism, string password, string salt, string expectedHex)
    {
        var parameters = new Argon2Parameters(type, iterations, memoryKiB, parallelism, version);
        foreach (var implementation in Implementations())
        {
            var tag = new byte[32];
            Argon2.DeriveBytes(parameters, Encoding.ASCII.GetBytes(password), Encoding.ASCII.GetBytes(salt), tag, default, default,
                               Enum.Parse<Argon2Implementation>(implementation.Data));
            Assert.True(expectedHex == Convert.ToHexString(tag).ToLowerInvariant(), $"{implementation} implementation disagrees");
        }
    }

    [Fact]
    public void LongTag_UsesVariableLengthHash_AndMatchesArgon2Cli()
    {
        // echo -n password | argon2 somesalt -t 2 -m 16 -p 4 -l 24 -r  (Argon2i, README example)
        var parameters = new Argon2Parameters(Argon2Type.Argon2i, 2, 65536, 4);
        var tag = Argon2.DeriveBytes(parameters, "password"u8, "somesalt"u8, 24);
        Assert.Equal("45d7ac72e76f242b20b77b9bf9bf9d5915894e669a24e6c6", Convert.ToHexString(tag).ToLowerInvariant());
    }

    private static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();
}
