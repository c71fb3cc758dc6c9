using System.ComponentModel;
using System.Diagnostics;

namespace SecretOps.Cli.Tests;

/// <summary>
/// Keys made by the real <c>openssl</c> command, once per test class (RSA-4096 takes seconds), in a private
/// temporary folder. Without openssl the tests skip, except in CI (SECRETOPS_REQUIRE_REFERENCE_LIBS=1), where
/// they fail: see <see cref="Require"/>.
/// </summary>
public sealed class OpenSslKeys : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("secretops-cli-keys-").FullName;
    private readonly Dictionary<string, string> files = new();

    public OpenSslKeys()
    {
        UnavailableReason = Probe();
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
        var whole = File.ReadAllText(Path("rsa2048.pkcs8"));
        files["rsa2048.truncated"] = System.IO.Path.Combine(directory, "rsa2048.truncated.pem");
        File.WriteAllText(files["rsa2048.truncated"], whole[..(whole.Length / 2)]);
    }

    /// <summary>Null when openssl ran; otherwise why not.</summary>
    public string? UnavailableReason { get; }

    /// <summary>The path of a generated key file, e.g. <c>rsa2048.pkcs1</c>.</summary>
    public string Path(string name) => files[name];

    /// <summary>Skips the test without openssl, or fails it in CI (SECRETOPS_REQUIRE_REFERENCE_LIBS=1).</summary>
    public void Require()
    {
        if (UnavailableReason is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("SECRETOPS_REQUIRE_REFERENCE_LIBS") == "1")
        {
            Assert.Fail($"Required in CI: {UnavailableReason}");
        }

        Assert.Skip(UnavailableReason);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed: {stderr}");
        }

        return stdout.Result;
    }

    private static string? Probe()
    {
        try
        {
            Run("version");
            return null;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return $"the openssl command is not available (Debian: apt-get install openssl): {e.Message}";
        }
    }

    private void Generate(string name, params string[] arguments)
    {
        var path = System.IO.Path.Combine(directory, name + ".pem");
        Run(arguments.Select(a => a == "{out}" ? path : a).ToArray());
        files[name] = path;
    }
}
