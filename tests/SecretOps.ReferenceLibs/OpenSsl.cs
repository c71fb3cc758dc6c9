using System.ComponentModel;
using System.Diagnostics;

namespace SecretOps.ReferenceLibs;

/// <summary>The real <c>openssl</c> command, which makes the keys the tests import as a sysadmin would.</summary>
public static class OpenSsl
{
    private static readonly Lazy<string?> Unavailable = new(() =>
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
    });

    /// <summary>Null when openssl runs; otherwise why not.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    /// <summary>Runs openssl with the arguments and returns its standard output; a failure throws with its stderr.</summary>
    public static string Run(params string[] arguments)
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
}

/// <summary>
/// Key files made by <c>openssl</c> in a private temporary folder, deleted on dispose. A test fixture derives
/// from it and calls <see cref="Generate"/> for the keys its tests need (only when <see cref="UnavailableReason"/>
/// is null).
/// </summary>
public class OpenSslKeySet : IDisposable
{
    private readonly string directory;
    private readonly Dictionary<string, string> files = new();

    protected OpenSslKeySet(string folderPrefix)
    {
        directory = Directory.CreateTempSubdirectory(folderPrefix).FullName;
    }

    /// <summary>Null when openssl runs; otherwise why not.</summary>
    public string? UnavailableReason { get; } = OpenSsl.UnavailableReason;

    /// <summary>The path of a generated key file, e.g. <c>rsa2048.pkcs1</c>.</summary>
    public string Path(string name) => files[name];

    /// <summary>The PEM text of a generated key file.</summary>
    public string Pem(string name) => File.ReadAllText(files[name]);

    /// <summary>Skips the test without openssl, or fails it in CI (SECRETOPS_REQUIRE_REFERENCE_LIBS=1).</summary>
    public void Require() => ReferenceRequirement.Require(UnavailableReason);

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs openssl to make <paramref name="name"/>.pem; "{out}" in the arguments is replaced by its path.</summary>
    protected void Generate(string name, params string[] arguments)
    {
        var path = System.IO.Path.Combine(directory, name + ".pem");
        OpenSsl.Run(arguments.Select(a => a == "{out}" ? path : a).ToArray());
        files[name] = path;
    }

    /// <summary>Adds a file with the given text (e.g. a key cut short, as a failed copy leaves it).</summary>
    protected void Write(string name, string text)
    {
        var path = System.IO.Path.Combine(directory, name + ".pem");
        File.WriteAllText(path, text);
        files[name] = path;
    }
}
