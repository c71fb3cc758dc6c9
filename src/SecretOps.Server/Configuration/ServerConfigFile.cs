using SecretOps.Core.Configuration;
using SecretOps.Core.Storage;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SecretOps.Server.Configuration;

/// <summary>
/// The server's YAML configuration file (<c>--config</c> or SECRETOPS_SERVER_CONFIG): one mapping of the keys of
/// <see cref="ServerSettingsLayer"/>. It passes the checks of the client's config.yaml (size limit, nesting depth,
/// duplicate keys), and an unknown key or a value of the wrong type is refused with the key and line named.
/// </summary>
public static class ServerConfigFile
{
    /// <summary>Reads the file at <paramref name="path"/>; a missing one is <see cref="NotFoundException"/>.</summary>
    public static ServerSettingsLayer Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            throw new NotFoundException($"There is no configuration file '{full}'.", full);
        }

        return Parse(InputFile.ReadText(full, InputFileKind.Configuration), full);
    }

    /// <summary>Parses YAML text; <paramref name="source"/> names it in errors.</summary>
    public static ServerSettingsLayer Parse(string yaml, string source)
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

            return deserializer.Deserialize<ServerSettingsLayer?>(yaml) ?? new ServerSettingsLayer();
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
}
