using System.Security.Cryptography;
using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>How both registries write a client's columns: the allow-list as its ranges separated by spaces, the status as a lowercase word.</summary>
internal static class ClientColumns
{
    public static string AllowList(AddressAllowList allowList) => string.Join(' ', allowList.Ranges);

    public static AddressAllowList AllowList(string text) => AddressAllowList.Parse(text.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    public static string Status(EnrolmentStatus status) => status == EnrolmentStatus.Active ? "active" : "disabled";

    // The schema allows only these two words; anything else would read as disabled, never active.
    public static EnrolmentStatus Status(string text) => text == "active" ? EnrolmentStatus.Active : EnrolmentStatus.Disabled;

    /// <summary>A copy of the key for the database driver; the caller wipes it after the command.</summary>
    public static byte[] KeyBytes(RequestSigningKey key)
    {
        var bytes = new byte[RequestSigningKey.Length];
        key.CopyTo(bytes);
        return bytes;
    }

    /// <summary>The key read from the database, the read buffer wiped.</summary>
    public static RequestSigningKey Key(byte[] stored)
    {
        try
        {
            return RequestSigningKey.FromBytes(stored);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stored);
        }
    }
}
