using System.Diagnostics;
using System.Globalization;
using SecretOps;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Secrets;
using SecretOps.CrashWorker;

// Usage: SecretOps.CrashWorker MODE STORE SHARED(0|1) SEED. Runs MODE's operations until it is killed.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: SecretOps.CrashWorker MODE STORE SHARED(0|1) SEED");
    return 2;
}

var (mode, storePath, shared, seed) = (args[0], args[1], args[2] == "1", int.Parse(args[3], CultureInfo.InvariantCulture));
var random = new Random(seed);
var store = SecretStore.Open(storePath, new StoreOpenOptions { Shared = shared });
var options = new SessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan };
using var system = store.Connect(SecretStore.SystemClientName, ClientCredential.FromPassphrase(Variable(CrashProtocol.PassphraseVariable)), options);
Print("ready");
switch (mode)
{
    case CrashProtocol.SecretsMode:
        ChangeSecrets();
        break;
    case CrashProtocol.RevokeMode:
        GrantAndRevoke();
        break;
    case CrashProtocol.RotateNamespaceMode:
        while (true)
        {
            Step("rotate-namespace", () => $"generation={system.RotateNamespaceKey(CrashProtocol.BulkNamespace).NewGeneration}");
        }

    case CrashProtocol.RotateClientMode:
        RekeyRotator();
        break;
    default:
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
}

return 0;

// New secrets, new versions of existing ones (compare-and-swap on the version, so a lost ack shows as a conflict) and removals.
void ChangeSecrets()
{
    var versions = system.ListSecrets(CrashProtocol.SecretsNamespace).ToDictionary(e => e.Name, e => e.Version);
    while (true)
    {
        var roll = random.Next(100);
        // Removals outpace creations once the namespace is large, so long runs do not grow it without bound.
        if (roll < (versions.Count > 100 ? 60 : 15) && versions.Count > 0)
        {
            var name = versions.Keys.ElementAt(random.Next(versions.Count));
            Step($"remove {name}", () =>
            {
                system.RemoveSecret(CrashProtocol.SecretsNamespace, name);
                return "";
            });
            versions.Remove(name);
            continue;
        }

        var target = roll < 60 || versions.Count == 0 ? $"s{random.Next():x8}" : versions.Keys.ElementAt(random.Next(versions.Count));
        var version = versions.GetValueOrDefault(target) + 1;
        Step($"set {target} {version}", () =>
        {
            using var value = SecretValue.FromString(CrashProtocol.ValueOf(target, version));
            system.SetSecret(CrashProtocol.SecretsNamespace, target, value, new SetSecretOptions { ExpectedVersion = version - 1 });
            return "";
        });
        versions[target] = version;
    }
}

// Each round: grant the leaver read (unless it still holds it), revoke it with rotation, then write a new marker version under the new key.
void GrantAndRevoke()
{
    var marker = system.GetEntry(CrashProtocol.BulkNamespace, CrashProtocol.Marker).Version;
    var granted = system.ListPermissions(CrashProtocol.Leaver, CrashProtocol.BulkNamespace).Count > 0;
    while (true)
    {
        if (!granted)
        {
            Step("grant", () =>
            {
                system.Grant(CrashProtocol.Leaver, CrashProtocol.BulkNamespace, null, Permissions.Read);
                return "";
            });
        }

        Step("revoke", () => $"generation={system.Revoke(CrashProtocol.Leaver, CrashProtocol.BulkNamespace, null)!.NewGeneration}");
        granted = false;
        marker++;
        Step($"set {CrashProtocol.Marker} {marker}", () =>
        {
            using var value = SecretValue.FromString(CrashProtocol.ValueOf(CrashProtocol.Marker, marker));
            system.SetSecret(CrashProtocol.BulkNamespace, CrashProtocol.Marker, value, new SetSecretOptions { ExpectedVersion = marker - 1 });
            return "";
        });
    }
}

// The rotator re-keys itself from whichever passphrase works now to the other one, reconnecting after each rotation.
void RekeyRotator()
{
    var passphrases = new Dictionary<string, string>
    {
        ["A"] = Variable(CrashProtocol.RotatorPassphraseAVariable),
        ["B"] = Variable(CrashProtocol.RotatorPassphraseBVariable),
    };
    var current = TryConnectRotator(passphrases["A"]) is { } first ? ("A", first) : ("B", TryConnectRotator(passphrases["B"]) ?? throw new InvalidOperationException("Neither rotator passphrase works."));
    while (true)
    {
        var (label, session) = current;
        var next = label == "A" ? "B" : "A";
        Step($"rotate-client {next}", () =>
        {
            session.RotateClientKey(null, new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = passphrases[next].AsMemory(), AllowWeakKdf = true });
            return "";
        });
        session.Dispose();
        current = (next, TryConnectRotator(passphrases[next]) ?? throw new InvalidOperationException($"The rotator's new passphrase {next} does not work."));
    }
}

Session? TryConnectRotator(string passphrase)
{
    try
    {
        return store.Connect(CrashProtocol.Rotator, ClientCredential.FromPassphrase(passphrase), options);
    }
    catch (AuthenticationFailedException)
    {
        return null;
    }
}

// Prints "begin OPERATION", runs it, then "ack OPERATION RESULT ms=ELAPSED": the ack is printed only once the operation returned.
static void Step(string operation, Func<string> run)
{
    Print("begin " + operation);
    var clock = Stopwatch.StartNew();
    var result = run();
    Print($"ack {operation} {result} ms={clock.ElapsedMilliseconds}".Replace("  ", " ", StringComparison.Ordinal));
}

static void Print(string line)
{
    Console.Out.WriteLine(line);
    Console.Out.Flush();
}

static string Variable(string name) =>
    Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set.");
