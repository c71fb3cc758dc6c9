using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace SecretOps.Core.Configuration;

/// <summary>YamlDotNet's reasons for refusing a file, told in the file's terms rather than .NET's.</summary>
internal static partial class YamlErrors
{
    public static string Explain(YamlException e)
    {
        var message = (e.InnerException ?? e).Message;
        var unknown = UnknownProperty().Match(message);
        return unknown.Success ? $"unknown key '{unknown.Groups["key"].Value}'"
            : e.InnerException is FormatException or OverflowException ? "a value has the wrong type (expected a number, true/false, or text)"
            : message.StartsWith("No node deserializer", StringComparison.Ordinal) || e.InnerException is InvalidCastException
                ? "a value has the wrong shape (a list or mapping where a single value belongs, or the reverse)"
            : message;
    }

    [GeneratedRegex("^Property '(?<key>[^']*)' not found on type", RegexOptions.CultureInvariant)]
    private static partial Regex UnknownProperty();
}
