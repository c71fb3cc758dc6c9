using System.Text;
using SecretOps.Core.Crypto;
using KonsciousArgon2id = Konscious.Security.Cryptography.Argon2id;
using IsopohArgon2 = Isopoh.Cryptography.Argon2.Argon2;
using IsopohConfig = Isopoh.Cryptography.Argon2.Argon2Config;
using IsopohType = Isopoh.Cryptography.Argon2.Argon2Type;
using IsopohVersion = Isopoh.Cryptography.Argon2.Argon2Version;

namespace SecretOps.Core.Tests.Crypto;

/// <summary>
/// Our Argon2id against two independent managed implementations, Konscious.Security.Cryptography.Argon2 1.3.1 and
/// Isopoh.Cryptography.Argon2 2.0.0, byte for byte: further differential oracles beside libargon2
/// (<see cref="Argon2DifferentialTests"/>), which need no native library. Small memory so the suite stays fast.
/// </summary>
public class Argon2ManagedOracleTests
{
    /// <summary>
    /// Parameter sets: t, m (KiB), p, tag length, password, salt, secret, associated data lengths. The smallest memory
    /// (8 KiB per lane), memory that is not a multiple of 4p (rounded down the same way by all), tags above 64 bytes
    /// (Argon2's variable-length hash), and a secret and associated data. No empty password: Konscious refuses one
    /// ("Argon2 needs a password set"); libargon2 covers that case in <see cref="Argon2DifferentialTests"/>.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, int> ParameterSets() => new()
    {
        { 1, 8, 1, 32, 1, 8, 0, 0 },
        { 1, 64, 1, 32, 16, 16, 0, 0 },
        { 2, 256, 2, 32, 30, 16, 0, 0 },
        { 3, 1024, 4, 32, 32, 16, 0, 0 },
        { 2, 2048, 1, 64, 12, 32, 0, 0 },
        { 4, 300, 3, 16, 79, 9, 0, 0 },
        { 1, 512, 8, 128, 5, 24, 0, 0 },
        { 2, 1000, 4, 72, 64, 16, 0, 0 },
        { 3, 128, 2, 32, 32, 16, 8, 12 },
        { 1, 4096, 4, 32, 20, 16, 32, 40 },
    };

    [Theory]
    [MemberData(nameof(ParameterSets))]
    public void Argon2id_MatchesKonscious(int iterations, int memoryKiB, int parallelism, int tagLength, int passwordLength, int saltLength, int secretLength, int associatedLength)
    {
        var (password, salt, secret, associatedData) = Inputs(passwordLength, saltLength, secretLength, associatedLength);
        var ours = Ours(iterations, memoryKiB, parallelism, tagLength, password, salt, secret, associatedData);

        using var konscious = new KonsciousArgon2id(password)
        {
            Salt = salt,
            Iterations = iterations,
            MemorySize = memoryKiB,
            DegreeOfParallelism = parallelism,
            KnownSecret = secretLength == 0 ? null : secret,
            AssociatedData = associatedLength == 0 ? null : associatedData,
        };
        var theirs = konscious.GetBytes(tagLength);

        Assert.Equal(Convert.ToHexString(theirs), Convert.ToHexString(ours));
    }

    [Theory]
    [MemberData(nameof(ParameterSets))]
    public void Argon2id_MatchesIsopoh(int iterations, int memoryKiB, int parallelism, int tagLength, int passwordLength, int saltLength, int secretLength, int associatedLength)
    {
        var (password, salt, secret, associatedData) = Inputs(passwordLength, saltLength, secretLength, associatedLength);
        var ours = Ours(iterations, memoryKiB, parallelism, tagLength, password, salt, secret, associatedData);

        var config = new IsopohConfig
        {
            Type = IsopohType.HybridAddressing,
            Version = IsopohVersion.Nineteen,
            TimeCost = iterations,
            MemoryCost = memoryKiB,
            Lanes = parallelism,
            Threads = parallelism,
            HashLength = tagLength,
            Password = password,
            Salt = salt,
            Secret = secretLength == 0 ? null : secret,
            AssociatedData = associatedLength == 0 ? null : associatedData,
        };
        using var isopoh = new IsopohArgon2(config);
        using var hash = isopoh.Hash();

        Assert.Equal(Convert.ToHexString(hash.Buffer), Convert.ToHexString(ours));
    }

    [Fact]
    public void Argon2id_AllThreeAgreeOnTheSameKnownInput()
    {
        // One fixed input all three derive; kept as a readable anchor beside the generated inputs above.
        var password = Encoding.UTF8.GetBytes("correct horse battery staple");
        var salt = Encoding.UTF8.GetBytes("SecretOps-oracle");
        var ours = Ours(2, 512, 2, 32, password, salt, [], []);

        using var konscious = new KonsciousArgon2id(password) { Salt = salt, Iterations = 2, MemorySize = 512, DegreeOfParallelism = 2 };
        var config = new IsopohConfig
        {
            Type = IsopohType.HybridAddressing,
            Version = IsopohVersion.Nineteen,
            TimeCost = 2,
            MemoryCost = 512,
            Lanes = 2,
            Threads = 2,
            HashLength = 32,
            Password = password,
            Salt = salt,
        };
        using var isopoh = new IsopohArgon2(config);
        using var isopohHash = isopoh.Hash();

        Assert.Equal(Convert.ToHexString(ours), Convert.ToHexString(konscious.GetBytes(32)));
        Assert.Equal(Convert.ToHexString(ours), Convert.ToHexString(isopohHash.Buffer));
    }

    private static byte[] Ours(int iterations, int memoryKiB, int parallelism, int tagLength, byte[] password, byte[] salt, byte[] secret, byte[] associatedData)
    {
        var output = new byte[tagLength];
        Argon2.DeriveBytes(new Argon2Parameters(Argon2Type.Argon2id, iterations, memoryKiB, parallelism), password, salt, output, secret, associatedData);
        return output;
    }

    /// <summary>Deterministic inputs of the given lengths (a different byte pattern for each, so no two coincide).</summary>
    private static (byte[] Password, byte[] Salt, byte[] Secret, byte[] AssociatedData) Inputs(int passwordLength, int saltLength, int secretLength, int associatedLength)
    {
        var random = new Random(passwordLength * 7919 + saltLength * 104729 + secretLength * 31 + associatedLength);
        return (Bytes(random, passwordLength), Bytes(random, saltLength), Bytes(random, secretLength), Bytes(random, associatedLength));
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
