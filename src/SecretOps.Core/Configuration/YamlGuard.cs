using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SecretOps.Core.Configuration;

/// <summary>
/// The checks every YAML file passes before it is deserialized. Nesting is counted on the parser's event stream and
/// refused at the first level past <see cref="MaxDepth"/>: the parser is lazy, so a file of a million '[' costs a
/// few thousand tokens instead of a quadratic parse of all of them.
/// </summary>
internal static class YamlGuard
{
    /// <summary>Deepest nesting of lists and mappings accepted; SecretOps's own files need four.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Why <paramref name="yaml"/> is refused (too deep; with <paramref name="refuseAnchors"/>, an anchor or alias),
    /// or null. A syntax error ends the walk with null: the deserializer meets it at the same place, within the same
    /// depth, and reports it where the broken node starts.
    /// </summary>
    public static string? FindProblem(string yaml, bool refuseAnchors)
    {
        try
        {
            return Walk(new Parser(new StringReader(yaml)), refuseAnchors);
        }
        catch (Exception e) when (e is YamlException || YamlErrors.IsParserFailure(e))
        {
            // Malformed, not too deep: the deserializer reports it, with its position where it has one.
            return null;
        }
    }

    private static string? Walk(Parser parser, bool refuseAnchors)
    {
        var depth = 0;
        while (parser.MoveNext())
        {
            var current = parser.Current!;
            if (refuseAnchors && (current is AnchorAlias || current is NodeEvent { Anchor.IsEmpty: false }))
            {
                return $"line {current.Start.Line}: anchors and aliases are not allowed in policy files";
            }

            if (current is SequenceStart or MappingStart && ++depth > MaxDepth)
            {
                return $"line {current.Start.Line}, column {current.Start.Column}: lists and mappings are nested more than {MaxDepth} deep";
            }

            if (current is SequenceEnd or MappingEnd)
            {
                depth--;
            }
        }

        return null;
    }
}
