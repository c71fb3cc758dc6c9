using System.Collections;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using SecretOps.Core.Secrets;

namespace SecretOps.Module;

/// <summary>
/// The one place PowerShell's types (SecureString, PSCredential, Hashtable, PSObject) meet Core's
/// <see cref="SecretValue"/>. Plaintext copies this code makes itself (unmanaged SecureString buffers,
/// char arrays) are wiped; .NET strings cannot be, so they are made only where Core's API takes a string.
/// </summary>
internal static class PowerShellValues
{
    /// <summary>What <c>-Value</c> accepts, for messages.</summary>
    public const string AcceptedTypes = "a string, SecureString, PSCredential, byte[] or Hashtable";

    /// <summary>The object behind a PSObject wrapper.</summary>
    public static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    /// <summary>
    /// The characters of a SecureString in a pinned array the caller must wipe with
    /// <see cref="Wipe(char[])"/>. The unmanaged copy is zeroed before this returns.
    /// </summary>
    public static char[] ToChars(SecureString secure)
    {
        ArgumentNullException.ThrowIfNull(secure);
        var chars = GC.AllocateArray<char>(secure.Length, pinned: true);
        var unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }

        return chars;
    }

    /// <summary>Zeroes a char array (null-safe).</summary>
    public static void Wipe(char[]? chars)
    {
        if (chars is not null)
        {
            Array.Clear(chars);
        }
    }

    /// <summary>A SecureString as a .NET string, for Core APIs that take one. The string cannot be wiped.</summary>
    public static string ToPlainString(SecureString secure)
    {
        var chars = ToChars(secure);
        try
        {
            return new string(chars);
        }
        finally
        {
            Wipe(chars);
        }
    }

    /// <summary>A read-only SecureString holding <paramref name="text"/>.</summary>
    public static unsafe SecureString ToSecureString(ReadOnlySpan<char> text)
    {
        SecureString secure;
        fixed (char* characters = text)
        {
            secure = text.IsEmpty ? new SecureString() : new SecureString(characters, text.Length);
        }

        secure.MakeReadOnly();
        return secure;
    }

    /// <summary>Converts what <c>Set-SecretValue -Value</c> received; anything else is refused with SecretOps.InvalidParameter.</summary>
    public static SecretValue ToSecretValue(object? input)
    {
        var value = Unwrap(input);
        switch (value)
        {
            case string text:
                return SecretValue.FromString(text);
            case SecureString secure:
                return SecretValue.FromString(ToPlainString(secure), secure: true);
            case PSCredential credential:
                if (string.IsNullOrEmpty(credential.UserName) || credential.Password is null)
                {
                    throw new InvalidParameterException("Value", "The credential has no user name or no password.");
                }

                return SecretValue.FromCredential(credential.UserName, ToPlainString(credential.Password));
            case byte[] bytes:
                return SecretValue.FromBytes(bytes);
            case IDictionary table:
                return ToTable(table);
            case null:
                throw new InvalidParameterException("Value", $"The value is empty; give {AcceptedTypes}.");
            default:
                throw new InvalidParameterException("Value", $"A secret value must be {AcceptedTypes}; got a {value.GetType().FullName}.");
        }
    }

    /// <summary>
    /// The value as PowerShell hands it out: text as a SecureString unless <paramref name="asPlainText"/>,
    /// credentials as PSCredential, bytes as byte[], tables as a case-insensitive Hashtable of those.
    /// </summary>
    public static object FromSecretValue(SecretValue value, bool asPlainText)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value.Type)
        {
            case SecretValueType.String:
            case SecretValueType.SecureString:
                var text = value.GetString();
                return asPlainText ? text : ToSecureString(text);
            case SecretValueType.Credential:
                var (userName, password) = value.GetCredential();
                return new PSCredential(userName, ToSecureString(password));
            case SecretValueType.Bytes:
                return value.GetBytes();
            case SecretValueType.Hashtable:
                var entries = value.GetTable();
                try
                {
                    var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
                    foreach (var (key, entry) in entries)
                    {
                        table[key] = FromSecretValue(entry, asPlainText);
                    }

                    return table;
                }
                finally
                {
                    foreach (var entry in entries.Values)
                    {
                        entry.Dispose();
                    }
                }

            default:
                throw new InvalidParameterException("type", $"Unknown value type {value.Type}.");
        }
    }

    /// <summary>Metadata from a Hashtable: keys as text, values unwrapped; Core validates them.</summary>
    public static IReadOnlyDictionary<string, object> ToMetadata(IDictionary metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in metadata)
        {
            var key = Unwrap(entry.Key)?.ToString() ?? "";
            if (!result.TryAdd(key, Unwrap(entry.Value)!))
            {
                throw new InvalidParameterException("Metadata", $"Metadata key '{Names.Printable(key)}' is given twice.");
            }
        }

        return result;
    }

    /// <summary>A DateTime as PowerShell users mean it: an unspecified kind is local time.</summary>
    public static DateTimeOffset ToDateTimeOffset(DateTime time) =>
        time.Kind == DateTimeKind.Utc ? new DateTimeOffset(time) : new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Local));

    private static SecretValue ToTable(IDictionary table)
    {
        var entries = new Dictionary<string, SecretValue>(StringComparer.Ordinal);
        try
        {
            foreach (DictionaryEntry entry in table)
            {
                var key = Unwrap(entry.Key)?.ToString() ?? "";
                var item = Unwrap(entry.Value);
                if (item is IDictionary)
                {
                    throw new InvalidParameterException("Value", $"Table entry '{Names.Printable(key)}' is itself a table; tables cannot be nested.");
                }

                if (item is not (string or SecureString or PSCredential or byte[]))
                {
                    throw new InvalidParameterException("Value", $"Table entry '{Names.Printable(key)}' must be a string, SecureString, PSCredential or byte[]; got {(item is null ? "nothing" : "a " + item.GetType().FullName)}.");
                }

                var converted = ToSecretValue(item);
                if (!entries.TryAdd(key, converted))
                {
                    converted.Dispose();
                    throw new InvalidParameterException("Value", $"Table key '{Names.Printable(key)}' is given twice.");
                }
            }

            return SecretValue.FromTable(entries);
        }
        finally
        {
            foreach (var entry in entries.Values)
            {
                entry.Dispose();
            }
        }
    }
}
