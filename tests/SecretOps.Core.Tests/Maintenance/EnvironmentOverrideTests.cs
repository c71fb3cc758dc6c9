using SecretOps.Core.Audit;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Maintenance;

[Collection(EnvironmentCollection.Name)]
public class EnvironmentOverrideTests
{
    [Fact]
    public void WhenEnabled_TheVariableWins_IsAudited_AndNothingIsPersisted()
    {
        using var store = new TempStore();
        var variable = Session.OverrideVariable("default", "db.password");
        Assert.Equal("SECRETOPS_SECRET_DEFAULT_DB_PASSWORD", variable);
        using (var setup = store.ConnectSystem())
        {
            setup.SetSecret("default", "db.password", SecretValue.FromString("stored"));
        }

        Environment.SetEnvironmentVariable(variable, "from-environment");
        try
        {
            using var credential = ClientCredential.FromPassphrase(TempStore.Passphrase);
            using (var enabled = SecretStore.Open(store.Path).Connect("system", credential, new SessionOptions { EnvironmentOverrides = true }))
            {
                using var read = enabled.GetSecret("default", "db.password");
                Assert.Equal("from-environment", read.Value.GetString());
                Assert.True(read.Entry.IsEnvironmentOverride);
                Assert.True(enabled.ListSecrets("default").Single().IsEnvironmentOverride);
                using var old = enabled.GetSecret("default", "db.password", version: 1);
                Assert.Equal("stored", old.Value.GetString());
            }

            using var disabled = store.ConnectSystem();
            using (var read = disabled.GetSecret("default", "db.password"))
            {
                Assert.Equal("stored", read.Value.GetString());
            }

            Assert.Contains(disabled.ListAudit(new AuditQuery(Action: "secret.get")), e => e.Outcome == "override");
            Assert.Equal([1], disabled.GetHistory("default", "db.password").Select(v => v.Version));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
