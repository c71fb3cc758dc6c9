using SecretOps.Core.Configuration;
using SecretOps.Core.Crypto;
using SecretOps.Core.Policy;
using SecretOps.Core.Tests.Support;

namespace SecretOps.Core.Tests.Surfaces;

/// <summary>
/// Rules the CLI and the cmdlets once each implemented, and that drifted apart, now live in Core once: the KDF bounds of a
/// new store, where a new store's System client credential comes from, and how a named input file (a policy, a public
/// key) is read. Both surfaces call these; tests/SecretOps.Cli.Tests and tests/Pester check each surface refuses alike.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class SharedRuleTests : IDisposable
{
    private static readonly string[] Variables = [EnvironmentVariables.Passphrase, EnvironmentVariables.SystemClientId, EnvironmentVariables.SystemClientSecret];
    private readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly string directory = Directory.CreateTempSubdirectory("secretops-rules-").FullName;

    public SharedRuleTests()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    public void Dispose()
    {
        foreach (var (variable, value) in saved)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }

        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData(0, null, null, false, "memory must be 1–4096 MiB")]
    [InlineData(4097, null, null, false, "memory must be 1–4096 MiB")]
    [InlineData(-1, null, null, true, "memory must be 1–4096 MiB")]
    [InlineData(int.MaxValue, null, null, true, "memory must be 1–4096 MiB")]
    [InlineData(64, 17, 1, true, "exceed the limits")]
    [InlineData(64, 3, 65, true, "exceed the limits")]
    [InlineData(64, 0, 1, true, "at least 1 iteration")]
    [InlineData(64, 3, 0, true, "parallelism must be")]
    [InlineData(63, 3, 1, false, "weaker than the minimum")]
    [InlineData(64, 2, 1, false, "weaker than the minimum")]
    public void ForNewStore_RefusesOutOfBounds_AsInvalidParameter(int? memoryMiB, int? iterations, int? parallelism, bool allowWeak, string expected)
    {
        var error = Assert.Throws<InvalidParameterException>(() => Argon2Parameters.ForNewStore(memoryMiB, iterations, parallelism, allowWeak));
        Assert.Equal("SecretOps.InvalidParameter", error.ErrorId);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(" -Kdf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForNewStore_TakesDefaults_AndAcceptsTheBounds()
    {
        Assert.Equal(Argon2Parameters.Default, Argon2Parameters.ForNewStore(null, null, null, allowWeak: false));
        var weakest = Argon2Parameters.ForNewStore(Argon2Parameters.MinMemoryMiB, 1, 1, allowWeak: true);
        Assert.Equal((1024, 1, 1), (weakest.MemoryKiB, weakest.Iterations, weakest.Parallelism));
        var widest = Argon2Parameters.ForNewStore(Argon2Parameters.MaxMemoryMiB, Argon2Parameters.MaxIterations, Argon2Parameters.MaxParallelism, allowWeak: false);
        Assert.Equal((Argon2Parameters.MaxMemoryKiB, 16, 64), (widest.MemoryKiB, widest.Iterations, widest.Parallelism));
        Assert.Equal(Argon2Type.Argon2id, widest.Type);
    }

    [Fact]
    public void CreationCredential_IsThePresetClient_ThenThePassphraseVariable_ThenNone()
    {
        Assert.Null(StoreCreateOptions.CredentialFromEnvironment());

        Environment.SetEnvironmentVariable(EnvironmentVariables.Passphrase, "from the environment");
        var fromPassphrase = StoreCreateOptions.CredentialFromEnvironment()!;
        Assert.Null(fromPassphrase.PresetSystemClient);
        Assert.Equal("from the environment", new string(fromPassphrase.Passphrase));

        var secret = new TempStore(generateSecret: true);
        try
        {
            var id = Guid.NewGuid();
            Environment.SetEnvironmentVariable(EnvironmentVariables.SystemClientId, id.ToString());
            Environment.SetEnvironmentVariable(EnvironmentVariables.SystemClientSecret, secret.Created.ClientSecret);
            var preset = StoreCreateOptions.CredentialFromEnvironment()!;
            Assert.Equal(id, preset.PresetSystemClient!.Value.Id);
            Assert.Null(preset.Passphrase);

            Environment.SetEnvironmentVariable(EnvironmentVariables.SystemClientSecret, null);
            Assert.Equal(EnvironmentVariables.SystemClientId, Assert.Throws<InvalidParameterException>(StoreCreateOptions.CredentialFromEnvironment).Target);
        }
        finally
        {
            secret.Dispose();
        }
    }

    [Fact]
    public void PolicyFile_Missing_IsNotFound_OtherRefusalsStayInvalidParameter()
    {
        var missing = Path.Combine(directory, "missing.yaml");
        var notFound = Assert.Throws<NotFoundException>(() => PolicyDocument.ReadFile(missing));
        Assert.Equal("SecretOps.NotFound", notFound.ErrorId);
        Assert.Equal($"There is no policy file '{missing}'.", notFound.Message);
        Assert.Equal(missing, notFound.Target);

        Assert.Contains("is a directory", Assert.Throws<InvalidParameterException>(() => PolicyDocument.ReadFile(directory)).Message, StringComparison.Ordinal);

        var file = Path.Combine(directory, "policy.yaml");
        File.WriteAllText(file, "namespaces:\n  - name: prod\n");
        Assert.Equal("prod", Assert.Single(PolicyDocument.ReadFile(file).Namespaces).Name);
        File.WriteAllText(file, "namespaces:\n  - name: prod\n    colour: red\n");
        Assert.Contains("colour", Assert.Throws<InvalidParameterException>(() => PolicyDocument.ReadFile(file)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PublicKeyFile_Missing_IsNotFound_ABadKeyNamesTheFile()
    {
        var missing = Path.Combine(directory, "missing.pub");
        Assert.Equal($"There is no public key file '{missing}'.", Assert.Throws<NotFoundException>(() => PemKeyReader.ReadPublicKeyFile(missing)).Message);

        var file = Path.Combine(directory, "not-a-key.pub");
        File.WriteAllText(file, "hello\n");
        var bad = Assert.Throws<InvalidKeyException>(() => PemKeyReader.ReadPublicKeyFile(file));
        Assert.StartsWith($"The public key file '{file}': ", bad.Message, StringComparison.Ordinal);

        using var key = ClientPrivateKey.Generate();
        File.WriteAllText(file, key.PublicKey.ExportPem());
        Assert.Equal(key.PublicKey.Fingerprint, PemKeyReader.ReadPublicKeyFile(file).Fingerprint);
    }

    [Fact]
    public void CryptoPrimitives_AreNotPublicApi()
    {
        var core = typeof(Argon2Parameters).Assembly;
        string[] primitives = ["Aead", "SealedData", "Blake2b", "Argon2", "AssociatedData", "SymmetricKey", "Stanza", "StanzaAlgorithm"];
        foreach (var name in primitives)
        {
            var type = core.GetType($"SecretOps.Core.Crypto.{name}", throwOnError: true)!;
            Assert.False(type.IsPublic, $"{type.FullName} is a crypto primitive, not public API: make it internal.");
        }

        var publicCrypto = core.GetExportedTypes().Where(t => t.Namespace == "SecretOps.Core.Crypto").Select(t => t.Name).Order().ToArray();
        Assert.Equal(["Argon2Parameters", "Argon2Type", "Argon2Version", "ClientKeyAlgorithm", "ClientPrivateKey", "ClientPublicKey", "PemKeyReader"], publicCrypto);
    }
}
