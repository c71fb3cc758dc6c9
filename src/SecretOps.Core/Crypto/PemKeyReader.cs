using System.Security.Cryptography;

namespace SecretOps.Core.Crypto;

/// <summary>
/// Reads client keys from PEM text as OpenSSL writes them: PKCS#1 <c>RSA PRIVATE KEY</c>, SEC1
/// <c>EC PRIVATE KEY</c> (an <c>EC PARAMETERS</c> block before it is skipped), PKCS#8 <c>PRIVATE KEY</c>
/// and <c>ENCRYPTED PRIVATE KEY</c>, and public keys as SPKI <c>PUBLIC KEY</c> or PKCS#1 <c>RSA PUBLIC KEY</c>.
/// Everything else is refused with an <see cref="InvalidKeyException"/> that says what was found and what to do.
/// </summary>
public static class PemKeyReader
{
    /// <summary>Largest PEM text read; real keys are a few KiB.</summary>
    public const int MaxPemLength = 64 * 1024;

    /// <summary>Reads the private key in <paramref name="pem"/>, decrypting it with <paramref name="passphrase"/> if it is encrypted.</summary>
    public static ClientPrivateKey ReadPrivateKey(string pem, ReadOnlySpan<char> passphrase = default)
    {
        var (label, der) = FindKeyBlock(pem);
        try
        {
            switch (label)
            {
                case "PRIVATE KEY":
                    return ClientPrivateKey.FromPkcs8(der);
                case "RSA PRIVATE KEY":
                    return ClientPrivateKey.FromPkcs1(der);
                case "EC PRIVATE KEY":
                    return ClientPrivateKey.FromSec1(der);
                case "ENCRYPTED PRIVATE KEY" when passphrase.IsEmpty:
                    throw new InvalidKeyException("The private key is encrypted; supply its passphrase.") { PassphraseRequired = true };
                case "ENCRYPTED PRIVATE KEY":
                    return ClientPrivateKey.FromEncryptedPkcs8(passphrase, der);
                case "PUBLIC KEY" or "RSA PUBLIC KEY":
                    throw new InvalidKeyException("This file holds a public key, but a private key is needed here: a client connects with its private key; the public key is what an administrator registers.");
                case "CERTIFICATE":
                    throw new InvalidKeyException("This file holds a certificate, but a private key is needed here.");
                default:
                    throw Unsupported(label);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// Reads the public key in the file at <paramref name="path"/> (a client's key to register): the one way every surface
    /// reads one. A missing file is SecretOps.NotFound; a file <see cref="Storage.InputFile"/> refuses is SecretOps.InvalidParameter;
    /// a key <see cref="ReadPublicKey"/> refuses is SecretOps.InvalidKey, its message naming the file.
    /// </summary>
    public static ClientPublicKey ReadPublicKeyFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var pem = Configuration.RequiredInputFile.ReadText(full, Storage.InputFileKind.PublicKey);
        try
        {
            return ReadPublicKey(pem);
        }
        catch (InvalidKeyException e)
        {
            throw new InvalidKeyException($"The public key file '{full}': {e.Message}", e);
        }
    }

    /// <summary>Reads the public key in <paramref name="pem"/>. A private key is refused: only its owner should hold it.</summary>
    public static ClientPublicKey ReadPublicKey(string pem)
    {
        var (label, der) = FindKeyBlock(pem);
        switch (label)
        {
            case "PUBLIC KEY":
                return ClientPublicKey.FromSubjectPublicKeyInfo(der);
            case "RSA PUBLIC KEY":
                using (var rsa = RSA.Create())
                {
                    try
                    {
                        rsa.ImportRSAPublicKey(der, out var read);
                        if (read != der.Length)
                        {
                            throw new InvalidKeyException("The key data has trailing bytes after the key.");
                        }
                    }
                    catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
                    {
                        throw new InvalidKeyException("The public key is damaged or truncated: its key data could not be read.", e);
                    }

                    return ClientPublicKey.FromRsa(rsa);
                }

            case "PRIVATE KEY" or "RSA PRIVATE KEY" or "EC PRIVATE KEY" or "ENCRYPTED PRIVATE KEY":
                CryptographicOperations.ZeroMemory(der);
                throw new InvalidKeyException("This file holds a private key, but only the public key is needed here; keep the private key with its owner and give its public half (openssl pkey -in KEY -pubout).");
            case "CERTIFICATE":
                throw new InvalidKeyException("This file holds a certificate; give the public key itself (openssl x509 -in CERT -pubkey -noout).");
            default:
                throw Unsupported(label);
        }
    }

    private static (string Label, byte[] Der) FindKeyBlock(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (pem.Length > MaxPemLength)
        {
            throw new InvalidKeyException($"The key file is larger than {MaxPemLength / 1024} KiB; it is not a key.");
        }

        if (pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new InvalidKeyException("The key uses OpenSSL's legacy PEM encryption, which is not supported; convert it with: openssl pkcs8 -topk8 -in KEY -out KEY.p8");
        }

        var remaining = pem.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            if (label != "EC PARAMETERS")
            {
                var der = GC.AllocateArray<byte>(fields.DecodedDataLength, pinned: true);
                if (!Convert.TryFromBase64Chars(remaining[fields.Base64Data], der, out var written) || written != der.Length)
                {
                    CryptographicOperations.ZeroMemory(der);
                    throw new InvalidKeyException("The PEM block's base64 data is damaged.");
                }

                return (label, der);
            }

            remaining = remaining[fields.Location.End..];
        }

        if (pem.Contains("-----BEGIN ", StringComparison.Ordinal))
        {
            throw new InvalidKeyException("The PEM block is incomplete or damaged (truncated file, or a missing -----END line).");
        }

        throw new InvalidKeyException("This is not a PEM key file: no -----BEGIN … ----- block was found.");
    }

    private static InvalidKeyException Unsupported(string label) => label switch
    {
        "OPENSSH PRIVATE KEY" => new InvalidKeyException("OpenSSH's key format is not supported; convert a copy with: ssh-keygen -p -m PKCS8 -f COPY"),
        "DSA PRIVATE KEY" => new InvalidKeyException("DSA keys are not supported; use RSA (2048 bits or more) or EC P-256/P-384."),
        _ => new InvalidKeyException($"A PEM block labelled '{label}' is not a key SecretOps can use."),
    };
}
