using SecretOps.Core.Crypto;

namespace SecretOps.Core.Tests.Crypto;

public class Argon2ParameterTests
{
    [Theory]
    [InlineData(0, 64, 1, "iterations")]
    [InlineData(1, 63, 8, "memoryKiB")]
    [InlineData(1, 64, 0, "parallelism")]
    [InlineData(1, 1 << 30, 16777216, "parallelism")]
    public void OutOfRangeParameters_AreRefusedWithTheirName(int iterations, int memoryKiB, int parallelism, string parameter)
    {
        var error = Assert.Throws<InvalidParameterException>(() => new Argon2Parameters(Argon2Type.Argon2id, iterations, memoryKiB, parallelism));
        Assert.Equal("SecretOps.InvalidParameter", error.ErrorId);
        Assert.Equal(parameter, error.Target);
    }

    [Fact]
    public void UnknownTypeOrVersion_IsRefused()
    {
        Assert.Throws<InvalidParameterException>(() => new Argon2Parameters((Argon2Type)3, 1, 64, 1));
        Assert.Throws<InvalidParameterException>(() => new Argon2Parameters(Argon2Type.Argon2id, 1, 64, 1, (Argon2Version)0x12));
    }

    [Fact]
    public void ShortSaltOrTag_IsRefused()
    {
        var parameters = new Argon2Parameters(Argon2Type.Argon2id, 1, 64, 1);
        Assert.Equal("salt", Assert.Throws<InvalidParameterException>(() => Argon2.DeriveBytes(parameters, "pw"u8, new byte[7], new byte[32])).Target);
        Assert.Equal("output", Assert.Throws<InvalidParameterException>(() => Argon2.DeriveBytes(parameters, "pw"u8, new byte[8], new byte[3])).Target);
        Assert.Equal("outputLength", Assert.Throws<InvalidParameterException>(() => Argon2.DeriveBytes(parameters, "pw"u8, new byte[8], 3)).Target);
    }

    [Fact]
    public void DefaultParameters_AreAcceptable() => Argon2Parameters.Default.EnsureAcceptable(allowWeak: false);

    [Theory]
    [InlineData(Argon2Type.Argon2id, 2, 65536, 4)]
    [InlineData(Argon2Type.Argon2id, 3, 65535, 4)]
    [InlineData(Argon2Type.Argon2i, 3, 65536, 4)]
    [InlineData(Argon2Type.Argon2d, 3, 65536, 4)]
    public void WeakParameters_AreRefusedUnlessAllowed(Argon2Type type, int iterations, int memoryKiB, int parallelism)
    {
        var parameters = new Argon2Parameters(type, iterations, memoryKiB, parallelism);
        Assert.Throws<InvalidParameterException>(() => parameters.EnsureAcceptable(allowWeak: false));
        parameters.EnsureAcceptable(allowWeak: true);
    }

    [Fact]
    public void LegacyVersion_IsRefusedUnlessAllowed() =>
        Assert.Throws<InvalidParameterException>(() =>
            new Argon2Parameters(Argon2Type.Argon2id, 3, 65536, 4, Argon2Version.Version10).EnsureAcceptable(allowWeak: false));

    [Theory]
    [InlineData(3, Argon2Parameters.MaxMemoryKiB + 1, 4)]
    [InlineData(Argon2Parameters.MaxIterations + 1, 65536, 4)]
    [InlineData(3, 65536, Argon2Parameters.MaxParallelism + 1)]
    public void ParametersAboveTheCaps_AreRefusedEvenWhenWeakIsAllowed(int iterations, int memoryKiB, int parallelism)
    {
        // A tampered header must not be able to make us allocate or spin without bound.
        var parameters = new Argon2Parameters(Argon2Type.Argon2id, iterations, memoryKiB, parallelism);
        Assert.Throws<InvalidParameterException>(() => parameters.EnsureAcceptable(allowWeak: true));
    }

    [Fact]
    public void SecretAndAssociatedData_ChangeTheTag()
    {
        var parameters = new Argon2Parameters(Argon2Type.Argon2id, 1, 64, 1);
        var plain = Argon2.DeriveBytes(parameters, "pw"u8, "saltsalt"u8, 32);
        Assert.NotEqual(plain, Argon2.DeriveBytes(parameters, "pw"u8, "saltsalt"u8, 32, secret: "k"u8));
        Assert.NotEqual(plain, Argon2.DeriveBytes(parameters, "pw"u8, "saltsalt"u8, 32, associatedData: "x"u8));
    }
}
