// MSBuild inline task (RoslynCodeTaskFactory, see HelpCompiler.targets): compiles the platyPS-style
// markdown in docs/cmdlets/*.md into one MAML file (SecretOps.Module.dll-Help.xml) and docs/about_*.md
// into about_*.help.txt topics. Needs only the .NET SDK: no PowerShell, no platyPS.
//
// The markdown layout it reads (what platyPS New-MarkdownHelp writes):
//   # Verb-Noun                      (after optional --- front matter ---)
//   ## SYNOPSIS / ## SYNTAX (### <set> blocks of ``` ) / ## DESCRIPTION
//   ## EXAMPLES    ### Example N: title, a ```powershell fence, then remarks
//   ## PARAMETERS  ### -Name, a description, then a ```yaml block (Type, Parameter Sets, Aliases, Required,
//                  Position, Default value, Accept pipeline input, Accept wildcard characters); ### CommonParameters
//   ## INPUTS / ## OUTPUTS (### Type name, then a description) / ## NOTES / ## RELATED LINKS ([text](uri))
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class CompileCmdletHelp : Task
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    /// <summary>The cmdlet markdown files (docs/cmdlets/*.md).</summary>
    [Required]
    public ITaskItem[] CmdletFiles { get; set; }

    /// <summary>The about topics (docs/about_*.md).</summary>
    public ITaskItem[] AboutFiles { get; set; }

    /// <summary>The MAML file to write.</summary>
    [Required]
    public string MamlPath { get; set; }

    /// <summary>The folder for the about_*.help.txt topics.</summary>
    public string AboutFolder { get; set; }

    public override bool Execute()
    {
        var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"));
        foreach (var item in CmdletFiles.OrderBy(i => i.ItemSpec, StringComparer.Ordinal))
        {
            try
            {
                root.Add(CompileCommand(File.ReadAllText(item.ItemSpec), Path.GetFileNameWithoutExtension(item.ItemSpec)));
            }
            catch (FormatException e)
            {
                Log.LogError(null, "SOHELP001", null, item.ItemSpec, 0, 0, 0, 0, e.Message);
            }
        }

        if (Log.HasLoggedErrors)
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(MamlPath)));
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        using (var writer = XmlWriter.Create(MamlPath, settings))
        {
            new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(writer);
        }

        foreach (var item in AboutFiles ?? new ITaskItem[0])
        {
            var name = Path.GetFileNameWithoutExtension(item.ItemSpec);
            Directory.CreateDirectory(AboutFolder);
            File.WriteAllText(Path.Combine(AboutFolder, name + ".help.txt"), CompileAbout(File.ReadAllText(item.ItemSpec), name), new UTF8Encoding(false));
        }

        Log.LogMessage(MessageImportance.Low, "Compiled {0} cmdlet help topics into {1}", CmdletFiles.Length, MamlPath);
        return true;
    }

    // ---- markdown structure ------------------------------------------------------------------------

    private sealed class Section
    {
        public string Title = "";
        public List<string> Lines = new List<string>();
        public List<Section> Children = new List<Section>();
    }

    /// <summary>Splits lines into sections at headings of the given level, ignoring headings inside fences.</summary>
    private static List<Section> Split(IEnumerable<string> lines, string marker, out List<string> preamble)
    {
        var sections = new List<Section>();
        preamble = new List<string>();
        Section current = null;
        var inFence = false;
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }

            if (!inFence && line.StartsWith(marker, StringComparison.Ordinal))
            {
                current = new Section { Title = line.Substring(marker.Length).Trim() };
                sections.Add(current);
            }
            else if (current is null)
            {
                preamble.Add(line);
            }
            else
            {
                current.Lines.Add(line);
            }
        }

        return sections;
    }

    private static List<string> StripFrontMatter(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').ToList();
        if (lines.Count > 0 && lines[0].Trim() == "---")
        {
            var end = lines.FindIndex(1, l => l.Trim() == "---");
            if (end > 0)
            {
                lines.RemoveRange(0, end + 1);
            }
        }

        return lines;
    }

    /// <summary>Paragraphs of prose: blank lines separate them; list items start their own; fences are kept verbatim.</summary>
    private static List<string> Paragraphs(IEnumerable<string> lines)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var inFence = false;
        Action flush = () =>
        {
            if (current.Length > 0)
            {
                result.Add(current.ToString().TrimEnd());
                current.Clear();
            }
        };
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                flush();
                inFence = !inFence;
                continue;
            }

            if (inFence)
            {
                result.Add("    " + line);
                continue;
            }

            if (line.Trim().Length == 0)
            {
                flush();
                continue;
            }

            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("- ", StringComparison.Ordinal) || trimmed.StartsWith("* ", StringComparison.Ordinal) || Regex.IsMatch(trimmed, @"^\d+\. "))
            {
                flush();
            }

            if (current.Length > 0)
            {
                current.Append(' ');
            }

            current.Append(Inline(trimmed));
        }

        flush();
        return result;
    }

    /// <summary>Markdown inline markup to plain text: `code`, **bold**, *em*, [text](uri).</summary>
    private static string Inline(string text)
    {
        text = Regex.Replace(text, @"\[([^\]]+)\]\(([^)]+)\)", m => m.Groups[2].Value.StartsWith("http", StringComparison.Ordinal) ? m.Groups[1].Value + " (" + m.Groups[2].Value + ")" : m.Groups[1].Value);
        text = Regex.Replace(text, @"\*\*([^*]+)\*\*", "$1");
        text = Regex.Replace(text, @"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", "$1");
        text = text.Replace("`", "");
        text = text.Replace("\\<", "<").Replace("\\>", ">").Replace("\\_", "_").Replace("\\*", "*").Replace("\\[", "[").Replace("\\]", "]");
        return text;
    }

    private static XElement ParaElement(string text) => new XElement(Maml + "para", text);

    private static IEnumerable<XElement> Paras(IEnumerable<string> lines) => Paragraphs(lines).Select(ParaElement);

    private static List<string> Fence(List<string> lines, out List<string> rest)
    {
        var start = lines.FindIndex(l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
        rest = new List<string>(lines);
        if (start < 0)
        {
            return null;
        }

        var end = lines.FindIndex(start + 1, l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
        if (end < 0)
        {
            throw new FormatException("A ``` fence is not closed.");
        }

        rest = lines.Take(start).Concat(lines.Skip(end + 1)).ToList();
        return lines.Skip(start + 1).Take(end - start - 1).ToList();
    }

    // ---- cmdlet topics -----------------------------------------------------------------------------

    private sealed class Parameter
    {
        public string Name;
        public List<string> Description;
        public string Type = "Object";
        public List<string> Sets = new List<string>();
        public string Aliases = "";
        public string Required = "False";
        public string Position = "Named";
        public string Default = "None";
        public string Pipeline = "False";
        public string Globbing = "False";
        public List<string> RequiredIn = new List<string>();
    }

    private XElement CompileCommand(string text, string fileName)
    {
        var lines = StripFrontMatter(text);
        List<string> preamble;
        var sections = Split(lines, "## ", out preamble);
        var title = preamble.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal));
        if (title is null)
        {
            throw new FormatException("The topic has no '# Verb-Noun' title.");
        }

        var name = title.Substring(2).Trim();
        if (!string.Equals(name, fileName, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"The title '{name}' does not match the file name '{fileName}'.");
        }

        var dash = name.IndexOf('-');
        if (dash <= 0)
        {
            throw new FormatException($"'{name}' is not a Verb-Noun name.");
        }

        Func<string, Section> section = t => sections.FirstOrDefault(s => string.Equals(s.Title, t, StringComparison.OrdinalIgnoreCase));
        Func<string, Section> required = t => section(t) ?? throw new FormatException($"{name} has no '## {t}' section.");

        var synopsis = Paragraphs(required("SYNOPSIS").Lines);
        if (synopsis.Count == 0)
        {
            throw new FormatException($"{name}: the SYNOPSIS is empty.");
        }

        var description = required("DESCRIPTION").Lines;
        if (Paragraphs(description).Count == 0)
        {
            throw new FormatException($"{name}: the DESCRIPTION is empty.");
        }

        var parameters = ParseParameters(name, required("PARAMETERS"));
        var syntaxSets = ParseSyntaxSets(required("SYNTAX"));

        var command = new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", name),
                new XElement(Command + "verb", name.Substring(0, dash)),
                new XElement(Command + "noun", name.Substring(dash + 1)),
                new XElement(Maml + "description", synopsis.Select(ParaElement))),
            new XElement(Maml + "description", Paras(description)));

        var syntax = new XElement(Command + "syntax");
        foreach (var set in syntaxSets)
        {
            var item = new XElement(Command + "syntaxItem", new XElement(Maml + "name", name));
            var inSet = parameters.Where(p => p.Sets.Count == 0 || p.Sets.Contains(set, StringComparer.OrdinalIgnoreCase) || set == "__AllParameterSets").ToList();
            foreach (var p in inSet.OrderBy(p => PositionKey(p.Position)))
            {
                var requiredHere = p.RequiredIn.Contains("*") || p.RequiredIn.Contains(set, StringComparer.OrdinalIgnoreCase);
                item.Add(ParameterElement(p, requiredHere ? "True" : "False"));
            }

            syntax.Add(item);
        }

        command.Add(syntax);
        command.Add(new XElement(Command + "parameters", parameters.Select(p => ParameterElement(p, p.Required))));
        command.Add(new XElement(Command + "inputTypes", TypeSections(section("INPUTS"), "inputType")));
        command.Add(new XElement(Command + "returnValues", TypeSections(section("OUTPUTS"), "returnValue")));
        var notes = section("NOTES");
        if (notes != null)
        {
            command.Add(new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(notes.Lines))));
        }

        command.Add(new XElement(Command + "examples", ParseExamples(name, required("EXAMPLES"))));
        var links = new XElement(Command + "relatedLinks");
        var related = section("RELATED LINKS");
        if (related != null)
        {
            foreach (Match m in Regex.Matches(string.Join("\n", related.Lines), @"\[([^\]]+)\]\(([^)]*)\)"))
            {
                var uri = m.Groups[2].Value.StartsWith("http", StringComparison.Ordinal) ? m.Groups[2].Value : "";
                links.Add(new XElement(Maml + "navigationLink", new XElement(Maml + "linkText", m.Groups[1].Value), new XElement(Maml + "uri", uri)));
            }
        }

        command.Add(links);
        return command;
    }

    private static int PositionKey(string position)
    {
        int value;
        return int.TryParse(position, out value) ? value : int.MaxValue;
    }

    private static List<string> ParseSyntaxSets(Section syntax)
    {
        List<string> preamble;
        var sets = Split(syntax.Lines, "### ", out preamble).Select(s => Regex.Replace(s.Title, @"\s*\(Default\)\s*$", "")).ToList();
        return sets.Count == 0 ? new List<string> { "__AllParameterSets" } : sets;
    }

    private static List<Parameter> ParseParameters(string name, Section section)
    {
        List<string> preamble;
        var result = new List<Parameter>();
        foreach (var s in Split(section.Lines, "### ", out preamble))
        {
            if (string.Equals(s.Title, "CommonParameters", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!s.Title.StartsWith("-", StringComparison.Ordinal))
            {
                throw new FormatException($"{name}: the parameter heading '### {s.Title}' does not start with '-'.");
            }

            var p = new Parameter { Name = s.Title.Substring(1).Trim() };
            List<string> rest;
            var yaml = Fence(s.Lines, out rest);
            p.Description = rest;
            if (Paragraphs(rest).Count == 0)
            {
                throw new FormatException($"{name}: -{p.Name} has no description.");
            }

            if (yaml is null)
            {
                throw new FormatException($"{name}: -{p.Name} has no ```yaml block.");
            }

            // A parameter with per-set settings has several yaml blocks: sets are united, the first block's settings kept,
            // and Required is true when any set requires it (shown per set in the syntax by its heading).
            var blocks = new List<List<string>> { yaml };
            List<string> more;
            while ((more = Fence(rest, out rest)) != null)
            {
                blocks.Add(more);
            }

            p.Description = rest;
            var first = true;
            foreach (var block in blocks)
            {
                var blockSets = new List<string>();
                var blockRequired = false;
                foreach (var line in block)
                {
                    var colon = line.IndexOf(':');
                    if (colon < 0)
                    {
                        continue;
                    }

                    var key = line.Substring(0, colon).Trim();
                    var value = line.Substring(colon + 1).Trim();
                    switch (key)
                    {
                        case "Type": if (first) { p.Type = value; } break;
                        case "Parameter Sets":
                            if (value != "(All)")
                            {
                                blockSets.AddRange(value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0));
                                p.Sets.AddRange(blockSets);
                            }

                            break;
                        case "Aliases": if (first) { p.Aliases = value; } break;
                        case "Required":
                            blockRequired = value == "True";
                            if (first || blockRequired) { p.Required = value; }

                            break;
                        case "Position": if (first) { p.Position = value; } break;
                        case "Default value": if (first) { p.Default = value; } break;
                        case "Accept pipeline input": if (first) { p.Pipeline = value; } break;
                        case "Accept wildcard characters": if (first) { p.Globbing = value; } break;
                    }
                }

                if (blockRequired)
                {
                    p.RequiredIn.AddRange(blockSets.Count == 0 ? new[] { "*" } : blockSets.ToArray());
                }

                first = false;
            }

            result.Add(p);
        }

        return result;
    }

    private static XElement ParameterElement(Parameter p, string required)
    {
        var isSwitch = p.Type == "SwitchParameter";
        var element = new XElement(Command + "parameter",
            new XAttribute("required", required.ToLowerInvariant()),
            new XAttribute("variableLength", p.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", p.Globbing.ToLowerInvariant()),
            new XAttribute("pipelineInput", p.Pipeline),
            new XAttribute("position", string.Equals(p.Position, "Named", StringComparison.OrdinalIgnoreCase) ? "named" : p.Position),
            new XAttribute("aliases", string.IsNullOrWhiteSpace(p.Aliases) ? "none" : p.Aliases),
            new XElement(Maml + "name", p.Name),
            new XElement(Maml + "description", Paras(p.Description)));
        if (!isSwitch)
        {
            element.Add(new XElement(Command + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), p.Type));
        }

        element.Add(new XElement(Dev + "type", new XElement(Maml + "name", p.Type), new XElement(Maml + "uri")));
        element.Add(new XElement(Dev + "defaultValue", p.Default));
        return element;
    }

    private static IEnumerable<XElement> TypeSections(Section section, string elementName)
    {
        if (section is null)
        {
            yield break;
        }

        List<string> preamble;
        foreach (var s in Split(section.Lines, "### ", out preamble))
        {
            yield return new XElement(Command + elementName,
                new XElement(Dev + "type", new XElement(Maml + "name", Inline(s.Title))),
                new XElement(Maml + "description", Paras(s.Lines)));
        }
    }

    private static IEnumerable<XElement> ParseExamples(string name, Section section)
    {
        List<string> preamble;
        var examples = Split(section.Lines, "### ", out preamble);
        if (examples.Count == 0)
        {
            throw new FormatException($"{name} has no '### Example' under EXAMPLES.");
        }

        foreach (var s in examples)
        {
            List<string> rest;
            var code = Fence(s.Lines, out rest);
            if (code is null)
            {
                throw new FormatException($"{name}: '{s.Title}' has no ```powershell fence.");
            }

            yield return new XElement(Command + "example",
                new XElement(Maml + "title", "-------------------------- " + s.Title + " --------------------------"),
                new XElement(Dev + "code", string.Join("\n", code)),
                new XElement(Dev + "remarks", Paras(rest)));
        }
    }

    // ---- about topics ------------------------------------------------------------------------------

    /// <summary>The conventional about_*.help.txt layout: upper-case headings at column 0, text indented and wrapped.</summary>
    private static string CompileAbout(string text, string name)
    {
        var lines = StripFrontMatter(text);
        List<string> preamble;
        var output = new StringBuilder();
        output.Append("TOPIC\n    ").Append(name).Append("\n");
        foreach (var section in Split(lines, "## ", out preamble))
        {
            output.Append("\n").Append(section.Title.ToUpperInvariant()).Append("\n");
            List<string> intro;
            var subsections = Split(section.Lines, "### ", out intro);
            AppendBody(output, intro, "    ");
            foreach (var sub in subsections)
            {
                output.Append("\n  ").Append(sub.Title.ToUpperInvariant()).Append("\n");
                AppendBody(output, sub.Lines, "    ");
            }
        }

        return output.ToString();
    }

    private static void AppendBody(StringBuilder output, List<string> lines, string indent)
    {
        var first = true;
        foreach (var paragraph in Paragraphs(lines))
        {
            var isCode = paragraph.StartsWith("    ", StringComparison.Ordinal);
            if (!first && !isCode)
            {
                output.Append("\n");
            }

            first = false;
            if (isCode)
            {
                output.Append(indent).Append(paragraph).Append("\n");
                continue;
            }

            var hanging = paragraph.StartsWith("- ", StringComparison.Ordinal) ? "  " : "";
            var line = new StringBuilder(indent);
            var lineHasWord = false;
            foreach (var word in paragraph.Split(' ').Where(w => w.Length > 0))
            {
                if (lineHasWord && line.Length + 1 + word.Length > 80)
                {
                    output.Append(line.ToString().TrimEnd()).Append("\n");
                    line.Clear().Append(indent).Append(hanging);
                    lineHasWord = false;
                }

                if (lineHasWord)
                {
                    line.Append(' ');
                }

                line.Append(word);
                lineHasWord = true;
            }

            output.Append(line.ToString().TrimEnd()).Append("\n");
        }
    }
}
