using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecretOps.Core.Storage;
using SecretOps.Server.Configuration;

namespace SecretOps.Server.Hosting;

/// <summary>
/// The HTTPS certificate from PEM files: the certificate file (the server's certificate first, then any
/// intermediates) and the key file, which, as OpenSSH does for a private key, must be readable by its owner only.
/// </summary>
public sealed class ServerCertificate : IDisposable
{
    private ServerCertificate(X509Certificate2 certificate, X509Certificate2Collection chain)
    {
        Certificate = certificate;
        Chain = chain;
    }

    /// <summary>The server's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The intermediates sent after it.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>
    /// Loads <paramref name="files"/>. A missing file is <see cref="NotFoundException"/>; a key file that group or
    /// others can read or write is <see cref="UnprotectedFileException"/>; anything unusable is
    /// <see cref="InvalidParameterException"/>. Every message names the file.
    /// </summary>
    public static ServerCertificate Load(TlsFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        RequireExists(files.KeyPath, "key file");
        RequireExists(files.CertificatePath, "certificate file");
        RequireOwnerOnly(files.KeyPath);

        // Read through InputFile: a regular file, and no more than a PEM key can hold.
        var keyPem = InputFile.ReadText(files.KeyPath, InputFileKind.PrivateKey);
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(files.CertificatePath);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidParameterException("certificate", $"The certificate file '{files.CertificatePath}' cannot be read as PEM certificates: {e.Message}");
        }

        if (chain.Count == 0)
        {
            throw new InvalidParameterException("certificate", $"The certificate file '{files.CertificatePath}' holds no PEM certificate.");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(chain[0].ExportCertificatePem(), keyPem);
        }
        catch (CryptographicException e)
        {
            throw new InvalidParameterException("key",
                $"The key file '{files.KeyPath}' is not an unencrypted PEM private key matching the certificate in '{files.CertificatePath}': {e.Message}");
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        chain[0].Dispose();
        return new ServerCertificate(certificate, intermediates);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var intermediate in Chain)
        {
            intermediate.Dispose();
        }
    }

    private static void RequireExists(string path, string what)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new NotFoundException($"There is no {what} '{path}'.", path);
        }
    }

    private static void RequireOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode groupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        var mode = File.GetUnixFileMode(path);
        if ((mode & groupOrOthers) != 0)
        {
            throw new UnprotectedFileException("TLS key file", path, "0" + Convert.ToString((int)mode & 0x1FF, 8));
        }
    }
}
