using SecretOps.ReferenceLibs;

namespace SecretOps.Core.Tests.Support;

/// <summary>The keys the crypto tests import: every accepted format and size, and every kind SecretOps refuses.</summary>
public sealed class OpenSslKeys : OpenSslKeySet
{
    public OpenSslKeys()
        : base("secretops-keys-")
    {
        if (UnavailableReason is not null)
        {
            return;
        }

        foreach (var bits in new[] { 2048, 3072, 4096 })
        {
            Generate($"rsa{bits}.pkcs1", "genrsa", "-traditional", "-out", "{out}", bits.ToString());
            Generate($"rsa{bits}.pkcs8", "pkcs8", "-topk8", "-nocrypt", "-in", Path($"rsa{bits}.pkcs1"), "-out", "{out}");
            Generate($"rsa{bits}.spki", "pkey", "-in", Path($"rsa{bits}.pkcs1"), "-pubout", "-out", "{out}");
        }

        Generate("rsa2048.pkcs1-public", "rsa", "-in", Path("rsa2048.pkcs1"), "-RSAPublicKey_out", "-out", "{out}");
        foreach (var (name, curve) in new[] { ("p256", "prime256v1"), ("p384", "secp384r1") })
        {
            Generate($"{name}.sec1", "ecparam", "-genkey", "-name", curve, "-out", "{out}");
            Generate($"{name}.pkcs8", "pkcs8", "-topk8", "-nocrypt", "-in", Path($"{name}.sec1"), "-out", "{out}");
            Generate($"{name}.spki", "pkey", "-in", Path($"{name}.sec1"), "-pubout", "-out", "{out}");
        }

        Generate("p256.encrypted-pkcs8", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:correct horse", "-in", Path("p256.sec1"), "-out", "{out}");
        Generate("rsa2048.encrypted-pkcs8", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:correct horse", "-in", Path("rsa2048.pkcs1"), "-out", "{out}");
        Generate("rsa2048.legacy-encrypted", "rsa", "-traditional", "-aes256", "-passout", "pass:x", "-in", Path("rsa2048.pkcs1"), "-out", "{out}");
        Generate("rsa1024.pkcs1", "genrsa", "-traditional", "-out", "{out}", "1024");
        Generate("rsa1024.spki", "pkey", "-in", Path("rsa1024.pkcs1"), "-pubout", "-out", "{out}");
        Generate("ed25519.pkcs8", "genpkey", "-algorithm", "ed25519", "-out", "{out}");
        Generate("ed25519.spki", "pkey", "-in", Path("ed25519.pkcs8"), "-pubout", "-out", "{out}");
        Generate("x25519.pkcs8", "genpkey", "-algorithm", "x25519", "-out", "{out}");
        Generate("secp256k1.sec1", "ecparam", "-genkey", "-name", "secp256k1", "-out", "{out}");
        Generate("p521.sec1", "ecparam", "-genkey", "-name", "secp521r1", "-out", "{out}");
        Generate("p521.spki", "pkey", "-in", Path("p521.sec1"), "-pubout", "-out", "{out}");
        Generate("p256-explicit.sec1", "ecparam", "-genkey", "-name", "prime256v1", "-param_enc", "explicit", "-out", "{out}");
    }
}
