using System.Collections.ObjectModel;
using System.Reflection;
using System.Runtime.InteropServices;

namespace SecretOps.Module.Tests;

/// <summary>
/// The built cmdlet assembly (out/SecretOps/bin/SecretOps.Module.dll) read with MetadataLoadContext: its
/// types and attributes inspected, nothing executed, nothing loaded into the test process. PowerShell's
/// attribute types resolve against the PowerShellStandard reference assembly the module compiled against.
/// </summary>
internal static class ModuleMetadata
{
    public const string PowerShellNamespace = "System.Management.Automation";

    private static readonly Lazy<Loaded> Instance = new(Load);

    public static Assembly ModuleAssembly => Instance.Value.Module;

    public static Assembly SharedAssembly => Instance.Value.Shared;

    public static Assembly PowerShellAssembly => Instance.Value.PowerShell;

    /// <summary>Every public, non-abstract class with [Cmdlet], in the module assembly.</summary>
    public static IReadOnlyList<CmdletInfo> Cmdlets => Instance.Value.Cmdlets;

    public static string RepoRoot { get; } = typeof(ModuleMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static CmdletInfo Cmdlet(string name) =>
        Cmdlets.SingleOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new Xunit.Sdk.XunitException($"No compiled cmdlet {name}; have {string.Join(", ", Cmdlets.Select(c => c.Name))}.");

    /// <summary>A type by full name from the shared or module assembly.</summary>
    public static Type? FindType(string fullName) => SharedAssembly.GetType(fullName) ?? ModuleAssembly.GetType(fullName);

    public static bool IsAttribute(CustomAttributeData data, string name) =>
        data.AttributeType.Namespace == PowerShellNamespace && data.AttributeType.Name == name;

    public static T? Named<T>(CustomAttributeData data, string name) =>
        data.NamedArguments.Where(a => a.MemberName == name).Select(a => (T?)a.TypedValue.Value).FirstOrDefault();

    private static Loaded Load()
    {
        var powerShell = typeof(ModuleMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PowerShellReference").Value!;
        Assert.True(File.Exists(powerShell), $"The PowerShellStandard reference assembly is missing at {powerShell}");
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(ModuleFolder.Bin, "*.dll"))
            .Append(powerShell);
        var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        var module = context.LoadFromAssemblyPath(Path.Combine(ModuleFolder.Bin, "SecretOps.Module.dll"));
        var shared = context.LoadFromAssemblyName("SecretOps");
        var automation = context.LoadFromAssemblyPath(powerShell);
        var cmdlets = module.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && t.GetCustomAttributesData().Any(a => IsAttribute(a, "CmdletAttribute")))
            .Select(t => new CmdletInfo(t))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        return new Loaded(module, shared, automation, cmdlets);
    }

    private sealed record Loaded(Assembly Module, Assembly Shared, Assembly PowerShell, IReadOnlyList<CmdletInfo> Cmdlets);
}

