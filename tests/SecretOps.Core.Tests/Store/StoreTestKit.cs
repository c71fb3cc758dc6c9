using System.Reflection;
using Microsoft.Data.Sqlite;
using SecretOps.Core.Crypto;
using SecretOps.Core.Keys;
using SecretOps.Core.Secrets;

namespace SecretOps.Core.Tests.Store;

/// <summary>A scratch directory that is removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "secretops-test-") =>
        Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        SecretStore.ReleaseConnections();
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>Reaches into a session for what it holds in memory, to prove where keys are (and are not).</summary>
internal static class SessionInternals
{
    /// <summary>The raw bytes of every namespace and secret key the session has cached (the live arrays, not copies).</summary>
    public static List<byte[]> CachedKeyArrays(Session session)
    {
        var field = typeof(SymmetricKey).GetField("bytes", BindingFlags.NonPublic | BindingFlags.Instance)!;
        return CachedKeys(session).Select(k => (byte[])field.GetValue(k)!).ToList();
    }

    /// <summary>Every namespace and secret key the session's key ring has cached.</summary>
    public static List<SymmetricKey> CachedKeys(Session session)
    {
        var cache = (System.Collections.IDictionary)typeof(KeyRing).GetField("keys", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(KeyRingOf(session))!;
        return cache.Values.Cast<SymmetricKey>().ToList();
    }

    /// <summary>The session's private key object.</summary>
    public static ClientPrivateKey PrivateKey(Session session) =>
        (ClientPrivateKey)typeof(KeyRing).GetField("privateKey", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(KeyRingOf(session))!;

    private static KeyRing KeyRingOf(Session session) =>
        (KeyRing)typeof(Session).GetField("keys", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(session)!;
}

internal static class UnixFiles
{
    public static void SkipUnlessUnix()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes do not apply on Windows (the store uses an owner-only ACL there).");
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');
}

/// <summary>How a value looks for comparisons: its type and its bytes as the CLI would print them.</summary>
internal static class Values
{
    public static string Describe(SecretValue value) => $"{value.Type}:{Convert.ToHexString(value.ToOutputBytes())}";
}
