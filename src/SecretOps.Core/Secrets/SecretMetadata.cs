using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SecretOps.Core.Secrets;

/// <summary>
/// Metadata on a secret: not secret (stored in clear, as SecretManagement treats it), bounded, typed.
/// Values are string, int, long, bool or DateTime (kept in UTC).
/// </summary>
public static partial class SecretMetadata
{
    /// <summary>Most entries per secret.</summary>
    public const int MaxEntries = 32;

    /// <summary>Longest key.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>Longest string value.</summary>
    public const int MaxStringLength = 1024;

    /// <summary>Validates and copies metadata, normalising DateTime values to UTC.</summary>
    public static IReadOnlyDictionary<string, object> Validate(IReadOnlyDictionary<string, object>? metadata)
    {
        var result = new SortedDictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        if (metadata is null)
        {
            return result;
        }

        if (metadata.Count > MaxEntries)
        {
            throw new InvalidParameterException("metadata", $"A secret holds at most {MaxEntries} metadata entries; got {metadata.Count}.");
        }

        foreach (var (key, value) in metadata)
        {
            if (key is null || key.Length > MaxKeyLength || !KeyPattern().IsMatch(key))
            {
                throw new InvalidParameterException("metadata", $"Metadata key '{Names.Printable(key)}' is not 1–{MaxKeyLength} letters, digits, '.', '_' or '-'.");
            }

            if (result.ContainsKey(key))
            {
                throw new InvalidParameterException("metadata", $"Metadata key '{key}' is given twice (keys ignore case).");
            }

            result[key] = value switch
            {
                string s when s.Length > MaxStringLength => throw new InvalidParameterException("metadata", $"Metadata '{key}' is longer than {MaxStringLength} characters."),
                string s when s.Any(char.IsControl) => throw new InvalidParameterException("metadata", $"Metadata '{key}' contains control characters."),
                string or int or long or bool => value,
                DateTime d => d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d.ToUniversalTime(),
                DateTimeOffset o => o.UtcDateTime,
                null => throw new InvalidParameterException("metadata", $"Metadata '{key}' has no value."),
                _ => throw new InvalidParameterException("metadata", $"Metadata '{key}' is a {value.GetType().Name}; allowed are string, int, long, bool and DateTime."),
            };
        }

        return result;
    }

    /// <summary>Parses <c>key=value</c> text (CLI <c>--meta</c>): integers, true/false and ISO 8601 times are typed, the rest is text.</summary>
    public static KeyValuePair<string, object> ParseAssignment(string text)
    {
        var equals = text?.IndexOf('=', StringComparison.Ordinal) ?? -1;
        if (equals <= 0)
        {
            throw new InvalidParameterException("meta", $"'{Names.Printable(text)}' is not key=value.");
        }

        var key = text![..equals];
        var raw = text[(equals + 1)..];
        object value = int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i
            : long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
            : bool.TryParse(raw, out var b) ? b
            : raw.Length >= 10 && DateTime.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var d) && raw[4] == '-' ? d
            : raw;
        return new(key, value);
    }

    internal static string Serialize(IReadOnlyDictionary<string, object> metadata)
    {
        var root = new JsonObject();
        foreach (var (key, value) in metadata)
        {
            root[key] = value switch
            {
                string s => new JsonObject { ["t"] = "string", ["v"] = s },
                int i => new JsonObject { ["t"] = "int", ["v"] = i },
                long l => new JsonObject { ["t"] = "long", ["v"] = l },
                bool b => new JsonObject { ["t"] = "bool", ["v"] = b },
                DateTime d => new JsonObject { ["t"] = "datetime", ["v"] = d.ToString("O", CultureInfo.InvariantCulture) },
                _ => throw new InvalidOperationException("unvalidated metadata"),
            };
        }

        return root.ToJsonString();
    }

    internal static IReadOnlyDictionary<string, object> Deserialize(string? json)
    {
        var result = new SortedDictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(json))
        {
            return result;
        }

        try
        {
            foreach (var (key, node) in JsonNode.Parse(json)!.AsObject())
            {
                var entry = node!.AsObject();
                var v = entry["v"]!;
                result[key] = (string)entry["t"]! switch
                {
                    "string" => (object)v.GetValue<string>(),
                    "int" => v.GetValue<int>(),
                    "long" => v.GetValue<long>(),
                    "bool" => v.GetValue<bool>(),
                    "datetime" => DateTime.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                    _ => throw new FormatException("unknown metadata type"),
                };
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new StoreUnavailableException("A secret's metadata is corrupt.", null, corrupt: true, e);
        }

        return result;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
