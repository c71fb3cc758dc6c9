using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Reflection;
using SecretOps.Core.Vault;

namespace SecretOps.Module;

/// <summary>
/// Builds SecretManagement's SecretInformation objects, whose type this assembly does not reference (SecretManagement is
/// loaded by pwsh, not shipped with us): the extension script passes the type in. One typed array goes back, which
/// SecretManagement takes whole; building each object in script, and writing it to the pipeline, cost more than
/// reading the store.
/// </summary>
internal sealed class SecretInformationFactory
{
    private static readonly ConcurrentDictionary<Type, SecretInformationFactory> Factories = new();
    private readonly Type informationType;
    private readonly ConstructorInfo constructor;
    // SecretManagement's SecretType values by name, boxed once.
    private readonly Dictionary<string, object> secretTypes;

    private SecretInformationFactory(Type informationType)
    {
        this.informationType = informationType;
        // SecretInformation(string name, SecretType type, string vaultName, ReadOnlyDictionary<string, object> metadata)
        constructor = informationType.GetConstructors().SingleOrDefault(c => c.GetParameters() is [{ ParameterType: var name }, { ParameterType: { IsEnum: true } }, { ParameterType: var vault }, { ParameterType: var metadata }]
                                                                          && name == typeof(string) && vault == typeof(string) && metadata == typeof(ReadOnlyDictionary<string, object>))
            ?? throw new InvalidParameterException("InformationType", $"'{informationType.FullName}' has no SecretInformation(name, type, vault name, metadata) constructor.");
        var secretType = constructor.GetParameters()[1].ParameterType;
        secretTypes = Enum.GetNames(secretType).ToDictionary(name => name, name => Enum.Parse(secretType, name), StringComparer.Ordinal);
    }

    /// <summary>The factory for SecretManagement's SecretInformation type, checked once per type.</summary>
    public static SecretInformationFactory For(Type informationType) => Factories.GetOrAdd(informationType, type => new SecretInformationFactory(type));

    /// <summary>A SecretInformation[] of <paramref name="infos"/>, in order; metadata keys ignore case, as SecretManagement's own ReadOnlyDictionary does.</summary>
    public Array Create(IReadOnlyList<VaultSecretInfo> infos, string vaultName)
    {
        var array = Array.CreateInstance(informationType, infos.Count);
        for (var i = 0; i < infos.Count; i++)
        {
            var info = infos[i];
            var metadata = new ReadOnlyDictionary<string, object>(new Dictionary<string, object>(info.Metadata, StringComparer.OrdinalIgnoreCase));
            array.SetValue(constructor.Invoke([info.Name, secretTypes[info.TypeName], vaultName, metadata]), i);
        }

        return array;
    }
}
