using System.Text;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SecretOps.Core.Configuration;

/// <summary>One named profile: where a store is and how to connect to it. Never a secret itself.</summary>
public sealed class Profile
{
    /// <summary>The store file.</summary>
    public string? Store { get; set; }

    /// <summary>The client name or id.</summary>
    public string? Client { get; set; }

    /// <summary>The namespace used when none is given.</summary>
    public string? Namespace { get; set; }

    /// <summary>A file holding the client's generated secret.</summary>
    public string? SecretFile { get; set; }

    /// <summary>The client's PEM private key file.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The enrolment token file, for a store a server hosts.</summary>
    public string? TokenFile { get; set; }

    /// <summary>Let SECRETOPS_SECRET_&lt;NS&gt;_&lt;NAME&gt; override reads.</summary>
    public bool EnvironmentOverrides { get; set; }

    /// <summary>The store is on a network share (journal_mode=DELETE, no pooling); detected when absent.</summary>
    public bool? Shared { get; set; }

    /// <summary>Session idle timeout in minutes; -1 for the process lifetime.</summary>
    public int? IdleTimeoutMinutes { get; set; }
}

/// <summary>
/// The YAML configuration file (<c>$XDG_CONFIG_HOME/secretops/config.yaml</c>, or SECRETOPS_CONFIG):
/// named profiles and which one is the default. Unknown keys, wrong types and oversized files are refused.
/// </summary>
public sealed class ConfigFile
{
    /// <summary>Largest configuration file read.</summary>
    public const int MaxLength = 256 * 1024;

    /// <summary>The profile used when none is named.</summary>
    public string? DefaultProfile { get; set; }

    /// <summary>Profiles by name.</summary>
    public Dictionary<string, Profile> Profiles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads the file at <paramref name="path"/>; a missing file is an empty configuration.</summary>
    public static ConfigFile Load(string path)
    {
        // A missing file is no configuration; anything else at that path is read as one, within the limit.
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return new ConfigFile();
        }

        var yaml = InputFile.ReadText(path, InputFileKind.Configuration);
        return Parse(yaml, path);
    }

    // YamlDotNet creates the profiles dictionary by reflection; the attribute keeps its constructor in an ahead-of-time compiled CLI.

    /// <summary>Parses YAML text; <paramref name="source"/> names it in errors.</summary>
    [System.Diagnostics.CodeAnalysis.DynamicDependency(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicParameterlessConstructor, typeof(Dictionary<string, Profile>))]
    public static ConfigFile Parse(string yaml, string source)
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .WithDuplicateKeyChecking()
            .Build();
        try
        {
            if (YamlGuard.FindProblem(yaml, refuseAnchors: false) is { } problem)
            {
                throw new InvalidParameterException("config", $"{source}: {problem}.");
            }

            var config = deserializer.Deserialize<ConfigFile?>(yaml) ?? new ConfigFile();
            var profiles = new Dictionary<string, Profile>(StringComparer.OrdinalIgnoreCase);
            foreach (var (profileName, profile) in config.Profiles ?? new())
            {
                if (!profiles.TryAdd(profileName, profile))
                {
                    var other = profiles.Keys.First(n => string.Equals(n, profileName, StringComparison.OrdinalIgnoreCase));
                    throw new InvalidParameterException("config", $"{source}: profiles '{Names.Printable(other)}' and '{Names.Printable(profileName)}' differ only in case; profile names ignore case.");
                }
            }

            config.Profiles = profiles;
            if (config.DefaultProfile is { } name && !config.Profiles.ContainsKey(name))
            {
                throw new InvalidParameterException("config", $"{source}: defaultProfile '{name}' is not one of the profiles.");
            }

            return config;
        }
        catch (YamlException e)
        {
            throw new InvalidParameterException("config", $"{source}: line {e.Start.Line}, column {e.Start.Column}: {YamlErrors.Explain(e)}");
        }
        catch (Exception e) when (YamlErrors.IsParserFailure(e))
        {
            throw new InvalidParameterException("config", $"{source}: {YamlErrors.ExplainParserFailure(e)}.");
        }
    }

    /// <summary>The named profile, the default one, or none; naming a missing profile is an error.</summary>
    public Profile? Select(string? name)
    {
        if (name is not null)
        {
            return Profiles.TryGetValue(name, out var named) ? named
                : throw new InvalidParameterException("profile", $"There is no profile '{name}' in the configuration.");
        }

        return DefaultProfile is { } fallback ? Profiles[fallback] : null;
    }
}
