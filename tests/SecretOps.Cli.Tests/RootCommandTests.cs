namespace SecretOps.Cli.Tests;

public class RootCommandTests
{
    public static readonly TheoryData<string> Commands = new(
        "store", "store init", "store info", "store check", "store backup", "store restore",
        "secret", "secret set", "secret get", "secret list", "secret history", "secret restore", "secret rm",
        "ns", "ns create", "ns list", "ns set", "ns rm", "ns rotate",
        "client", "client add", "client list", "client show", "client set", "client disable", "client enable", "client retire", "client rotate",
        "grant", "revoke", "permissions",
        "policy", "policy export", "policy apply",
        "audit", "audit list", "audit verify");

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
        foreach (var option in new[] { "--store", "--client", "--namespace", "--profile", "--passphrase-stdin", "--secret-file", "--key-file", "--output", "--verbose" })
        {
            Assert.Contains(option, result.Stdout);
        }

        Assert.Contains("Exit codes", result.Stdout);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommand_HasHelp_WithADescriptionForEachOption(string command)
    {
        var result = Cli.Run([.. command.Split(' '), "--help"], stdin: null, environment: null);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"secretops {command}", result.Stdout);
        var lines = result.Stdout.Split('\n');
        var description = Array.IndexOf(lines, "Description:");
        Assert.True(description >= 0 && lines[description + 1].Trim().Length > 10, result.Stdout);

        // Every option and argument row has text after its name.
        var rows = lines.SkipWhile(l => l is not ("Options:" or "Arguments:")).Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.TrimStart().StartsWith('-'));
        Assert.All(rows, row => Assert.Matches(@"^\s+\S.*\S\s{2,}\S", row));
    }

    [Fact]
    public void SecretSetHelp_ListsTheSafeFormsFirst_AndSaysTheArgumentFormIsVisibleToOtherUsers()
    {
        var result = Cli.Run("secret", "set", "--help");
        Assert.Equal(0, result.ExitCode);
        var help = System.Text.RegularExpressions.Regex.Replace(result.Stdout, @"\s+", " ");
        var stdin = help.IndexOf("--stdin ", StringComparison.Ordinal);
        var file = help.IndexOf("--file <F>", StringComparison.Ordinal);
        var value = help.IndexOf("--value <V>", StringComparison.Ordinal);
        Assert.True(stdin >= 0 && stdin < file && file < value, help);
        Assert.Contains("--value <V> The value as an argument: VISIBLE TO OTHER LOCAL USERS in the process list", help, StringComparison.Ordinal);
        Assert.Contains("kept in your shell's history", help, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCommand_IsAUsageError()
    {
        var result = Cli.Run("frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("frobnicate", result.Stderr);
    }

    [Fact]
    public void ParseErrors_AreUsageErrors()
    {
        Assert.Equal(2, Cli.Run("secret").ExitCode);
        Assert.Equal(2, Cli.Run("secret", "get").ExitCode);
        Assert.Equal(2, Cli.Run("secret", "restore", "x").ExitCode);
        Assert.Equal(2, Cli.Run("secret", "get", "x", "--version", "one").ExitCode);
        Assert.Equal(2, Cli.Run("client").ExitCode);
        Assert.Equal(2, Cli.Run("grant").ExitCode);
        Assert.Equal(2, Cli.Run("grant", "bob", "--namespace", "x").ExitCode);
        Assert.Equal(2, Cli.Run("client", "add", "bob", "--role", "system").ExitCode);
        Assert.Equal(2, Cli.Run("policy", "apply").ExitCode);
        var badOutput = Cli.Run("secret", "list", "--output", "xml");
        Assert.Equal(2, badOutput.ExitCode);
        Assert.Contains("xml", badOutput.Stderr);
    }
}
