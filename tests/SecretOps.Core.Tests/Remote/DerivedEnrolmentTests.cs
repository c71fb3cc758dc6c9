using SecretOps.Core.Clients;
using SecretOps.Core.Remote;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Remote;

/// <summary>
/// A client with a generated secret derives its own enrolment token, and signs for a server with the key its secret
/// derives when it has no token file: proven on a store file, named by id for a server, refused for other credentials.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class DerivedEnrolmentTests : IDisposable
{
    /// <summary>No server answers here: anything that tries to reach it fails, so a passing test sent nothing.</summary>
    private const string Unreachable = "https://127.0.0.1:1";

    private readonly string? savedTokenFile = Environment.GetEnvironmentVariable("SECRETOPS_TOKEN_FILE");
    private readonly TempStore store = new(generateSecret: true);

    public DerivedEnrolmentTests() => Environment.SetEnvironmentVariable("SECRETOPS_TOKEN_FILE", null);

    [Fact]
    public void OnAStoreFile_TheTokenIsTheConnectedClientsOwn_AndAWrongSecretGetsNone()
    {
        using var credential = ClientCredential.FromGeneratedSecret(store.Created.ClientSecret!);
        var token = SecretStore.DeriveEnrolmentToken(store.Path, "system", credential);
        Assert.Equal(EnrolmentToken.Derive(store.Created.ClientId, credential), token);

        using var wrong = ClientCredential.FromGeneratedSecret(GeneratedSecret.Create());
        Assert.Throws<AuthenticationFailedException>(() => SecretStore.DeriveEnrolmentToken(store.Path, "system", wrong));
    }

    [Fact]
    public void ForAServer_TheClientIsNamedByItsId_AndNothingIsSent()
    {
        using var credential = ClientCredential.FromGeneratedSecret(store.Created.ClientSecret!);
        var byName = Assert.Throws<InvalidParameterException>(() => SecretStore.DeriveEnrolmentToken(Unreachable, "system", credential));
        Assert.Contains("by its id", byName.Message, StringComparison.Ordinal);

        var id = store.Created.ClientId;
        Assert.Equal(EnrolmentToken.Derive(id, credential), SecretStore.DeriveEnrolmentToken(Unreachable, id.ToString(), credential));
    }

    [Fact]
    public void OpeningAServer_WithNoTokenFile_NeedsAGeneratedSecretAndAClientId()
    {
        using var passphrase = ClientCredential.FromPassphrase(TempStore.Passphrase);
        var noToken = Assert.Throws<InvalidParameterException>(() =>
            SecretStore.Open(Unreachable, new StoreOpenOptions { Client = store.Created.ClientId.ToString(), Credential = passphrase }));
        Assert.Equal(SecretOpsHint.GiveEnrolmentToken, noToken.Hint);

        using var secret = ClientCredential.FromGeneratedSecret(store.Created.ClientSecret!);
        var byName = Assert.Throws<InvalidParameterException>(() => SecretStore.Open(Unreachable, new StoreOpenOptions { Client = "system", Credential = secret }));
        Assert.Equal(SecretOpsHint.GiveEnrolmentToken, byName.Hint);
        Assert.Contains("by its id", byName.Message, StringComparison.Ordinal);

        // With the id, the key is derived and the server is asked: here nobody answers.
        Assert.IsType<StoreUnavailableException>(Record.Exception(() =>
            SecretStore.Open(Unreachable, new StoreOpenOptions { Client = store.Created.ClientId.ToString(), Credential = secret })));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("SECRETOPS_TOKEN_FILE", savedTokenFile);
        store.Dispose();
    }
}
