using System.Text.Json;
using SecretOps.Core.Clients;
using SecretOps.Core.Crypto;
using SecretOps.Core.Policy;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Sharing;

public class PolicyTests
{
    [Fact]
    public void Export_ThenApplyOnAnEmptyStore_ReproducesTheGrants_AndApplyingTwiceIsANoOp()
    {
        string yaml;
        List<(string, string, string?, Permissions)> expected;
        using (var source = new TempStore())
        using (var system = source.ConnectSystem())
        {
            using var ciKey = ClientPrivateKey.Generate();
            system.AddClient("ci", new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = ciKey.PublicKey });
            system.AddClient("ops", new ClientCredentialSpec { Kind = ClientKind.Generated }, ClientRole.Admin, "on call");
            system.CreateNamespace("prod", "production", maxVersions: 5);
            system.Grant("ci", "prod", null, Permissions.Read);
            system.Grant("ops", "prod", null, Permissions.Read | Permissions.Write | Permissions.Permit);
            yaml = system.ExportPolicy().ToYaml();
            expected = Grants(system);
        }

        Assert.Contains("BEGIN PUBLIC KEY", yaml);
        Assert.DoesNotContain("secretops_", yaml);
        using var target = new TempStore();
        using var session = target.ConnectSystem();
        var plan = session.PlanPolicy(PolicyDocument.Parse(yaml, "policy.yaml"));
        Assert.Contains(plan.Changes, c => c.Kind == PolicyChangeKind.CreateNamespace);
        var secrets = session.ApplyPolicy(plan);
        Assert.StartsWith("secretops_", secrets["ops"]);
        Assert.Equal(expected, Grants(session));
        Assert.Equal(5, session.ListNamespaces().Single(n => n.Name == "prod").MaxVersions);

