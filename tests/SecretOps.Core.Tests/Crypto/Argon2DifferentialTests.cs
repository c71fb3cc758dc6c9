using SecretOps.Core.Crypto;
using SecretOps.Core.Tests.Support;
using SecretOps.ReferenceLibs;

namespace SecretOps.Core.Tests.Crypto;

/// <summary>Our Argon2 against Debian's libargon2 (phc-winner-argon2) on random parameters, byte for byte.</summary>
public class Argon2DifferentialTests(ITestOutputHelper output)
{
    private const int Cases = 240;

    [Fact]
    public void RandomParameterSets_AgreeWithLibargon2()
    {
        ReferenceRequirement.Require(Libargon2.UnavailableReason);
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed} (set SECRETOPS_ARGON2_SEED to replay)");
        if (int.TryParse(Environment.GetEnvironmentVariable("SECRETOPS_ARGON2_SEED"), out var replay))
        {
            seed = replay;
        }

        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var type = (Argon2Type)random.Next(0, 3);
            var version = random.Next(0, 4) == 0 ? Argon2Version.Version10 : Argon2Version.Version13;
            var parallelism = random.Next(1, 9);
            var memoryKiB = random.Next(8 * parallelism, 8 * parallelism + 1200);
            var iterations = random.Next(1, 5);
            var tagLength = random.Next(0, 3) == 0 ? random.Next(65, 300) : random.Next(4, 65);
            var password = Bytes(random, random.Next(0, 80));
            var salt = Bytes(random, random.Next(8, 40));
            var secret = Bytes(random, random.Next(0, 3) == 0 ? 0 : random.Next(1, 40));
            var associatedData = Bytes(random, random.Next(0, 3) == 0 ? 0 : random.Next(1, 40));

            var expected = Libargon2.Hash((int)type, (int)version, iterations, memoryKiB, parallelism, tagLength, password, salt, secret, associatedData);
            var parameters = new Argon2Parameters(type, iterations, memoryKiB, parallelism, version);
            foreach (var implementation in Argon2KnownAnswerTests.Implementations())
            {
                var actual = new byte[tagLength];
                Argon2.DeriveBytes(parameters, password, salt, actual, secret, associatedData, Enum.Parse<Argon2Implementation>(implementation.Data));
                Assert.True(expected.AsSpan().SequenceEqual(actual),
                    $"case {i} (seed {seed}): {type} v0x{(int)version:x} t={iterations} m={memoryKiB} p={parallelism} T={tagLength} " +
                    $"|P|={password.Length} |S|={salt.Length} |K|={secret.Length} |X|={associatedData.Length} {implementation.Data}");
            }
        }
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
