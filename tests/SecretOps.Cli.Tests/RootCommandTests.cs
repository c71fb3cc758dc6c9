namespace SecretOps.Cli.Tests;

public class RootCommandTests
{
    [Fact]
    public void Version_PrintsTheProductVersion()
    {
        var result = Cli.Run("--version");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Stdout.Trim());
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public void Help_DescribesTheTool()
    {
        var result = Cli.Run("--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout);
        Assert.Contains("secretops", result.Stdout);
    }

    [Fact]
    public void UnknownCommand_IsAUsageError()
    {
        var result = Cli.Run("frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("frobnicate", result.Stderr);
    }
}
