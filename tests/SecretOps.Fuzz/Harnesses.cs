using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;
using SecretOps.Core.Crypto;
using SecretOps.Core.Policy;
using SecretOps.Core.Secrets;
using SecretOps.Core.Vault;

namespace SecretOps.Fuzz;

/// <summary>
/// A finding: an input made a parser throw something other than SecretOps' own typed errors (a path nobody
/// handled), or allocate more than <see cref="Harnesses.AllocationLimitBytes"/> on the way.
/// </summary>
public sealed class FuzzFindingException : Exception
{
    /// <summary>Creates the finding.</summary>
    public FuzzFindingException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// One harness per input an outsider controls. Each feeds the bytes to the real Core code the CLI, the
/// cmdlets and the vault extension call, the way they decode it. A <see cref="SecretOpsException"/> is the
/// expected answer to a bad input; anything else, or a large allocation, is a finding.
/// Shared by the afl++ driver (Program.cs) and the in-process smoke test in SecretOps.Core.Tests.
/// </summary>
public static class Harnesses
{
    /// <summary>Most bytes one input may allocate on its thread; the largest legal input (1 MiB policy) stays far below.</summary>
    public const long AllocationLimitBytes = 256L * 1024 * 1024;

    /// <summary>The secret of the System client in the stores the store and policy harnesses open.</summary>
    public const string StoreSecret = "secretops_ZnV6ei1zdG9yZS1zZWNyZXQtZm9yLXRoZS1oYXJuZXNzLW9ubHktbm90LWEtcmVhbC1rZXktMDEyMzQ1Njc4OQ";

    /// <summary>The System client's id in those stores.</summary>
    public static readonly Guid StoreClientId = new("5ec12e70-f022-4a11-9d00-000000000001");

    /// <summary>The passphrase the encrypted PEM seeds were made with, so decryption is reached.</summary>
    public const string PemPassphrase = "fuzz-passphrase";

    /// <summary>The harnesses by name.</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new SortedDictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["client-secret"] = ClientSecret,
        ["config"] = Config,
        ["duration"] = Duration,
        ["names"] = NameStrings,
        ["pem"] = Pem,
        ["policy"] = Policy,
        ["store"] = Store,
        ["vault-parameters"] = VaultParameters,
    };

    private static readonly object Gate = new();
    private static string? workDirectory;
    private static Session? policySession;
    private static int policyRuns;

    /// <summary>Runs <paramref name="input"/> through <paramref name="harness"/>; throws <see cref="FuzzFindingException"/> on a finding.</summary>
    public static void Check(string harness, byte[] input) => Check(harness, All[harness], input);