        var again = session.PlanPolicy(PolicyDocument.Parse(yaml, "policy.yaml"), prune: true);
        Assert.True(again.IsEmpty, string.Join("; ", again.Changes));
    }

    [Fact]
    public void Plan_ChangesNothing_AndPruneRevokesWhatThePolicyLacks()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.AddClient("ci", new ClientCredentialSpec { Kind = ClientKind.Generated });
        session.Grant("ci", "default", null, Permissions.Read);
        var before = Grants(session);
        var policy = PolicyDocument.Parse("namespaces:\n  - name: extra\ngrants:\n  - client: system\n    namespace: default\n    permissions: [read, write, delete, permit]\n", "p.yaml");
        var plan = session.PlanPolicy(policy, prune: true);
        Assert.Equal(before, Grants(session));
        Assert.DoesNotContain(session.ListNamespaces(), n => n.Name == "extra");
        Assert.Contains(plan.Changes, c => c.Kind == PolicyChangeKind.Revoke && c.Description.Contains("'ci'"));
        session.ApplyPolicy(plan);
        Assert.DoesNotContain(Grants(session), g => g.Item1 == "ci");
    }

    [Fact]
    public void Prune_OfANamespaceGrant_AlsoTakesTheSecretsTheClientCreatedThere_InOneApply()
    {
        // A namespace revoke covers the client's secret grants there (issue 12); the plan must not then trip over them.
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        var secret = session.AddClient("ci", new ClientCredentialSpec { Kind = ClientKind.Generated }).ClientSecret!;
        session.Grant("ci", "default", null, Permissions.All);
        using (var credential = ClientCredential.FromGeneratedSecret(secret))
        using (var ci = store.Connect("ci", credential))
        {
            ci.SetSecret("default", "ci-made", SecretOps.Core.Secrets.SecretValue.FromString("x"));
        }

        var policy = PolicyDocument.Parse("grants:\n  - client: system\n    namespace: default\n    permissions: [read, write, delete, permit]\n", "p.yaml");
        session.ApplyPolicy(session.PlanPolicy(policy, prune: true));
        Assert.DoesNotContain(Grants(session), g => g.Item1 == "ci");
    }

    [Fact]
    public void DisabledClientsAreCreatedDisabled_AndRetiredOnesAreSkipped_InAFreshStore()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        var plan = session.PlanPolicy(PolicyDocument.Parse(
            "clients:\n  - name: paused\n    kind: generated\n    status: disabled\n  - name: gone\n    kind: generated\n    status: retired\n", "p.yaml"));
        session.ApplyPolicy(plan);
        var clients = session.ListClients();
        Assert.Equal(ClientStatus.Disabled, clients.Single(c => c.Name == "paused").Status);
        Assert.DoesNotContain(clients, c => c.Name == "gone");
    }

    [Fact]
    public void PlanSteps_AreDataNamingWhatTheyChange_AndApplyingAPlanBuiltEarlier_DoesExactlyThoseSteps()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        session.AddClient("ci", new ClientCredentialSpec { Kind = ClientKind.Generated });
        session.AddClient("old", new ClientCredentialSpec { Kind = ClientKind.Generated });
        session.Grant("old", "default", null, Permissions.Read | Permissions.Write);
        using var deployKey = ClientPrivateKey.Generate();
        var pem = deployKey.PublicKey.ExportPem();
        var policy = new PolicyDocument
        {
            Namespaces = [new() { Name = "prod", Description = "production", MaxVersions = 5 }],
            Clients =
            [
                new() { Name = "ci", Kind = "generated", Role = "admin" },
                new() { Name = "deploy", Kind = "keyfile", PublicKey = pem },
                new() { Name = "bot", Kind = "generated", Description = "robot" },
            ],
            Grants = session.ListPermissions("system").Select(p => new PolicyGrant { Client = "system", Namespace = p.Namespace, Secret = p.Secret, Permissions = Session.FlagNames(p.Permissions) })
                .Append(new PolicyGrant { Client = "ci", Namespace = "prod", Permissions = ["read", "write"] })
                .ToList(),
        };
        var before = Grants(session);

        var plan = session.PlanPolicy(policy, prune: true);

        // Each step is a record of what it changes: no code, compared by value.
        PolicyChange[] expected =
        [
            new CreateNamespaceChange("prod", "production", 5),
            new SetClientRoleChange("ci", ClientRole.Admin),
            new CreateKeyFileClientChange("deploy", ClientRole.Member, null, pem, deployKey.PublicKey.Fingerprint),
            new CreateGeneratedClientChange("bot", ClientRole.Member, "robot"),
            new GrantChange("ci", "prod", null, Permissions.Read | Permissions.Write),
            new RevokeChange("old", "default", null, Permissions.Read | Permissions.Write),
        ];
        Assert.Equal(expected, plan.Changes);
        var grant = Assert.Single(plan.Changes.OfType<GrantChange>());
        Assert.Equal(("ci", "prod", (string?)null, Permissions.Read | Permissions.Write), (grant.Client, grant.Namespace, grant.Secret, grant.Permissions));
        Assert.Equal(PolicyChangeKind.Grant, grant.Kind);
        Assert.Equal("grant read,write to 'ci' on namespace 'prod'", grant.Description);
        Assert.Equal("Revoke: revoke read,write from 'old' on namespace 'default'", plan.Changes[^1].ToString());
        Assert.True(plan.Changes[^1].IsDestructive);
        Assert.Equal(before, Grants(session));

        // The plan survives a round trip as JSON, and the copy is what gets applied.
        var json = JsonSerializer.Serialize(plan.Changes);
        Assert.Contains("\"change\":\"grant\"", json);
        var restored = JsonSerializer.Deserialize<List<PolicyChange>>(json)!;
        Assert.Equal(expected, restored);

        var secrets = session.ApplyPolicy(new PolicyPlan(restored));

        Assert.StartsWith("secretops_", Assert.Single(secrets, s => s.Key == "bot").Value);
        Assert.Equal(5, session.ListNamespaces().Single(n => n.Name == "prod").MaxVersions);
        var clients = session.ListClients().ToDictionary(c => c.Name);
        Assert.Equal(ClientRole.Admin, clients["ci"].Role);
        Assert.Equal((ClientKind.KeyFile, deployKey.PublicKey.Fingerprint), (clients["deploy"].Kind, clients["deploy"].Fingerprint));
        Assert.Equal((ClientKind.Generated, "robot"), (clients["bot"].Kind, clients["bot"].Description));
        var after = Grants(session).Where(g => g.Item2 != "prod" || g.Item1 != "system").ToList();
        Assert.Equal(before.Where(g => g.Item1 != "old").Append(("ci", "prod", null, Permissions.Read | Permissions.Write)).Order(), after);

        // A plan of one step built by hand does that step and nothing else.
        before = Grants(session);
        Assert.Empty(session.ApplyPolicy(new PolicyPlan([new GrantChange("bot", "prod", null, Permissions.Read)])));
        Assert.Equal(before.Append(("bot", "prod", null, Permissions.Read)).Order(), Grants(session));
    }

    [Theory]
    [InlineData("namespaces:\n  - name: prod\n    colour: red\n", "unknown key 'colour'")]
    [InlineData("namespaces:\n  - name: prod\n    maxVersions: lots\n", "line 3")]
    [InlineData("version: 2\n", "version 2")]
    [InlineData("grants: {not: a list}\n", "line 1")]
    [InlineData("a: &x [1,2]\nb: *x\n", "anchors and aliases")]
    [InlineData("namespaces:\n  - &n {name: a}\n  - *n\n", "anchors and aliases")]
    [InlineData("namespaces: [\n", "line")]
    [InlineData("clients:\n  - name: a\n    name: b\n", "line")]
    // Found by fuzzing (tests/SecretOps.Fuzz, policy harness): YamlDotNet throws InvalidOperationException or
    // ArgumentException on these instead of a YamlException; they escaped as unhandled errors.
    [InlineData("...\0", "not valid YAML")]
    [InlineData("!!+!", "not valid YAML")]
    [InlineData("- {a\n- b\n", "line 1")]
    public void MalformedOrHostileYaml_IsRefused(string yaml, string expected)
    {
        var error = Assert.Throws<InvalidParameterException>(() => PolicyDocument.Parse(yaml, "policy.yaml"));
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("nothing was changed", error.Message);
    }

    [Fact]
    public void AliasBomb_AndHugeDocuments_AreRefused()
    {
        var bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + string.Concat(Enumerable.Range(0, 9).Select(i => $"b{i}: &b{i} [{string.Join(",", Enumerable.Repeat(i == 0 ? "*a" : $"*b{i - 1}", 10))}]\n"));
        Assert.Contains("anchors and aliases", Assert.Throws<InvalidParameterException>(() => PolicyDocument.Parse(bomb, "bomb.yaml")).Message);
        var huge = "namespaces:\n" + string.Concat(Enumerable.Repeat("  - name: n\n", 100_000));
        Assert.Contains("larger than", Assert.Throws<InvalidParameterException>(() => PolicyDocument.Parse(huge, "huge.yaml")).Message);
    }

    // Found by fuzzing (tests/SecretOps.Fuzz, policy harness): a key with no value is null, not its default, and
    // 'client:' reached the planner's dictionaries as an ArgumentNullException; a null list entry was worse.
    [Theory]
    [InlineData("grants:\n  - client:\n    namespace: default\n    permissions: [read]\n", "no such client")]
    [InlineData("grants:\n  - client: system\n    namespace:\n    permissions: [read]\n", "no such namespace")]
    [InlineData("grants:\n  - client: system\n    namespace: default\n    permissions: [read, ~]\n", "permissions must be")]
    [InlineData("grants:\n  - client: system\n    namespace: default\n    permissions:\n", "permissions must be")]
    [InlineData("namespaces:\n  - name:\n", "namespace '' is invalid")]
    [InlineData("clients:\n  - name:\n    kind: generated\n", "client")]
    [InlineData("clients:\n  - name: ci\n    kind:\n    role:\n    status:\n", "ci")]
    [InlineData("grants:\n  - ~\n", "an entry of namespaces, clients or grants is empty")]
    [InlineData("namespaces: [~]\n", "an entry of namespaces, clients or grants is empty")]
    public void KeysWithNoValue_AreReportedAsProblems_NotCrashes(string yaml, string expected)
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        var error = Assert.Throws<InvalidParameterException>(() => session.PlanPolicy(PolicyDocument.Parse(yaml, "policy.yaml")));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SemanticProblems_AreAllReported_AndNothingChanges()
    {
        using var store = new TempStore();
        using var session = store.ConnectSystem();
        var before = Grants(session);
        var policy = PolicyDocument.Parse(
            """
            clients:
              - name: human
                kind: passphrase
              - name: bad name!
                kind: generated
            grants:
              - client: ghost
                namespace: default
                permissions: [read]
              - client: system
                namespace: nowhere
                permissions: [read]
              - client: system
                namespace: default
                permissions: [fly]
            """, "p.yaml");
        var error = Assert.Throws<InvalidParameterException>(() => session.PlanPolicy(policy));
        foreach (var expected in new[] { "needs a passphrase", "bad name!", "no such client", "no such namespace", "read, write, delete, permit" })
        {
            Assert.Contains(expected, error.Message);
        }

        Assert.Equal(before, Grants(session));
        Assert.Single(session.ListClients());
    }

    private static List<(string, string, string?, Permissions)> Grants(Session session) =>
        session.ListPermissions().Select(p => (p.Client, p.Namespace, p.Secret, p.Permissions)).Order().ToList();
}
