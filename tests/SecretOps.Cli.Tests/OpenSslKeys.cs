using SecretOps.ReferenceLibs;

namespace SecretOps.Cli.Tests;

/// <summary>
/// The keys the key-file client tests use, made once per test class (RSA-4096 takes seconds). Without openssl
/// the tests skip, except in CI (SECRETOPS_REQUIRE_REFERENCE_LIBS=1), where they fail: see <see cref="OpenSslKeySet.Require"/>.
/// </summary>
public sealed class OpenSslKeys : OpenSslKeySet
{
    public OpenSslKeys()
        : base("secretops-cli-keys-")
    {
        if (UnavailableReason is not null)
        {
            return;
        }

        foreach (var bits in new[] { 2048, 3072, 4096 })
        {
            Generate($"rsa{bits}.pkcs1", "genrsa", "-traditional", "-out", "{out}", bits.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Generate($"rsa{bits}.pkcs8", "pkcs8", "-topk8", "-nocrypt", "-in", Path($"rsa{bits}.pkcs1"), "-out", "{out}");
            Generate($"rsa{bits}.pub", "pkey", "-in", Path($"rsa{bits}.pkcs1"), "-pubout", "-out", "{out}");
        }

        Generate("p256.sec1", "ecparam", "-genkey", "-name", "prime256v1", "-out", "{out}");
        Generate("p256.pkcs8", "pkcs8", "-topk8", "-nocrypt", "-in", Path("p256.sec1"), "-out", "{out}");
        Generate("p256.pub", "pkey", "-in", Path("p256.sec1"), "-pubout", "-out", "{out}");
        Generate("p256-next.sec1", "ecparam", "-genkey", "-name", "prime256v1", "-out", "{out}");
        Generate("p256-next.pub", "pkey", "-in", Path("p256-next.sec1"), "-pubout", "-out", "{out}");
        Generate("rsa1024.pkcs1", "genrsa", "-traditional", "-out", "{out}", "1024");
        Generate("rsa1024.pub", "pkey", "-in", Path("rsa1024.pkcs1"), "-pubout", "-out", "{out}");
        Generate("ed25519.pkcs8", "genpkey", "-algorithm", "ed25519", "-out", "{out}");
        Generate("ed25519.pub", "pkey", "-in", Path("ed25519.pkcs8"), "-pubout", "-out", "{out}");

        // A key file cut short, as a failed copy leaves it.
        var whole = Pem("rsa2048.pkcs8");
        Write("rsa2048.truncated", whole[..(whole.Length / 2)]);
    }
}
