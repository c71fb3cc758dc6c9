using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SecretOps.Module.Tests;

/// <summary>SecretOps.Format.ps1xml against the types the cmdlets declare.</summary>
public partial class FormatViewTests
{
    private static readonly Lazy<XDocument> Format = new(() => XDocument.Load(Path.Combine(ModuleFolder.Path, "SecretOps.Format.ps1xml")));

    private static IEnumerable<XElement> Views => Format.Value.Root!.Element("ViewDefinitions")!.Elements("View");

    public static TheoryData<string> DeclaredSecretOpsOutputTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in ModuleMetadata.Cmdlets.SelectMany(c => c.OutputTypes).SelectMany(o => o.TypeNames)
                     .Where(t => t.StartsWith("SecretOps.", StringComparison.Ordinal)).Distinct().Order())
        {
            data.Add(type);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DeclaredSecretOpsOutputTypes))]
    public void EveryDeclaredOutputType_HasATableView(string typeName)
    {
        var views = Views.Where(v => v.Element("ViewSelectedBy")!.Elements("TypeName").Any(t => t.Value.Trim() == typeName)).ToList();
        Assert.True(views.Count > 0, $"SecretOps.Format.ps1xml has no view for {typeName}, which a cmdlet declares in [OutputType].");
        Assert.Contains(views, v => v.Element("TableControl") is not null);
    }

    [Fact]
    public void TheModelTypesAllHaveViews()
    {
        // Types in Model.cs that reach users even when no cmdlet of this module declares them yet.
        foreach (var type in new[] { "SecretEntry", "SecretVersionInfo", "NamespaceInfo", "AuditEntry", "AuditVerification", "StoreInfo", "StoreCheckResult", "StoreCreated",
                                       "ClientInfo", "ClientCreated", "PermissionInfo", "RotationResult" })
        {
            Assert.Contains(Views, v => v.Element("ViewSelectedBy")!.Elements("TypeName").Any(t => t.Value.Trim() == "SecretOps." + type));
        }
    }

    [Fact]
    public void EveryView_SelectsAnExistingType_AndNamesOnlyItsProperties()
    {
        foreach (var view in Views)
        {
            var name = view.Element("Name")?.Value;
            Assert.False(string.IsNullOrWhiteSpace(name));
            foreach (var typeName in view.Element("ViewSelectedBy")!.Elements("TypeName").Select(t => t.Value.Trim()))
            {
                var type = ModuleMetadata.FindType(typeName);
                Assert.True(type is not null, $"View {name} selects {typeName}, which does not exist.");
                var properties = view.Descendants("PropertyName").Select(p => p.Value.Trim())
                    .Concat(view.Descendants("ScriptBlock").SelectMany(s => PropertyReference().Matches(s.Value).Select(m => m.Groups[1].Value)));
                foreach (var property in properties)
                {
                    Assert.True(type!.GetProperty(property) is not null, $"View {name} uses {typeName}.{property}, which does not exist.");
                }
            }
        }
    }

    [Fact]
    public void TableViews_HaveAsManyHeadersAsColumns()
    {
        foreach (var table in Views.Select(v => v.Element("TableControl")).OfType<XElement>())
        {
            var headers = table.Element("TableHeaders")!.Elements("TableColumnHeader").Count();
            foreach (var row in table.Element("TableRowEntries")!.Elements("TableRowEntry"))
            {
                Assert.Equal(headers, row.Element("TableColumnItems")!.Elements("TableColumnItem").Count());
            }
        }
    }

    [Fact]
    public void ViewNames_AreUnique() =>
        Assert.Equal(Views.Count(), Views.Select(v => v.Element("Name")!.Value).Distinct().Count());

    /// <summary>
    /// <c>$_.Property</c> at the start of a member chain, not after a nested pipeline's own <c>$_</c> in
    /// Where-Object (those are excluded by only reading the first member after <c>$_.</c>).
    /// </summary>
    [GeneratedRegex(@"\$_\.([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex PropertyReference();
}
