using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace SecretOps.Module.Tests;

/// <summary>
/// Help for every cmdlet: docs/cmdlets/&lt;Verb-Noun&gt;.md (platyPS layout) documents each cmdlet the module exports
/// and each parameter the compiled cmdlet declares, and the build compiles it into MAML beside the assembly
/// (bin/en-US/SecretOps.Module.dll-Help.xml) plus the about_SecretOps topic. A new cmdlet or parameter without
/// help fails here.
/// </summary>
public class HelpTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly string DocsFolder = Path.Combine(ModuleMetadata.RepoRoot, "docs", "cmdlets");

    private static readonly string MamlPath = Path.Combine(ModuleFolder.Bin, "en-US", "SecretOps.Module.dll-Help.xml");

    private static readonly Lazy<XDocument> Maml_ = new(() => XDocument.Load(MamlPath));

    public static TheoryData<string> CmdletNames() => CmdletShapeTests.CmdletNames();

    /// <summary>Every cmdlet the manifest exports and every compiled one (ManifestTests checks they are the same).</summary>
    private static IEnumerable<string> DocumentedCmdletNames()
    {
        var manifest = File.ReadAllText(Path.Combine(ModuleFolder.Path, "SecretOps.psd1"));
        return (PowerShellDataFile.ReadStringArray(manifest, "CmdletsToExport") ?? [])
            .Concat(ModuleMetadata.Cmdlets.Select(c => c.Name))
            .Distinct(StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void EveryExportedCmdlet_HasAMarkdownTopic_AndEveryTopicIsACmdlet()
    {
        var files = Directory.GetFiles(DocsFolder, "*.md").Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        var missing = DocumentedCmdletNames().Where(n => !files.Contains(n)).Order().ToList();
        Assert.True(missing.Count == 0, $"No help for [{string.Join(", ", missing)}]: add docs/cmdlets/<Verb-Noun>.md (copy an existing topic's layout).");
        var cmdlets = DocumentedCmdletNames().ToHashSet(StringComparer.Ordinal);
        var stray = files.Where(f => !cmdlets.Contains(f!)).Order().ToList();
        Assert.True(stray.Count == 0, $"docs/cmdlets has topics for cmdlets the module does not export (or spelled differently): [{string.Join(", ", stray)}].");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Topic_HasTitleSynopsisDescriptionAndAnExample(string name)
    {
        var topic = Topic.Read(name);
        Assert.Equal(name, topic.Title);
        Assert.True(topic.Prose("SYNOPSIS").Length >= 10, $"{name}.md: write a one-sentence ## SYNOPSIS.");
        Assert.True(topic.Prose("DESCRIPTION").Length >= 40, $"{name}.md: write a ## DESCRIPTION.");
        var examples = topic.Subsections("EXAMPLES");
        Assert.True(examples.Count > 0, $"{name}.md: add at least one ### Example under ## EXAMPLES.");
        foreach (var (title, body) in examples)
        {
            Assert.Matches(@"^Example \d+", title);
            var code = Regex.Match(body, "```powershell\n(?<code>.*?)```", RegexOptions.Singleline);
            Assert.True(code.Success, $"{name}.md '{title}': the example needs a ```powershell fence.");
            Assert.Contains(name, code.Groups["code"].Value, StringComparison.OrdinalIgnoreCase);
            var remarks = body.Substring(code.Index + code.Length).Trim();
            Assert.True(remarks.Length > 0, $"{name}.md '{title}': explain what the example does after its code.");
        }

        foreach (var section in new[] { "SYNTAX", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES" })
        {
            Assert.True(topic.Has(section), $"{name}.md: the platyPS layout needs a ## {section} section.");
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Topic_DocumentsEveryParameter_AndNoOther(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var topic = Topic.Read(name);
        var documented = topic.Subsections("PARAMETERS").Where(s => s.Title != "CommonParameters").ToList();
        foreach (var (title, body) in documented)
        {
            Assert.True(title.StartsWith('-'), $"{name}.md: parameter heading '### {title}' must be '### -Name'.");
            var prose = Regex.Replace(body, "```.*?```", "", RegexOptions.Singleline).Trim();
            Assert.True(prose.Length > 0, $"{name}.md: {title} has no description.");
            Assert.Matches(new Regex("```yaml\nType: ", RegexOptions.None), body);
        }

        var names = documented.Select(s => s.Title.TrimStart('-')).ToList();
        var declared = cmdlet.Parameters.Select(p => p.Name).ToList();
        if (cmdlet.SupportsShouldProcess)
        {
            declared.AddRange(["WhatIf", "Confirm"]);
        }

        var undocumented = declared.Except(names, StringComparer.Ordinal).Order().ToList();
        Assert.True(undocumented.Count == 0, $"{name}.md does not document [{string.Join(", ", undocumented)}]: add a '### -Name' section with a description and a yaml block.");
        var unknown = names.Except(declared, StringComparer.Ordinal).Order().ToList();
        Assert.True(unknown.Count == 0, $"{name}.md documents parameters the cmdlet does not have: [{string.Join(", ", unknown)}].");
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Topic_ParameterFacts_MatchTheCompiledCmdlet(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var topic = Topic.Read(name);
        var sections = topic.Subsections("PARAMETERS").ToDictionary(s => s.Title.TrimStart('-'), s => s.Body, StringComparer.Ordinal);
        foreach (var parameter in cmdlet.Parameters)
        {
            if (!sections.TryGetValue(parameter.Name, out var body))
            {
                continue; // reported by Topic_DocumentsEveryParameter_AndNoOther
            }

            var mandatorySomewhere = parameter.Declarations.Any(d => ModuleMetadata.Named<bool>(d, "Mandatory"));
            Assert.True(body.Contains("Required: True", StringComparison.Ordinal) == mandatorySomewhere,
                $"{name}.md -{parameter.Name}: Required should be {mandatorySomewhere} (in at least one parameter set when True).");
            var typeName = parameter.Type.IsGenericType ? parameter.Type.GetGenericArguments()[0].Name : parameter.Type.Name;
            Assert.True(body.Contains($"Type: {typeName}\n", StringComparison.Ordinal), $"{name}.md -{parameter.Name}: Type should be {typeName}.");
            foreach (var alias in parameter.Aliases)
            {
                Assert.True(Regex.IsMatch(body, $@"Aliases:.*\b{Regex.Escape(alias)}\b"), $"{name}.md -{parameter.Name}: list the alias {alias}.");
            }
        }
    }

    [Fact]
    public void Maml_IsWellFormed_WithTheMamlNamespaces()
    {
        Assert.True(File.Exists(MamlPath), $"The build did not produce {MamlPath}.");
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit };
        using (var reader = XmlReader.Create(MamlPath, settings))
        {
            while (reader.Read())
            {
            }
        }

        var root = Maml_.Value.Root!;
        Assert.Equal("helpItems", root.Name.LocalName);
        Assert.Equal("maml", (string?)root.Attribute("schema"));
        var commands = root.Elements(Command + "command").ToList();
        Assert.NotEmpty(commands);
        foreach (var command in commands)
        {
            Assert.Equal(Maml.NamespaceName, command.GetNamespaceOfPrefix("maml")?.NamespaceName);
            Assert.Equal(Command.NamespaceName, command.GetNamespaceOfPrefix("command")?.NamespaceName);
            Assert.Equal(Dev.NamespaceName, command.GetNamespaceOfPrefix("dev")?.NamespaceName);
        }
    }

    [Fact]
    public void Maml_HasOneTopicPerCmdlet_AndNoOther()
    {
        var inMaml = MamlCommands().Select(c => c.Name).ToList();
        Assert.Equal(inMaml.Count, inMaml.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(DocumentedCmdletNames().Order(StringComparer.OrdinalIgnoreCase), inMaml.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Maml_HasSynopsisDescriptionExamplesAndEveryParameter(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var command = MamlCommands().SingleOrDefault(c => c.Name == name).Element
            ?? throw new Xunit.Sdk.XunitException($"The MAML has no topic for {name}: is docs/cmdlets/{name}.md compiled?");
        var details = command.Element(Command + "details")!;
        Assert.Equal(cmdlet.Verb, details.Element(Command + "verb")?.Value);
        Assert.Equal(cmdlet.Noun, details.Element(Command + "noun")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(details.Element(Maml + "description")?.Value), $"{name}: empty synopsis in the MAML.");
        Assert.False(string.IsNullOrWhiteSpace(command.Element(Maml + "description")?.Value), $"{name}: empty description in the MAML.");

        var examples = command.Element(Command + "examples")?.Elements(Command + "example").ToList() ?? [];
        Assert.NotEmpty(examples);
        Assert.All(examples, e => Assert.False(string.IsNullOrWhiteSpace(e.Element(Dev + "code")?.Value)));

        var parameters = command.Element(Command + "parameters")?.Elements(Command + "parameter").ToList() ?? [];
        var inMaml = parameters.Select(p => p.Element(Maml + "name")!.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var parameter in cmdlet.Parameters)
        {
            Assert.True(inMaml.Contains(parameter.Name), $"{name}: the MAML lacks -{parameter.Name}.");
        }

        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Element(Maml + "description")?.Value), $"{name}: a parameter has no description in the MAML."));

        var syntaxItems = command.Element(Command + "syntax")?.Elements(Command + "syntaxItem").ToList() ?? [];
        Assert.NotEmpty(syntaxItems);
        var inSyntax = syntaxItems.SelectMany(s => s.Elements(Command + "parameter")).Select(p => p.Element(Maml + "name")!.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var parameter in cmdlet.Parameters)
        {
            Assert.True(inSyntax.Contains(parameter.Name), $"{name}: -{parameter.Name} is in no syntax block of the MAML.");
        }
    }

    [Fact]
    public void AboutTopic_IsInTheModuleFolder_WithTheConcepts()
    {
        var path = Path.Combine(ModuleFolder.Path, "en-US", "about_SecretOps.help.txt");
        Assert.True(File.Exists(path), $"The build did not produce {path}.");
        var text = File.ReadAllText(path);
        Assert.StartsWith("TOPIC", text, StringComparison.Ordinal);
        Assert.Contains("about_SecretOps", text, StringComparison.Ordinal);
        foreach (var heading in new[] { "SHORT DESCRIPTION", "LONG DESCRIPTION" })
        {
            Assert.Contains(heading, text, StringComparison.Ordinal);
        }

        foreach (var concept in new[] { "store", "namespace", "client", "grant", "revoke", "rotat", "audit", "policy", "session", "SecretManagement", "Get-Help" })
        {
            Assert.Contains(concept, text, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var cmdlet in ModuleMetadata.Cmdlets)
        {
            Assert.True(text.Contains(cmdlet.Name, StringComparison.Ordinal), $"about_SecretOps does not mention {cmdlet.Name}.");
        }
    }

    private static IEnumerable<(string Name, XElement Element)> MamlCommands() =>
        Maml_.Value.Root!.Elements(Command + "command").Select(c => (c.Element(Command + "details")!.Element(Command + "name")!.Value.Trim(), c));

    /// <summary>A platyPS markdown topic split into its ## sections (headings inside fences ignored).</summary>
    private sealed class Topic
    {
        private readonly Dictionary<string, string> sections = new(StringComparer.OrdinalIgnoreCase);

        public string Title { get; private set; } = "";

        public static Topic Read(string name)
        {
            var path = Path.Combine(DocsFolder, name + ".md");
            Assert.True(File.Exists(path), $"No help topic {path}.");
            var topic = new Topic();
            var lines = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            var start = 0;
            if (lines.Length > 0 && lines[0].Trim() == "---")
            {
                start = Array.FindIndex(lines, 1, l => l.Trim() == "---") + 1;
            }

            string? current = null;
            var body = new List<string>();
            var inFence = false;
            foreach (var line in lines.Skip(start))
            {
                if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    inFence = !inFence;
                }

                if (!inFence && line.StartsWith("# ", StringComparison.Ordinal) && topic.Title.Length == 0)
                {
                    topic.Title = line.Substring(2).Trim();
                }
                else if (!inFence && line.StartsWith("## ", StringComparison.Ordinal))
                {
                    Flush();
                    current = line.Substring(3).Trim();
                }
                else
                {
                    body.Add(line);
                }
            }

            Flush();
            return topic;

            void Flush()
            {
                if (current is not null)
                {
                    Assert.False(topic.sections.ContainsKey(current), $"{name}.md has two ## {current} sections.");
                    topic.sections[current] = string.Join("\n", body);
                }

                body.Clear();
            }
        }

        public bool Has(string section) => sections.ContainsKey(section);

        public string Prose(string section) => sections.TryGetValue(section, out var text) ? text.Trim() : "";

        /// <summary>The ### subsections of a section: title and body.</summary>
        public List<(string Title, string Body)> Subsections(string section)
        {
            var result = new List<(string Title, string Body)>();
            string? title = null;
            var body = new List<string>();
            var inFence = false;
            foreach (var line in Prose(section).Split('\n'))
            {
                if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    inFence = !inFence;
                }

                if (!inFence && line.StartsWith("### ", StringComparison.Ordinal))
                {
                    if (title is not null)
                    {
                        result.Add((title, string.Join("\n", body)));
                    }

                    title = line.Substring(4).Trim();
                    body.Clear();
                }
                else
                {
                    body.Add(line);
                }
            }

            if (title is not null)
            {
                result.Add((title, string.Join("\n", body)));
            }

            return result;
        }
    }
}
