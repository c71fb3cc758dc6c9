using SecretOps.Core.Configuration;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace SecretOps.Core.Policy;

/// <summary>
/// A store's access policy as YAML: namespaces, clients (never a secret or private key; key-file clients
/// carry their public key) and grants. Kept in git; applied as a diff (see <see cref="Session.PlanPolicy"/>).
/// </summary>
public sealed class PolicyDocument
{
    /// <summary>Largest policy file read.</summary>
    public const int MaxLength = 1024 * 1024;

    /// <summary>Most entries of each kind.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>The policy format version.</summary>
    public int Version { get; set; } = 1;

    /// <summary>Namespaces.</summary>
    public List<PolicyNamespace> Namespaces { get; set; } = new();

    /// <summary>Clients.</summary>
    public List<PolicyClient> Clients { get; set; } = new();

    /// <summary>Grants.</summary>
    public List<PolicyGrant> Grants { get; set; } = new();

    /// <summary>The document as YAML.</summary>
    public string ToYaml() =>
        "# SecretOps access policy. Apply with 'secretops policy apply FILE' (--dry-run shows the plan)\n" +
        "# or Import-SecretOpsPolicy -Path FILE (-WhatIf shows the plan).\n" +
        new SerializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
            .Build()
            .Serialize(this);

    /// <summary>
    /// Reads and parses the policy file at <paramref name="path"/>: the one way every surface reads one. A missing file is
    /// SecretOps.NotFound; one that is not a regular UTF-8 file of at most 1 MiB, or whose YAML is refused (<see cref="Parse"/>),
    /// is SecretOps.InvalidParameter. Messages name the file by its full path.
    /// </summary>
    public static PolicyDocument ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        return Parse(RequiredInputFile.ReadText(full, Storage.InputFileKind.Policy), full);
    }

    /// <summary>
    /// Parses policy YAML. Refused with a message naming the place: files over 1 MiB, nesting deeper than 64, anchors and aliases,
    /// unknown keys, wrong types, duplicate keys, an unknown version, more than 10,000 entries of a kind.
    /// </summary>
    public static PolicyDocument Parse(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (yaml.Length > MaxLength)
        {
            throw Refused(source, $"larger than {MaxLength / 1024} KiB; a policy file is not that big");
        }

        try
        {
            if (YamlGuard.FindProblem(yaml, refuseAnchors: true) is { } problem)
            {
                throw Refused(source, problem);
            }

            var document = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .WithDuplicateKeyChecking()
                .Build()
                .Deserialize<PolicyDocument?>(yaml) ?? new PolicyDocument();
            document.Namespaces ??= new();
            document.Clients ??= new();
            document.Grants ??= new();
            if (document.Namespaces.Contains(null!) || document.Clients.Contains(null!) || document.Grants.Contains(null!))
            {
                throw Refused(source, "an entry of namespaces, clients or grants is empty");
            }

            // A key given with no value ('client:') is null, not the default; as "" the plan reports it as invalid.
            // Found by fuzzing: a null client, namespace or name reached dictionary look-ups as an ArgumentNullException.
            foreach (var ns in document.Namespaces)
            {
                ns.Name ??= "";
            }

            foreach (var client in document.Clients)
            {
                client.Name ??= "";
                client.Kind ??= "";
                client.Role ??= "";
                client.Status ??= "";
            }

            foreach (var grant in document.Grants)
            {
                grant.Client ??= "";
                grant.Namespace ??= "";
                grant.Permissions = (grant.Permissions ?? new()).Select(p => p ?? "").ToList();
            }
            if (document.Version != 1)
            {
                throw Refused(source, $"policy version {document.Version} is not supported (this SecretOps reads version 1)");
            }

            if (document.Namespaces.Count > MaxEntries || document.Clients.Count > MaxEntries || document.Grants.Count > MaxEntries)
            {
                throw Refused(source, $"more than {MaxEntries} entries of one kind");
            }

            return document;
        }
        catch (YamlException e)
        {
            throw Refused(source, $"line {e.Start.Line}, column {e.Start.Column}: {YamlErrors.Explain(e)}");
        }
        catch (Exception e) when (YamlErrors.IsParserFailure(e))
        {
            throw Refused(source, YamlErrors.ExplainParserFailure(e));
        }
    }

    private static InvalidParameterException Refused(string source, string why) => new("policy", $"{source}: {why.TrimEnd('.')}; nothing was changed.");
}

/// <summary>A namespace in a policy.</summary>
public sealed class PolicyNamespace
{
    /// <summary>Name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Description.</summary>
    public string? Description { get; set; }

    /// <summary>Retention; none when absent.</summary>
    public int? MaxVersions { get; set; }
}

/// <summary>A client in a policy.</summary>
public sealed class PolicyClient
{
    /// <summary>Name.</summary>
    public string Name { get; set; } = "";

    /// <summary>passphrase, generated or keyfile.</summary>
    public string Kind { get; set; } = "";

    /// <summary>system, admin or member.</summary>
    public string Role { get; set; } = "member";

    /// <summary>active, disabled or retired.</summary>
    public string Status { get; set; } = "active";

    /// <summary>Description.</summary>
    public string? Description { get; set; }

    /// <summary>For key-file clients: the PEM public key.</summary>
    public string? PublicKey { get; set; }
}

/// <summary>A grant in a policy.</summary>
public sealed class PolicyGrant
{
    /// <summary>Client name.</summary>
    public string Client { get; set; } = "";

    /// <summary>Namespace.</summary>
    public string Namespace { get; set; } = "";

    /// <summary>Secret, for a grant on one secret.</summary>
    public string? Secret { get; set; }

    /// <summary>read, write, delete, permit.</summary>
    public List<string> Permissions { get; set; } = new();
}