    /// <summary>Runs <paramref name="input"/> through <paramref name="body"/> and judges the outcome as the harnesses' is judged.</summary>
    public static void Check(string harness, Action<byte[]> body, byte[] input)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(input);
        lock (Gate)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                body(input);
            }
            catch (FuzzFindingException)
            {
                throw;
            }
            catch (SecretOpsException)
            {
                // The expected answer to a bad input.
            }
            catch (Exception e)
            {
                throw new FuzzFindingException($"{harness}: unexpected {e.GetType().FullName}: {e.Message}", e);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > AllocationLimitBytes)
            {
                throw new FuzzFindingException($"{harness}: one input of {input.Length} bytes allocated {allocated / (1024 * 1024)} MiB (limit {AllocationLimitBytes / (1024 * 1024)} MiB).");
            }
        }
    }

    /// <summary>Text as the CLI and module read files: UTF-8, a byte order mark honoured, bad bytes replaced.</summary>
    public static string Text(byte[] input)
    {
        using var reader = new StreamReader(new MemoryStream(input), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Runs one step; SecretOps' typed errors are the expected refusals and end the step only.</summary>
    private static void Expect(Action step)
    {
        try
        {
            step();
        }
        catch (SecretOpsException)
        {
        }
    }

    /// <summary>PEM key files: as a private key (no passphrase, then the seeds' passphrase) and as a public key.</summary>
    private static void Pem(byte[] input)
    {
        var text = Text(input);
        Expect(() => PemKeyReader.ReadPrivateKey(text).Dispose());
        Expect(() => PemKeyReader.ReadPrivateKey(text, PemPassphrase).Dispose());
        Expect(() => _ = PemKeyReader.ReadPublicKey(text).Fingerprint);
    }

    /// <summary>Policy YAML: parsed, written back and parsed again, then planned against a store as an admin would.</summary>
    private static void Policy(byte[] input)
    {
        PolicyDocument document;
        try
        {
            document = PolicyDocument.Parse(Text(input), "fuzz.yaml");
        }
        catch (SecretOpsException)
        {
            return;
        }

        Expect(() => PolicyDocument.Parse(document.ToYaml(), "round-trip.yaml"));
        var session = PolicySession();
        Expect(() => session.PlanPolicy(document, prune: true));
    }

    /// <summary>Configuration files, loaded from disk as the CLI, the cmdlets and the vault do.</summary>
    private static void Config(byte[] input)
    {
        var path = Path.Combine(WorkDirectory(), "config.yaml");
        File.WriteAllBytes(path, input);
        Expect(() =>
        {
            var config = ConfigFile.Load(path);
            foreach (var name in config.Profiles.Keys.Append(null))
            {
                Expect(() => config.Select(name));
            }
        });
    }

    /// <summary>
    /// VaultParameters as SecretManagement hands them over (a table of any values). One line per entry,
    /// <c>KEY=TVALUE</c>, where T picks the value's type: s text, b bool, i int, l long, d double, n null,
    /// a array; a line without '=' is a key with a null value, and a line starting with NUL has a null key.
    /// </summary>
    private static void VaultParameters(byte[] input)
    {
        var entries = new List<KeyValuePair<string, object?>>();
        foreach (var line in Text(input).Split('\n'))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? line : line[..equals];
            var raw = equals < 0 ? "" : line[(equals + 1)..];
            object? value = raw.Length == 0 ? null : raw[0] switch
            {
                'b' => raw.Length > 1 && raw[1] == '1',
                'i' => int.TryParse(raw.AsSpan(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : -1,
                'l' => long.TryParse(raw.AsSpan(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : -1L,
                'd' => double.TryParse(raw.AsSpan(1), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN,
                'n' => null,
                'a' => raw[1..].Split(','),
                's' => raw[1..],
                _ => raw,
            };
            entries.Add(new(key.StartsWith('\0') ? null! : key, value));
        }

        VaultSettings settings;
        try
        {
            settings = VaultSettings.Parse(entries);
        }
        catch (SecretOpsException)
        {
            return;
        }

        // What parses must register: Register-SecretOpsVault writes ToVaultParameters() and reads it back.
        var registered = settings.ToVaultParameters();
        var reparsed = VaultSettings.Parse(registered.Select(e => new KeyValuePair<string, object?>(e.Key, e.Value)));
        if (reparsed != settings)
        {
            throw new FuzzFindingException($"vault-parameters: settings changed on a round trip through ToVaultParameters: {settings} became {reparsed}.");
        }
    }

    /// <summary>Durations and times to live (--ttl, -Ttl, --since, the module's duration parameters' short form).</summary>
    private static void Duration(byte[] input)
    {
        var text = Text(input);
        Expect(() =>
        {
            var ttl = TimeToLive.Parse(text);
            // What every caller does with a parsed time to live: an expiry ahead, a --since behind.
            _ = DateTimeOffset.UtcNow + ttl;
            _ = DateTimeOffset.UtcNow - ttl;
        });
    }

    /// <summary>Client secrets (SECRETOPS_CLIENT_SECRET, --secret-file, SecretFile, -ClientSecret) as text and as characters.</summary>
    private static void ClientSecret(byte[] input)
    {
        var text = Text(input);
        Expect(() => ClientCredential.FromGeneratedSecret(text).Dispose());
        Expect(() => ClientCredential.FromGeneratedSecret(text.AsSpan()).Dispose());
        Expect(() => ClientCredential.FromPassphrase(text).Dispose());
    }

    /// <summary>Secret, namespace and client names, and the wildcard patterns of listings.</summary>
    private static void NameStrings(byte[] input)
    {
        var text = Text(input);
        Expect(() => Names.ValidateSecretName(text));
        Expect(() => Names.ValidateNamespaceName(text));
        Expect(() => Names.ValidateClientName(text));
        _ = Names.Printable(text);
        Expect(() =>
        {
            var filter = new WildcardFilter(text);
            _ = filter.LiteralPrefix;
            _ = filter.IsMatch(text);
            _ = filter.IsMatch("prod/db-password");
        });
    }

    /// <summary>A store file whose pages are mutated: opened, inspected, connected to as its System client and read.</summary>
    private static void Store(byte[] input)
    {
        var path = Path.Combine(WorkDirectory(), "store.db");
        SecretStore.ReleaseConnections();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }

        File.WriteAllBytes(path, input);
        try
        {
            SecretStore store;
            try
            {
                store = SecretStore.Open(path, new StoreOpenOptions { Shared = true });
            }
            catch (SecretOpsException)
            {
                return;
            }

            Expect(() => store.GetInfo());
            Expect(() => store.VerifyAudit());
            Expect(() =>
            {
                using var credential = ClientCredential.FromGeneratedSecret(StoreSecret);
                using var session = store.Connect(SecretStore.SystemClientName, credential, new SessionOptions { Surface = Surface.Api });
                Expect(() => session.ListNamespaces());
                Expect(() => session.ListSecrets(SecretStore.DefaultNamespace, includeExpired: true));
                Expect(() => session.GetSecret(SecretStore.DefaultNamespace, "db-password").Dispose());
                Expect(() => session.GetHistory(SecretStore.DefaultNamespace, "db-password"));
                Expect(() => session.ExportPolicy());
            });
        }
        finally
        {
            SecretStore.ReleaseConnections();
        }
    }

    /// <summary>
    /// Makes the store file the store harness starts from: a System client with <see cref="StoreSecret"/>, a
    /// namespace, a secret with two versions and a grant, compacted to 512-byte pages so afl's inputs stay small.
    /// </summary>
    public static void CreateStoreSeed(string path)
    {
        var store = SecretStore.Create(path, new StoreCreateOptions
        {
            PresetSystemClient = (StoreClientId, StoreSecret),
            Shared = true,
        }).Path;
        using (var credential = ClientCredential.FromGeneratedSecret(StoreSecret))
        using (var session = SecretStore.Open(store, new StoreOpenOptions { Shared = true }).Connect(SecretStore.SystemClientName, credential))
        {
            session.SetSecret(SecretStore.DefaultNamespace, "db-password", SecretValue.FromString("hunter2"));
            session.SetSecret(SecretStore.DefaultNamespace, "db-password", SecretValue.FromString("hunter3"));
            session.CreateNamespace("prod", "Production", 5);
            session.FlushAudit();
        }

        SecretStore.ReleaseConnections();
        using var connection = new SqliteConnection($"Data Source={store};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;";
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Where the file-based harnesses write their inputs (a folder per process under the temporary folder
    /// unless set); setting it also closes the policy harness's store. Null goes back to the default.
    /// </summary>
    public static void UseWorkDirectory(string? path)
    {
        lock (Gate)
        {
            policySession?.Dispose();
            policySession = null;
            SecretStore.ReleaseConnections();
            workDirectory = path;
        }
    }

    private static string WorkDirectory()
    {
        if (workDirectory is null)
        {
            var directory = Path.Combine(Path.GetTempPath(), $"secretops-fuzz-{Environment.ProcessId}");
            Directory.CreateDirectory(directory);
            workDirectory = directory;
        }

        return workDirectory;
    }

    /// <summary>An admin session for planning policies; the store is made anew now and then, as planning audits its reads.</summary>
    private static Session PolicySession()
    {
        if (policySession is null || ++policyRuns % 5000 == 0)
        {
            policySession?.Dispose();
            SecretStore.ReleaseConnections();
            var path = Path.Combine(WorkDirectory(), $"policy-{Stopwatch.GetTimestamp()}.db");
            foreach (var old in Directory.GetFiles(WorkDirectory(), "policy-*"))
            {
                File.Delete(old);
            }

            CreateStoreSeed(path);
            using var credential = ClientCredential.FromGeneratedSecret(StoreSecret);
            policySession = SecretStore.Open(path, new StoreOpenOptions { Shared = true }).Connect(SecretStore.SystemClientName, credential);
        }

        return policySession;
    }
}
