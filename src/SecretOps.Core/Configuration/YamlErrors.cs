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

    /// <summary>
    /// Exceptions YamlDotNet throws on some malformed input instead of a <see cref="YamlException"/> (found by
    /// fuzzing: "...\0" ends its scanner in an InvalidOperationException, "!!+!" makes an invalid tag an
    /// ArgumentException, "- {a\n- b" leaves its parser in a state it refuses). Callers refuse the file, as for a YamlException.
    /// </summary>
    public static bool IsParserFailure(Exception e) => e is InvalidOperationException or ArgumentException;

    /// <summary>What to tell about such a failure: it carries no position.</summary>
    public static string ExplainParserFailure(Exception e) => $"not valid YAML ({e.Message.TrimEnd('.')})";

    [GeneratedRegex("^Property '(?<key>[^']*)' not found on type", RegexOptions.CultureInvariant)]
    private static partial Regex UnknownProperty();
}
