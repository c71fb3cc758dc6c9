using SecretOps.Core.Vault;

namespace SecretOps.Core.Tests.Vault;

public class VaultSettingsTests
{
    private static readonly string Root = OperatingSystem.IsWindows() ? @"C:\stores\" : "/stores/";

    private static VaultSettings Parse(params (string Key, object? Value)[] entries) =>
        VaultSettings.Parse(entries.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)));

    [Fact]
    public void KeysIgnoreCase_AndVerboseIsIgnored()
    {
        var settings = Parse(("path", Root + "team.db"), ("NAMESPACE", "ci"), ("cLiEnT", "runner"), ("secretfile", Root + "runner.secret"), ("Verbose", true));
        Assert.Equal(Root + "team.db", settings.Path);
        Assert.Equal("ci", settings.Namespace);
        Assert.Equal("runner", settings.Client);
        Assert.Equal(VaultAuthentication.SecretFile, settings.Authentication);
        Assert.Equal(Root + "runner.secret", settings.CredentialSource);
    }

    [Fact]
    public void NothingGiven_ResolvesLikeTheOtherSurfaces()
    {
        var settings = VaultSettings.Parse(null);
        Assert.Null(settings.Path);
        Assert.Equal(VaultAuthentication.Default, settings.Authentication);
    }

    [Theory]
    [InlineData("KeyFile", VaultAuthentication.KeyFile)]
    [InlineData("SecretFile", VaultAuthentication.SecretFile)]
    public void FileSources_AreAbsolute(string key, VaultAuthentication expected)
    {
        var settings = Parse((key, Root + "x.pem"));
        Assert.Equal(expected, settings.Authentication);
        Assert.Equal(Root + "x.pem", settings.CredentialSource);
    }

    [Fact]
    public void EnvironmentVariable_IsANameNotAValue()
    {
        Assert.Equal("CI_SECRET", Parse(("SecretEnvironmentVariable", "CI_SECRET")).CredentialSource);
        var e = Assert.Throws<InvalidParameterException>(() => Parse(("SecretEnvironmentVariable", "correct horse battery")));
        Assert.Contains("name a variable", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData("True")]
    [InlineData("true")]
    public void Prompt_AcceptsABoolOrItsText(object value) =>
        Assert.Equal(VaultAuthentication.Prompt, Parse(("Prompt", value)).Authentication);

    [Fact]
    public void PromptFalse_IsDefault() =>
        Assert.Equal(VaultAuthentication.Default, Parse(("Prompt", false)).Authentication);

    [Theory]
    [InlineData("Passphrase")]
    [InlineData("passphrase")]
    [InlineData("Secret")]
    [InlineData("ClientSecret")]
    [InlineData("Password")]
    [InlineData("PASSWORD")]
    public void SecretLookingKeys_AreRefused_SayingWhy(string key)
    {
        var e = Assert.Throws<InvalidParameterException>(() => Parse((key, "hunter2")));
        Assert.Contains("plain JSON", e.Message);
        Assert.Contains(key, e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Fact]
    public void AGeneratedSecretAsAValue_IsRefused()
    {
        var e = Assert.Throws<InvalidParameterException>(() => Parse(("Client", "secretops_" + new string('a', 54))));
        Assert.Contains("looks like a client secret", e.Message);
        Assert.DoesNotContain("aaaa", e.Message);
    }

    [Fact]
    public void UnknownKeys_AreRefused_ListingTheKnownOnes()
    {
        var e = Assert.Throws<InvalidParameterException>(() => Parse(("Store", Root + "a.db")));
        Assert.Contains("Unknown VaultParameters key 'Store'", e.Message);
        Assert.Contains("Path", e.Message);
    }

    [Fact]
    public void KeysDifferingOnlyByCase_AreRefused() =>
        Assert.Throws<InvalidParameterException>(() => Parse(("Path", Root + "a.db"), ("path", Root + "b.db")));

    [Fact]
    public void MoreThanOneCredentialSource_IsRefused()
    {
        Assert.Throws<InvalidParameterException>(() => Parse(("SecretFile", Root + "a"), ("KeyFile", Root + "b")));
        Assert.Throws<InvalidParameterException>(() => Parse(("SecretEnvironmentVariable", "X"), ("Prompt", true)));
    }

    [Theory]
    [InlineData("Path", "relative/store.db")]
    [InlineData("SecretFile", "runner.secret")]
    [InlineData("KeyFile", "./key.pem")]
    public void RelativePaths_AreRefused(string key, string value)
    {
        var e = Assert.Throws<InvalidParameterException>(() => Parse((key, value)));
        Assert.Contains("absolute path", e.Message);
    }

    // Found by fuzzing (tests/SecretOps.Fuzz, vault-parameters harness): a NUL in a path made Path.GetFullPath
    // throw ArgumentException, which escaped Register-SecretOpsVault and the vault instead of a refusal.
    [Theory]
    [InlineData("Path", "/srv/\0store.db")]
    [InlineData("Path", "~/\0")]
    [InlineData("SecretFile", "/etc/secretops/\0")]
    [InlineData("KeyFile", "/k\0.pem")]
    public void PathsWithANul_AreRefused(string key, string value)
    {
        var e = Assert.Throws<InvalidParameterException>(() => Parse((key, value)));
        Assert.Contains("contains a NUL character", e.Message, StringComparison.Ordinal);
        Assert.Contains("\\u0000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HomeRelativePaths_AreExpanded() =>
        Assert.True(Path.IsPathFullyQualified(Parse(("Path", "~/team.db")).Path!));

    [Fact]
    public void NonTextValues_AreRefused()
    {
        // An array in VaultParameters comes back from SecretManagement's JSON as empty hashtables.
        var e = Assert.Throws<InvalidParameterException>(() => Parse(("Namespace", new object[] { "a" })));
        Assert.Contains("must be text", e.Message);
        Assert.Throws<InvalidParameterException>(() => Parse(("Client", "  ")));
        Assert.Throws<InvalidParameterException>(() => Parse(("Namespace", "not a namespace!")));
    }

    [Fact]
    public void ToVaultParameters_RoundTrips_AndHoldsNoSecret()
    {
        var settings = Parse(("Path", Root + "team.db"), ("Namespace", "ci"), ("Client", "runner"), ("KeyFile", Root + "runner.pem"));
        var parameters = settings.ToVaultParameters();
        Assert.Equal(["Client", "KeyFile", "Namespace", "Path"], parameters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(settings, VaultSettings.Parse(parameters.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value))));

        var prompt = Parse(("Path", Root + "team.db"), ("Prompt", true)).ToVaultParameters();
        Assert.Equal(true, prompt["Prompt"]);
    }
}
