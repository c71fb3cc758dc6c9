using SecretOps.Core.Storage;

namespace SecretOps.Core.Tests.Configuration;

/// <summary>The one reader of outsider-controlled files and streams: its limits, and that it reads no further than them.</summary>
public sealed class InputFileTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("secretops-inputfile-").FullName;

    public static TheoryData<InputFileKind> Kinds() => new(Enum.GetValues<InputFileKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryKind_ReadsUpToItsLimit_AndRefusesOneByteMore_NamingTheFileAndTheLimit(InputFileKind kind)
    {
        var limit = InputFile.Limit(kind);
        var exact = Path.Combine(directory, "exact");
        var over = Path.Combine(directory, "over");
        File.WriteAllBytes(exact, Enumerable.Repeat((byte)'a', limit).ToArray());
        File.WriteAllBytes(over, Enumerable.Repeat((byte)'a', limit + 1).ToArray());

        Assert.Equal(limit, InputFile.ReadBytes(exact, kind).Length);
        var error = Assert.Throws<InvalidParameterException>(() => InputFile.ReadBytes(over, kind));
        Assert.Contains($"The {InputFile.Describe(kind)} '{over}' is larger than {InputFile.DescribeLimit(limit)}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLimits_AreTheDocumentedOnes()
    {
        Assert.Equal(1024 * 1024, InputFile.Limit(InputFileKind.Value));
        Assert.Equal(1024 * 1024, InputFile.Limit(InputFileKind.Policy));
        Assert.Equal(256 * 1024, InputFile.Limit(InputFileKind.Configuration));
        Assert.Equal(64 * 1024, InputFile.Limit(InputFileKind.ClientSecret));
        Assert.Equal(64 * 1024, InputFile.Limit(InputFileKind.PrivateKey));
        Assert.Equal(64 * 1024, InputFile.Limit(InputFileKind.PublicKey));
        Assert.Equal("1 MiB (1048576 bytes)", InputFile.DescribeLimit(1024 * 1024));
    }

    [Fact]
    public void AnEndlessStream_IsReadNoFurtherThanTheLimitAndOneByte()
    {
        var endless = new EndlessStream();
        var error = Assert.Throws<InvalidParameterException>(() => InputFile.ReadStream(endless, 1000, "The test stream", "stdin"));
        Assert.Contains("The test stream is larger than 1000 bytes (1000 bytes)", error.Message, StringComparison.Ordinal);
        Assert.Equal(1001, endless.Delivered);
    }

    [Fact]
    public void AFileThatIsNotText_IsRefusedAsText_ButReadAsBytes()
    {
        var path = Path.Combine(directory, "binary");
        File.WriteAllBytes(path, [0x61, 0xFF, 0xFE]);
        Assert.Equal(3, InputFile.ReadBytes(path, InputFileKind.Value).Length);
        Assert.Contains($"The policy file '{path}' is not UTF-8 text", Assert.Throws<InvalidParameterException>(() => InputFile.ReadText(path, InputFileKind.Policy)).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>Zeros for ever, like /dev/zero, counting what it handed out.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Delivered { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Delivered; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            Delivered += count;
            return count;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
