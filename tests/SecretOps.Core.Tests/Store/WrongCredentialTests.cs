using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Store;

/// <summary>
/// A wrong credential of any kind fails with AuthenticationFailed, adds exactly one audit entry
/// (client.connect, failed, with the error id), and changes nothing else in the store.
/// </summary>
public class WrongCredentialTests
{
    public static TheoryData<string, string> Cases() => new()
    {
        { "passphrase", "wrong passphrase" },
        { "passphrase", "passphrase differing only in case" },
        { "passphrase", "generated secret" },
        { "passphrase", "key file" },
        { "passphrase", "unknown client" },
        { "generated", "wrong generated secret" },
        { "generated", "passphrase" },
        { "generated", "key file" },
    };

    [Trait("Backend", "SqliteOnly")]
    [Theory]
    [MemberData(nameof(Cases))]
    public void WrongCredential_FailsAudited_AndChangesNothingElse(string storeKind, string attempt)
    {
        using var store = new TempStore(generateSecret: storeKind == "generated");
        using (var session = store.ConnectSystem())
        {
            session.SetSecret("default", "db", SecretValue.FromString("v"));
        }

        var tablesBefore = RawDb.Fingerprint(store.Path, "audit");
        var auditBefore = RawDb.Rows(store.Path, "audit");
        var client = attempt == "unknown client" ? "nobody" : SecretStore.SystemClientName;
        using var credential = attempt switch
        {
            "wrong passphrase" => ClientCredential.FromPassphrase("Tr0ub4dor&3"),
            "passphrase differing only in case" => ClientCredential.FromPassphrase(TempStore.Passphrase.ToUpperInvariant()),
            "passphrase" => ClientCredential.FromPassphrase(TempStore.Passphrase),
            "generated secret" or "wrong generated secret" => ClientCredential.FromGeneratedSecret(GeneratedSecret.Create()),
            "key file" => ClientCredential.FromPrivateKey(ClientPrivateKey.Generate()),
            _ => ClientCredential.FromPassphrase(TempStore.Passphrase),
        };

        var error = Assert.Throws<AuthenticationFailedException>(() => SecretStore.Open(store.Path).Connect(client, credential));
        Assert.Equal("SecretOps.AuthenticationFailed", error.ErrorId);
        Assert.Contains(attempt == "unknown client" ? "no client 'nobody'" : "client 'system'", error.Message, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(tablesBefore, RawDb.Fingerprint(store.Path, "audit"));
        var auditAfter = RawDb.Rows(store.Path, "audit");
        Assert.Equal(auditBefore.Count + 1, auditAfter.Count);
        Assert.Equal(auditBefore, auditAfter.Take(auditBefore.Count));
        using var session2 = store.ConnectSystem();
        // The setup's connect and the failed one (session2's own is recorded when it flushes).
        var connects = session2.ListAudit(new SecretOps.Core.Audit.AuditQuery(Action: "client.connect"));
        Assert.Equal(["ok", "failed"], connects.Select(e => e.Outcome));
        var entry = connects[1];
        Assert.Equal(("failed", "SecretOps.AuthenticationFailed"), (entry.Outcome, entry.ErrorId));
        Assert.Equal(attempt == "unknown client" ? "nobody" : "system", entry.ClientName);
        Assert.Equal(attempt == "unknown client" ? null : store.Created.ClientId, entry.ClientId);
        Assert.True(session2.Store.VerifyAudit().IsValid);
    }

    [Fact]
    public void RightCredential_AfterFailures_StillConnects()
    {
        using var store = new TempStore();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = ClientCredential.FromPassphrase($"guess {i}");
            Assert.Throws<AuthenticationFailedException>(() => SecretStore.Open(store.Path).Connect("system", wrong));
        }

        using var session = store.ConnectSystem();
        Assert.Equal(3, session.ListAudit(new SecretOps.Core.Audit.AuditQuery(Action: "client.connect")).Count(e => e.Outcome == "failed"));
    }

    [Fact]
    public void MalformedGeneratedSecret_IsRefusedBeforeAnyAttempt_WithoutEchoingIt()
    {
        foreach (var text in new[] { "", "secretops_", "secretops_tooshort", "not-a-secret", "secretops_" + new string('A', 87), "secretops_" + new string('A', 86) + "!!" })
        {
            var error = Assert.Throws<InvalidParameterException>(() => ClientCredential.FromGeneratedSecret(text));
            if (text.Length > "secretops_".Length)
            {
                Assert.DoesNotContain(text, error.Message, StringComparison.Ordinal);
            }
        }

        Assert.Throws<InvalidParameterException>(() => ClientCredential.FromPassphrase(""));
    }
}
