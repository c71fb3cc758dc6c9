using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace SecretOps.Core.Tests.Store;

/// <summary>The repository's files, found from this source file's path.</summary>
internal static class RepositoryFiles
{
    public static string Root([CallerFilePath] string here = "")
    {
        var directory = new DirectoryInfo(Path.GetDirectoryName(here)!);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SecretOps.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>One "name = value" block of FORMAT.md (a §13 vector or the worked example), found by its marker; NULL stands for a NULL column.</summary>
internal sealed partial class FormatVector
{
    private readonly Dictionary<string, string?> values;

    /// <summary>The vector block of §13 whose marker is <c>&lt;!-- vector: NAME</c>.</summary>
    public FormatVector(string name)
        : this(name, $"<!-- vector: {name} ")
    {
    }

    /// <summary>The block after <paramref name="marker"/>, called <paramref name="name"/> in messages.</summary>
    public FormatVector(string name, string marker)
    {
        Name = name;
        var document = File.ReadAllText(Path.Combine(RepositoryFiles.Root(), "docs", "FORMAT.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var start = document.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"FORMAT.md has no block '{marker}'");
        var fence = document.IndexOf("```", start, StringComparison.Ordinal);
        var body = document[(document.IndexOf('\n', fence) + 1)..document.IndexOf("```", fence + 3, StringComparison.Ordinal)];
        values = [];
        string? last = null;
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var match = VectorLine().Match(line);
            if (match.Success)
            {
                last = match.Groups[1].Value;
                values[last] = match.Groups[2].Value == "NULL" ? null : match.Groups[2].Value;
            }
            else
            {
                Assert.True(last is not null && line.StartsWith(' ') && values[last] is not null, $"§13 {name}: unreadable line: {line}");
                values[last!] += line.Trim();
            }
        }
    }

    public string Name { get; }

    /// <summary>A value as the document writes it (NULL refused).</summary>
    public string this[string key] => Text(key);

    public string Text(string key) => values.TryGetValue(key, out var value) ? value ?? throw new InvalidOperationException($"{key} is NULL") : throw new KeyNotFoundException($"§13 {Name} has no '{key}'");

    public string? Nullable(string key) => values.TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"§13 {Name} has no '{key}'");

    public byte[] Hex(string key) => Convert.FromHexString(Text(key));

    public Guid Id(string key) => new(Hex(key), bigEndian: true);

    public long Int(string key) => long.Parse(Text(key), CultureInfo.InvariantCulture);

    public void Same(string key, ReadOnlySpan<byte> computed, string by) =>
        Assert.True(Convert.ToHexString(computed) == Text(key).ToUpperInvariant(),
            $"§13 {Name} {key} ({by}): the document says {Text(key)}, computed {Convert.ToHexString(computed).ToLowerInvariant()}");

    [GeneratedRegex(@"^([a-z_0-9.]+)\s+=\s(.+)$")]
    private static partial Regex VectorLine();
}
