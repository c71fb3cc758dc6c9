using System.Text.RegularExpressions;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>The operator's commands of the real server executable on an SQLite database: what they print and their exit codes.</summary>
[Collection(ServerProcessCollection.Name)]
public sealed partial class OperatorCommandTests(TestTlsFiles tls) : IClassFixture<TestTlsFiles>
{
    [Fact]
    public async Task Enrol_PrintsOneTokenLine_AndClientsListsTheClientWithoutItsKey()
    {
        var database = NewDatabase();
        var client = await SignedServer.EnrolAsync(database, "10.0.0.0/8", "192.0.2.7");
        Assert.Matches(TokenFormat(), client.Token);

        var listing = await SignedServer.CommandAsync(database, "clients");
        Assert.Matches($@"^{client.Id}\tactive\t\d{{4}}-\d\d-\d\dT[0-9:.]+Z\tallowed from 10\.0\.0\.0/8 192\.0\.2\.7/32$", listing.Trim());
        Assert.DoesNotContain(client.Token.Split(':')[2], listing, StringComparison.Ordinal);

        Assert.Contains("any address", await SignedServer.CommandAsync(database, "allow", "--client", client.Id.ToString()), StringComparison.Ordinal);
        Assert.Contains("disabled", await SignedServer.CommandAsync(database, "disable", "--client", client.Id.ToString()), StringComparison.Ordinal);
        Assert.Contains($"{client.Id}\tdisabled", await SignedServer.CommandAsync(database, "clients"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrollingAnEnrolledClient_IsAConflict_UnlessReplaced()
    {
        var database = NewDatabase();
        var client = await SignedServer.EnrolAsync(database);
        var (code, errors) = await Failing(database, "enrol", "--client", client.Id.ToString());
        Assert.Equal(6, code);
        Assert.Contains("--replace", errors, StringComparison.Ordinal);

        var replaced = (await SignedServer.CommandAsync(database, "enrol", "--client", client.Id.ToString(), "--replace")).Trim();
        Assert.Matches(TokenFormat(), replaced);
        Assert.NotEqual(client.Token, replaced);
    }

    [Fact]
    public async Task DisablingAClientNotEnrolled_IsNotFound()
    {
        var database = NewDatabase();
        await SignedServer.EnrolAsync(database);
        var (code, errors) = await Failing(database, "disable", "--client", "6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88");
        Assert.Equal(3, code);
        Assert.Contains("is not enrolled", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clients")]
    [InlineData("audit")]
    [InlineData("disable", "--client", "6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88")]
    public async Task ACommandOtherThanEnrol_OnAMissingDatabase_IsNotFound_AndCreatesNothing(params string[] arguments)
    {
        var database = NewDatabase();
        var (code, errors) = await Failing(database, arguments);
        Assert.Equal(3, code);
        Assert.Contains("There is no server database at", errors, StringComparison.Ordinal);
        Assert.False(File.Exists(database.Location.Connection));
    }

    [Theory]
    [InlineData(2, "enrol", "--client", "not-a-uuid")]
    [InlineData(2, "enrol", "--client", "6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88", "--allow", "10.0.0.1/8")]
    public async Task BadInput_IsRefusedWithTheCliExitCode(int exitCode, params string[] arguments)
    {
        var (code, errors) = await Failing(NewDatabase(), arguments);
        Assert.Equal(exitCode, code);
        Assert.StartsWith("secretops-server: ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_PrintsTheLatestRequests()
    {
        var database = NewDatabase();
        var client = await SignedServer.EnrolAsync(database);
        using (var server = await SignedServer.StartAsync(tls, database))
        using (var signing = server.SigningClient(client))
        using (var response = await signing.GetAsync("/v1/whoami?secret=x", TestContext.Current.CancellationToken))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        var audit = (await SignedServer.CommandAsync(database, "audit", "--count", "5")).Trim();
        Assert.Matches($@"^\S+Z\tAllowed\tGET\t/v1/whoami\tclient {client.Id}\tpeer 127\.0\.0\.1\tresolved 127\.0\.0\.1$", audit);
    }

    private static async Task<(int Code, string Errors)> Failing(TestDatabase database, params string[] arguments)
    {
        using var command = ServerProcess.Start([.. arguments, .. database.Flags], database.Environment);
        var code = await command.WaitForExitAsync();
        return (code, command.Errors);
    }

    private TestDatabase NewDatabase()
    {
        tls.Require();
        return TestDatabase.Sqlite(tls.Scratch($"operator-{Guid.NewGuid():N}/server.db"));
    }

    [GeneratedRegex("^secretops-enrol-v1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[A-Za-z0-9_-]{43}$")]
    private static partial Regex TokenFormat();
}
