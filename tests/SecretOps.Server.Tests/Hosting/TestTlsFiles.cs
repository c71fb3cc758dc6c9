using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecretOps.ReferenceLibs;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// A self-signed P-256 certificate for 127.0.0.1 made by the real <c>openssl</c> CLI, as an operator would, with its key
/// (0600) and the broken variants the refusal tests give the server: a key others can read, a key that is not PEM,
/// a directory where the key should be. Deleted on dispose.
/// </summary>
public sealed class TestTlsFiles : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("secretops-tls-").FullName;

    public TestTlsFiles()
    {
        UnavailableReason = OpenSsl.UnavailableReason;
        if (UnavailableReason is not null)
        {
            return;
        }

        OpenSsl.Run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=secretops-test", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", KeyPath, "-out", CertificatePath);
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        SetMode(KeyPath, ownerOnly);
        File.Copy(KeyPath, OpenKeyPath);
        SetMode(OpenKeyPath, ownerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.WriteAllText(NotPemKeyPath, "this is not a key\n");
        SetMode(NotPemKeyPath, ownerOnly);
        Directory.CreateDirectory(DirectoryKeyPath);
    }

    /// <summary>Null when openssl runs; otherwise why not.</summary>
    public string? UnavailableReason { get; }

    public string CertificatePath => Path.Combine(folder, "server.crt");

    public string KeyPath => Path.Combine(folder, "server.key");

    /// <summary>The key, mode 0644.</summary>
    public string OpenKeyPath => Path.Combine(folder, "open.key");

    public string NotPemKeyPath => Path.Combine(folder, "not-pem.key");

    public string DirectoryKeyPath => Path.Combine(folder, "key-folder");

    public string MissingKeyPath => Path.Combine(folder, "missing.key");

    /// <summary>A folder for anything else a test writes (configuration files, databases).</summary>
    public string Scratch(string name)
    {
        var path = Path.Combine(folder, "scratch", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>Skips the test without openssl, or fails it in CI.</summary>
    public void Require() => ExternalRequirement.Require(UnavailableReason);

    /// <summary>
    /// A client that trusts exactly this certificate: the chain error of a self-signed certificate is accepted only for
    /// a certificate whose SHA-256 matches, and a wrong name is still refused.
    /// </summary>
    public HttpClient PinnedClient() => new(PinnedHandler()) { Timeout = ServerProcess.Patience };

    /// <summary>
    /// The handler of <see cref="PinnedClient"/>, for a client that adds its own handlers (signing);
    /// <paramref name="connect"/>, when given, opens the connection (to bind the client's address).
    /// </summary>
    public SocketsHttpHandler PinnedHandler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect = null)
    {
        using var pinned = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
        var expected = pinned.GetCertHash(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is not null
                    && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                    && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), expected),
            },
        };
        if (connect is not null)
        {
            handler.ConnectCallback = connect;
        }

        return handler;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }
}
