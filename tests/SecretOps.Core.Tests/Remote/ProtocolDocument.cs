using SecretOps.Core.Tests.Store;

namespace SecretOps.Core.Tests.Remote;

/// <summary>The blocks of docs/SERVER-PROTOCOL.md §9, found by their <c>&lt;!-- kind: name --&gt;</c> markers.</summary>
internal static class ProtocolDocument
{
    private static readonly Lazy<string> Text = new(() =>
        File.ReadAllText(Path.Combine(RepositoryFiles.Root(), "docs", "SERVER-PROTOCOL.md")).Replace("\r\n", "\n", StringComparison.Ordinal));

    /// <summary>The names of the blocks marked <paramref name="kind"/>, in document order.</summary>
    public static IEnumerable<string> Names(string kind)
    {
        var marker = $"<!-- {kind}: ";
        for (var at = Text.Value.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = Text.Value.IndexOf(marker, at + 1, StringComparison.Ordinal))
        {
            var start = at + marker.Length;
            yield return Text.Value[start..Text.Value.IndexOf(" -->", start, StringComparison.Ordinal)];
        }
    }

    /// <summary>The fenced block after the marker, exactly, without its final newline.</summary>
    public static string Block(string kind, string name)
    {
        var marker = $"<!-- {kind}: {name} -->\n```\n";
        var start = Text.Value.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"SERVER-PROTOCOL.md has no block '{kind}: {name}'");
        start += marker.Length;
        return Text.Value[start..(Text.Value.IndexOf("\n```", start - 1, StringComparison.Ordinal))];
    }

    /// <summary>The "name = value" lines of the block ('#' lines are comments; a value may be empty).</summary>
    public static IReadOnlyDictionary<string, string> Values(string kind, string name)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in Block(kind, name).Split('\n').Where(line => !line.StartsWith('#')))
        {
            var equals = line.IndexOf('=');
            Assert.True(equals > 0, $"{kind} {name}: unreadable line: {line}");
            values.Add(line[..equals].Trim(), line[(equals + 1)..].Trim());
        }

        return values;
    }
}
