using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using YamlDotNet.Serialization;

namespace SecretOps.Cli;

/// <summary>The output formats of <c>--output</c>.</summary>
internal enum OutputFormat
{
    Table,
    Json,
    Yaml,
}

/// <summary>One column of a table: its header and how to show a row's value in it.</summary>
internal sealed record Column<T>(string Header, Func<T, string?> Cell);

/// <summary>
/// Writes results to standard output as a table, JSON or YAML. JSON and YAML come from the same plain
/// tree (camelCase keys, ISO 8601 UTC times, lower-case enum names), so both carry the same fields.
/// Results never hold a value; only <c>secret get</c> writes one, through <see cref="WriteRaw"/>.
/// </summary>
internal sealed class Output(OutputFormat format)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .DisableAliases()
        .Build();

    public OutputFormat Format { get; } = format;

    /// <summary>Parses the value of <c>--output</c> (already restricted by the parser).</summary>
    public static OutputFormat ParseFormat(string? text) => text switch
    {
        "json" => OutputFormat.Json,
        "yaml" => OutputFormat.Yaml,
        _ => OutputFormat.Table,
    };

    /// <summary>A list: an aligned table, or an array.</summary>
    public void WriteList<T>(IEnumerable<T> items, params Column<T>[] columns)
    {
        var list = items.ToList();
        if (Format != OutputFormat.Table)
        {
            WriteDocument(list.Select(item => ToTree(item)).ToList());
            return;
        }

        if (list.Count == 0)
        {
            return;
        }

        var rows = new List<string[]> { columns.Select(c => c.Header).ToArray() };
        rows.AddRange(list.Select(item => columns.Select(c => Cell(c.Cell(item))).ToArray()));
        var widths = Enumerable.Range(0, columns.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }

        Console.Out.Write(text.ToString());
    }

    /// <summary>One object: "Label  value" lines, or an object.</summary>
    public void WriteObject(object result)
    {
        var tree = ToTree(result);
        if (Format != OutputFormat.Table)
        {
            WriteDocument(tree);
            return;
        }

        var fields = (IDictionary<string, object?>)tree!;
        var labels = fields.Keys.Select(Label).ToList();
        var width = labels.Max(l => l.Length) + 2;
        var text = new StringBuilder();
        var index = 0;
        foreach (var value in fields.Values)
        {
            text.Append((labels[index++].PadRight(width) + Cell(Describe(value))).TrimEnd()).Append('\n');
        }

        Console.Out.Write(text.ToString());
    }

    /// <summary>A sentence for people in table mode; the object in JSON and YAML.</summary>
    public void WriteMessage(string message, object result)
    {
        if (Format == OutputFormat.Table)
        {
            Console.Out.WriteLine(message);
        }
        else
        {
            WriteDocument(ToTree(result));
        }
    }

    /// <summary>Writes bytes to standard output exactly as they are (<c>secret get</c>).</summary>
    public static void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Console.Out.Flush();
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(bytes);
        stdout.Flush();
    }

    /// <summary>A time as shown in tables: UTC, to the second.</summary>
    public static string? Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Metadata as shown in tables: key=value, comma separated.</summary>
    public static string Metadata(IReadOnlyDictionary<string, object> metadata) =>
        string.Join(", ", metadata.Select(e => $"{e.Key}={Scalar(e.Value)}"));

    /// <summary>An enum as the CLI names it: lower case.</summary>
    public static string Name(Enum value) => value.ToString().ToLowerInvariant();

    private void WriteDocument(object? tree)
    {
        if (Format == OutputFormat.Json)
        {
            Console.Out.Write(JsonSerializer.Serialize(tree, JsonOptions) + "\n");
        }
        else
        {
            Console.Out.Write(Yaml.Serialize(tree));
        }
    }

    /// <summary>
    /// Turns a result into plain data: dictionaries with camelCase keys (in declaration order), lists,
    /// strings, numbers, booleans and nulls.
    /// </summary>
    private static object? ToTree(object? value) => value switch
    {
        null => null,
        string s => s,
        bool or int or long or double => value,
        Guid g => g.ToString(),
        DateTimeOffset o => Iso(o.UtcDateTime),
        DateTime d => Iso(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d.ToUniversalTime()),
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        Enum e => Name(e),
        IEnumerable<KeyValuePair<string, object?>> map => map.ToDictionary(e => e.Key, e => ToTree(e.Value)),
        IEnumerable sequence => sequence.Cast<object?>().Select(ToTree).ToList(),
        _ => value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .ToDictionary(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name), p => ToTree(p.GetValue(value))),
    };

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Scalar(object? value) => ToTree(value) switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? "",
    };

    private static string? Describe(object? value) => value switch
    {
        null => null,
        IDictionary<string, object?> nested => string.Join(", ", nested.Select(e => $"{e.Key}={Describe(e.Value)}")),
        IList list => string.Join("; ", list.Cast<object?>().Select(Describe)),
        _ => Scalar(value),
    };

    /// <summary>"clientSecret" → "Client secret".</summary>
    private static string Label(string key)
    {
        var text = new StringBuilder();
        foreach (var c in key)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append(' ').Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(text.Length == 0 ? char.ToUpperInvariant(c) : c);
            }
        }

        return text.ToString();
    }

    /// <summary>A table cell: control characters (descriptions may hold tabs and newlines) shown escaped.</summary>
    private static string Cell(string? text) =>
        text is null ? "-" : string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