/// <summary>One compiled cmdlet class and what its attributes declare.</summary>
internal sealed class CmdletInfo
{
    public CmdletInfo(Type type)
    {
        Type = type;
        var cmdlet = type.GetCustomAttributesData().Single(a => ModuleMetadata.IsAttribute(a, "CmdletAttribute"));
        Verb = (string)cmdlet.ConstructorArguments[0].Value!;
        Noun = (string)cmdlet.ConstructorArguments[1].Value!;
        SupportsShouldProcess = ModuleMetadata.Named<bool>(cmdlet, "SupportsShouldProcess");
        ConfirmImpact = ModuleMetadata.Named<int?>(cmdlet, "ConfirmImpact") ?? 2; // ConfirmImpact.Medium
        DefaultParameterSetName = ModuleMetadata.Named<string>(cmdlet, "DefaultParameterSetName");
        OutputTypes = type.GetCustomAttributesData().Where(a => ModuleMetadata.IsAttribute(a, "OutputTypeAttribute")).Select(a => new OutputTypeInfo(a)).ToList();
        Parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttributesData().Any(a => ModuleMetadata.IsAttribute(a, "ParameterAttribute")))
            .Select(p => new ParameterInfo(p))
            .ToList();
    }

    public Type Type { get; }

    public string Verb { get; }

    public string Noun { get; }

    public string Name => $"{Verb}-{Noun}";

    public bool SupportsShouldProcess { get; }

    /// <summary>ConfirmImpact as its numeric value: None 0, Low 1, Medium 2, High 3.</summary>
    public int ConfirmImpact { get; }

    public string? DefaultParameterSetName { get; }

    public IReadOnlyList<OutputTypeInfo> OutputTypes { get; }

    public IReadOnlyList<ParameterInfo> Parameters { get; }

    public ParameterInfo? Parameter(string name) => Parameters.SingleOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    public bool DerivesFrom(string baseTypeName)
    {
        for (var t = Type.BaseType; t is not null; t = t.BaseType)
        {
            if (t.Name == baseTypeName)
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => Name;
}

/// <summary>One [OutputType]: its types (as full names) and parameter sets.</summary>
internal sealed class OutputTypeInfo
{
    public OutputTypeInfo(CustomAttributeData data)
    {
        var names = new List<string>();
        foreach (var argument in data.ConstructorArguments)
        {
            var values = argument.Value is ReadOnlyCollection<CustomAttributeTypedArgument> array ? array.Select(a => a.Value) : [argument.Value];
            names.AddRange(values.Select(v => v is Type t ? t.FullName! : (string)v!));
        }

        TypeNames = names;
        ParameterSets = ModuleMetadata.Named<ReadOnlyCollection<CustomAttributeTypedArgument>>(data, "ParameterSetName")?.Select(a => (string)a.Value!).ToList() ?? [];
    }

    public IReadOnlyList<string> TypeNames { get; }

    public IReadOnlyList<string> ParameterSets { get; }
}

/// <summary>One cmdlet parameter: its property, every [Parameter] on it, and its other attributes.</summary>
internal sealed class ParameterInfo
{
    public ParameterInfo(PropertyInfo property)
    {
        Property = property;
        var attributes = property.GetCustomAttributesData();
        Declarations = attributes.Where(a => ModuleMetadata.IsAttribute(a, "ParameterAttribute")).ToList();
        Aliases = attributes.Where(a => ModuleMetadata.IsAttribute(a, "AliasAttribute"))
            .SelectMany(a => ((ReadOnlyCollection<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!))
            .ToList();
        Completer = attributes.Where(a => ModuleMetadata.IsAttribute(a, "ArgumentCompleterAttribute"))
            .Select(a => a.ConstructorArguments.Select(c => c.Value).OfType<Type>().FirstOrDefault()).FirstOrDefault();
    }

    public PropertyInfo Property { get; }

    public string Name => Property.Name;

    /// <summary>The parameter's type, with Nullable&lt;T&gt; unwrapped.</summary>
    public Type Type => Property.PropertyType.IsGenericType && Property.PropertyType.GetGenericTypeDefinition().FullName == "System.Nullable`1"
        ? Property.PropertyType.GetGenericArguments()[0]
        : Property.PropertyType;

    public IReadOnlyList<CustomAttributeData> Declarations { get; }

    public IReadOnlyList<string> Aliases { get; }

    public Type? Completer { get; }

    public IEnumerable<string?> HelpMessages => Declarations.Select(d => ModuleMetadata.Named<string>(d, "HelpMessage"));

    public IEnumerable<string> ParameterSets => Declarations.Select(d => ModuleMetadata.Named<string>(d, "ParameterSetName") ?? "__AllParameterSets");

    public bool ByPropertyName => Declarations.Any(d => ModuleMetadata.Named<bool>(d, "ValueFromPipelineByPropertyName"));

    public bool IsMandatoryIn(string set) => Declarations.Any(d =>
        ModuleMetadata.Named<bool>(d, "Mandatory") && (ModuleMetadata.Named<string>(d, "ParameterSetName") ?? set) == set);

    public override string ToString() => Name;
}
