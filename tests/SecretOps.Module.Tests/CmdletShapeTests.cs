using System.Reflection;

namespace SecretOps.Module.Tests;

/// <summary>
/// The conventions every SecretOps cmdlet follows, checked on the compiled assembly so that a new cmdlet
/// that misses one fails here (PowerShell itself cannot run in CI).
/// </summary>
public class CmdletShapeTests
{
    /// <summary>
    /// Verbs whose cmdlets change a store, a file or a key, and so must support -WhatIf/-Confirm.
    /// Connect and Disconnect are deliberately not here (see <see cref="ReadOnlyVerbs"/>).
    /// </summary>
    private static readonly HashSet<string> ChangingVerbs = new(StringComparer.OrdinalIgnoreCase)
    {
        "New", "Set", "Remove", "Restore", "Backup", "Update", "Grant", "Revoke", "Enable", "Disable", "Import", "Export",
        "Register", "Unregister", "Add", "Clear", "Reset", "Rename", "Move", "Copy", "Publish", "Unpublish", "Protect", "Unprotect",
        "Lock", "Unlock", "Initialize", "Install", "Uninstall", "Write", "Sync",
    };

    /// <summary>
    /// Verbs whose cmdlets change nothing persistent, and so must not offer a meaningless -WhatIf. Connect and
    /// Disconnect only add or drop a session in this process: they write nothing to the store but audit and
    /// last-used bookkeeping, and dropping keys must never wait on a confirmation prompt.
    /// </summary>
    private static readonly HashSet<string> ReadOnlyVerbs = new(StringComparer.OrdinalIgnoreCase)
    {
        "Get", "Test", "Find", "Search", "Resolve", "Show", "Measure", "Compare", "Watch", "Connect", "Disconnect", "ConvertTo", "ConvertFrom",
    };

    /// <summary>Verbs that destroy or replace data and so prompt by default (ConfirmImpact High).</summary>
    private static readonly HashSet<string> DestructiveVerbs = new(StringComparer.OrdinalIgnoreCase) { "Remove", "Clear", "Reset", "Unregister" };

    /// <summary>
    /// Destructive cmdlets whose verb does not say so: a restore replaces the store, a revocation deletes keys
    /// (and rotates them), and a policy import may retire clients, lower retention or, with -Prune, revoke.
    /// </summary>
    private static readonly HashSet<string> DestructiveCmdlets = new(StringComparer.OrdinalIgnoreCase)
    {
        "Restore-SecretOpsStore", "Revoke-SecretPermission", "Import-SecretOpsPolicy",
    };

    public static TheoryData<string> CmdletNames()
    {
        var data = new TheoryData<string>();
        foreach (var cmdlet in ModuleMetadata.Cmdlets)
        {
            data.Add(cmdlet.Name);
        }

        return data;
    }

    [Fact]
    public void TheModuleHasTheV1Cmdlets()
    {
        string[] expected =
        [
            "New-SecretOpsStore", "Connect-SecretOpsStore", "Disconnect-SecretOpsStore", "Get-SecretOpsStore", "Test-SecretOpsStore",
            "Backup-SecretOpsStore", "Restore-SecretOpsStore",
            "Set-SecretValue", "Get-SecretValue", "Remove-SecretValue", "Get-SecretEntry", "Get-SecretVersion", "Restore-SecretVersion",
            "New-SecretNamespace", "Get-SecretNamespace", "Set-SecretNamespace", "Remove-SecretNamespace", "Update-SecretNamespaceKey",
            "New-SecretClient", "Get-SecretClient", "Set-SecretClient", "Disable-SecretClient", "Enable-SecretClient", "Remove-SecretClient",
            "Update-SecretClientKey",
            "Grant-SecretPermission", "Revoke-SecretPermission", "Get-SecretPermission",
            "Get-SecretAuditLog", "Test-SecretAuditLog",
            "Export-SecretOpsPolicy", "Import-SecretOpsPolicy",
        ];
        var compiled = ModuleMetadata.Cmdlets.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(expected, e => Assert.Contains(e, compiled));
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void UsesAnApprovedVerb(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var approved = new[] { "VerbsCommon", "VerbsCommunications", "VerbsData", "VerbsDiagnostic", "VerbsLifecycle", "VerbsOther", "VerbsSecurity" }
            .SelectMany(t => ModuleMetadata.PowerShellAssembly.GetType($"{ModuleMetadata.PowerShellNamespace}.{t}", throwOnError: true)!
                .GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains(cmdlet.Verb, approved);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void IsAPublicSealedClass_NamedVerbNounCommand_InItsOwnFile(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        Assert.True(cmdlet.Type.IsPublic && cmdlet.Type.IsSealed, $"{cmdlet.Type.FullName} must be public and sealed");
        Assert.Equal("SecretOps.Module.Commands", cmdlet.Type.Namespace);
        Assert.Equal($"{cmdlet.Verb}{cmdlet.Noun}Command", cmdlet.Type.Name);
        var file = Path.Combine(ModuleMetadata.RepoRoot, "src", "SecretOps.Module", "Commands", cmdlet.Type.Name + ".cs");
        Assert.True(File.Exists(file), $"{cmdlet.Type.Name} should live in {file}");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void VerbIsClassified_AndStateChangingOnesSupportShouldProcess(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var changes = ChangingVerbs.Contains(cmdlet.Verb);
        Assert.True(changes || ReadOnlyVerbs.Contains(cmdlet.Verb),
            $"{name}: classify the verb '{cmdlet.Verb}' in CmdletShapeTests as state-changing (needs SupportsShouldProcess) or read-only.");
        Assert.True(cmdlet.SupportsShouldProcess == changes,
            changes ? $"{name} changes state: declare SupportsShouldProcess = true and call ShouldProcess right before the change."
                    : $"{name} changes nothing persistent: it must not offer -WhatIf/-Confirm.");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void DestructiveCmdlets_AreConfirmImpactHigh_AndOnlyThoseThatSupportShouldProcess(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        if (DestructiveVerbs.Contains(cmdlet.Verb) || DestructiveCmdlets.Contains(name))
        {
            Assert.True(cmdlet.ConfirmImpact == 3, $"{name} destroys or replaces data: declare ConfirmImpact = ConfirmImpact.High.");
        }

        if (cmdlet.ConfirmImpact == 3)
        {
            Assert.True(cmdlet.SupportsShouldProcess, $"{name} declares ConfirmImpact High without SupportsShouldProcess.");
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void DeclaresOutputType_ForExistingTypes_AndParameterSets(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        Assert.True(cmdlet.OutputTypes.Count > 0, $"{name} needs [OutputType] (typeof(void) when it writes nothing).");
        var sets = AllParameterSets(cmdlet);
        foreach (var output in cmdlet.OutputTypes)
        {
            Assert.NotEmpty(output.TypeNames);
            foreach (var set in output.ParameterSets)
            {
                Assert.True(sets.Contains(set), $"{name}: [OutputType] names parameter set '{set}', which no parameter declares.");
            }

            foreach (var typeName in output.TypeNames.Where(t => t.StartsWith("SecretOps.", StringComparison.Ordinal)))
            {
                Assert.True(ModuleMetadata.FindType(typeName) is not null, $"{name}: [OutputType] type {typeName} does not exist.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void EveryParameter_IsDeclared_AndHasAHelpMessage(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var settable = cmdlet.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.DeclaringType!.Namespace != ModuleMetadata.PowerShellNamespace);
        foreach (var property in settable)
        {
            Assert.True(cmdlet.Parameter(property.Name) is not null, $"{name}: public settable property {property.Name} has no [Parameter]; make it a parameter or not public.");
        }

        foreach (var parameter in cmdlet.Parameters)
        {
            foreach (var help in parameter.HelpMessages)
            {
                Assert.False(string.IsNullOrWhiteSpace(help), $"{name} -{parameter.Name} needs a HelpMessage in every [Parameter].");
            }
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void ParameterSets_AreConsistent(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var sets = AllParameterSets(cmdlet);
        if (cmdlet.DefaultParameterSetName is null)
        {
            // The default set may be one no parameter names (only the shared parameters): PowerShell allows that.
            Assert.True(sets.Count <= 1, $"{name} has parameter sets [{string.Join(", ", sets)}] but no DefaultParameterSetName.");
        }

        var positions = cmdlet.Parameters
            .SelectMany(p => p.Declarations.Select(d => (Parameter: p.Name, Set: ModuleMetadata.Named<string>(d, "ParameterSetName") ?? "*", Position: ModuleMetadata.Named<int?>(d, "Position"))))
            .Where(x => x.Position is not null)
            .ToList();
        foreach (var set in sets)
        {
            var inSet = positions.Where(p => p.Set == set || p.Set == "*").GroupBy(p => p.Position).Where(g => g.Count() > 1).ToList();
            Assert.True(inSet.Count == 0, $"{name}: several parameters share a position in set '{set}': {string.Join("; ", inSet.Select(g => string.Join(", ", g.Select(p => p.Parameter))))}.");
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void SecretsAreNeverPlainStringParameters(string name)
    {
        foreach (var parameter in ModuleMetadata.Cmdlet(name).Parameters)
        {
            if (parameter.Name.EndsWith("Passphrase", StringComparison.OrdinalIgnoreCase)
                || parameter.Name.EndsWith("Password", StringComparison.OrdinalIgnoreCase)
                || parameter.Name.EndsWith("ClientSecret", StringComparison.OrdinalIgnoreCase))
            {
                Assert.True(parameter.Type.FullName == "System.Security.SecureString", $"{name} -{parameter.Name} carries a secret: it must be a SecureString.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void NamesNamespacesStoresAndClients_HaveArgumentCompleters(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        foreach (var parameter in cmdlet.Parameters)
        {
            string? expected = parameter.Name switch
            {
                "Namespace" => "NamespaceCompleter",
                "Store" => "StorePathCompleter",
                // The client a permission is about: any client of the store, not only connected ones.
                "Client" when cmdlet.DerivesFrom("PermissionCmdlet") => "ClientNameCompleter",
                // A cmdlet that authenticates (Connect, Update-SecretOpsStore) names a client of the store, connected or not.
                "Client" when cmdlet.DerivesFrom("CredentialCmdlet") => "ConnectClientCompleter",
                "Client" when cmdlet.Noun != "SecretAuditLog" => "ClientCompleter",
                "AsClient" => "ClientCompleter",
                "Name" when cmdlet.DerivesFrom("SecretCmdlet") || cmdlet.DerivesFrom("PermissionCmdlet") => "SecretNameCompleter",
                "Name" when cmdlet.DerivesFrom("ClientCmdlet") && cmdlet.Verb != "New" => "ClientNameCompleter",
                "Name" when cmdlet.DerivesFrom("NamespaceCmdlet") && cmdlet.Verb != "New" => "NamespaceCompleter",
                _ => null,
            };
            if (expected is null)
            {
                continue;
            }

            Assert.True(parameter.Completer?.Name == expected, $"{name} -{parameter.Name} should complete with {expected}, has {parameter.Completer?.Name ?? "none"}.");
            var completer = parameter.Completer!;
            Assert.True(completer.IsPublic && completer.GetConstructor(Type.EmptyTypes) is not null, $"{completer.Name} needs a public parameterless constructor.");
            Assert.Contains(completer.GetInterfaces(), i => i.FullName == $"{ModuleMetadata.PowerShellNamespace}.IArgumentCompleter");
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void CmdletsWithAStoreParameter_PickTheirSessionThroughTheSessionBase(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        if (cmdlet.Parameter("Store") is not null && cmdlet.Verb != "Disconnect")
        {
            Assert.True(cmdlet.DerivesFrom("StoreSessionCmdlet"), $"{name} has -Store but does not derive from StoreSessionCmdlet (session lookup, NotConnected, audit flush).");
            Assert.Contains(cmdlet.Type.GetInterfaces(), i => i.FullName == "System.IDisposable");
        }
    }

    /// <summary>
    /// <c>Get-SecretEntry | X</c> (or <c>Get-SecretVersion | X</c>, …) binds every mandatory parameter of X's
    /// default set from the piped object's properties.
    /// </summary>
    [Theory]
    [InlineData("Get-SecretValue", "SecretOps.SecretEntry")]
    [InlineData("Remove-SecretValue", "SecretOps.SecretEntry")]
    [InlineData("Get-SecretVersion", "SecretOps.SecretEntry")]
    [InlineData("Restore-SecretVersion", "SecretOps.SecretVersionInfo")]
    [InlineData("Get-SecretVersion", "SecretOps.SecretVersionInfo")]
    [InlineData("Set-SecretNamespace", "SecretOps.NamespaceInfo")]
    [InlineData("Remove-SecretNamespace", "SecretOps.NamespaceInfo")]
    [InlineData("Disconnect-SecretOpsStore", "SecretOps.Module.SessionInfo")]
    [InlineData("Update-SecretNamespaceKey", "SecretOps.NamespaceInfo")]
    [InlineData("Set-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Disable-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Enable-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Remove-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Update-SecretClientKey", "SecretOps.ClientInfo")]
    [InlineData("Revoke-SecretPermission", "SecretOps.PermissionInfo")]
    [InlineData("Grant-SecretPermission", "SecretOps.PermissionInfo")]
    [InlineData("Import-SecretOpsPolicy", "System.IO.FileInfo")]
    public void PipelineByPropertyName_BindsEveryMandatoryParameter(string name, string sourceType)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var source = SourceType(sourceType);
        var set = cmdlet.DefaultParameterSetName ?? "__AllParameterSets";
        var mandatory = cmdlet.Parameters.Where(p => p.IsMandatoryIn(set)).ToList();
        foreach (var parameter in mandatory)
        {
            Assert.True(parameter.ByPropertyName, $"{name} -{parameter.Name} is mandatory but not ValueFromPipelineByPropertyName.");
            Assert.True(new[] { parameter.Name }.Concat(parameter.Aliases).Any(n => source.GetProperty(n) is not null),
                $"{sourceType} has no property {parameter.Name} to bind to {name}.");
        }
    }

    [Theory]
    [InlineData("Get-SecretValue")]
    [InlineData("Remove-SecretValue")]
    [InlineData("Get-SecretVersion")]
    [InlineData("Restore-SecretVersion")]
    [InlineData("Set-SecretValue")]
    [InlineData("Get-SecretEntry")]
    public void SecretCmdlets_TakeTheNamespaceFromThePipeline(string name) =>
        Assert.True(ModuleMetadata.Cmdlet(name).Parameter("Namespace")!.ByPropertyName, $"{name} -Namespace must bind by property name.");

    /// <summary>A piped SecretEntry's Version is its current one: binding it would read past expiry, or refuse to remove the current version.</summary>
    [Theory]
    [InlineData("Get-SecretValue")]
    [InlineData("Remove-SecretValue")]
    public void Version_DoesNotBindFromAPipedEntry(string name) =>
        Assert.False(ModuleMetadata.Cmdlet(name).Parameter("Version")!.ByPropertyName);

    /// <summary>
    /// A piped permission (Get-SecretPermission) names its whole scope: client, namespace, secret (Secret, null
    /// for a namespace-wide grant) and flags, so it can be revoked or copied to another client.
    /// </summary>
    [Theory]
    [InlineData("Revoke-SecretPermission")]
    [InlineData("Grant-SecretPermission")]
    public void PermissionCmdlets_BindAPipedPermissionsWholeScope(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var source = SourceType("SecretOps.PermissionInfo");
        foreach (var (parameterName, property) in new[] { ("Client", "Client"), ("Namespace", "Namespace"), ("Name", "Secret"), ("Permission", "Permissions") })
        {
            var parameter = cmdlet.Parameter(parameterName);
            Assert.True(parameter is { ByPropertyName: true }, $"{name} -{parameterName} must bind by property name.");
            Assert.True(parameter.Name == property || parameter.Aliases.Contains(property), $"{name} -{parameterName} needs the alias {property} to bind PermissionInfo.{property}.");
            Assert.NotNull(source.GetProperty(property));
        }
    }

    /// <summary><c>Get-SecretEntry db | Get-SecretPermission</c> shows who can reach each entry.</summary>
    [Theory]
    [InlineData("Get-SecretPermission")]
    [InlineData("Grant-SecretPermission")]
    public void PermissionCmdlets_TakeTheScopeFromAPipedEntry(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        Assert.True(cmdlet.Parameter("Namespace")!.ByPropertyName, $"{name} -Namespace must bind by property name.");
        Assert.True(cmdlet.Parameter("Name")!.ByPropertyName, $"{name} -Name must bind by property name.");
        Assert.NotNull(SourceType("SecretOps.SecretEntry").GetProperty("Name"));
    }

    /// <summary>
    /// PowerShell binds a piped property even when its value is null (a namespace-wide permission's Secret, a
    /// client without a description); a [ValidateNotNull(OrEmpty)] parameter would then fail the whole record.
    /// </summary>
    [Theory]
    [InlineData("Revoke-SecretPermission", "SecretOps.PermissionInfo")]
    [InlineData("Grant-SecretPermission", "SecretOps.PermissionInfo")]
    [InlineData("Grant-SecretPermission", "SecretOps.SecretEntry")]
    [InlineData("Get-SecretPermission", "SecretOps.SecretEntry")]
    [InlineData("Set-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Disable-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Remove-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Update-SecretClientKey", "SecretOps.ClientInfo")]
    [InlineData("Get-SecretClient", "SecretOps.ClientInfo")]
    [InlineData("Update-SecretNamespaceKey", "SecretOps.NamespaceInfo")]
    [InlineData("Remove-SecretValue", "SecretOps.SecretEntry")]
    [InlineData("Restore-SecretVersion", "SecretOps.SecretVersionInfo")]
    public void ParametersBoundFromNullableProperties_AcceptNull(string name, string sourceType)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        var source = SourceType(sourceType);
        Assert.True(CanBeNull(SourceType("SecretOps.PermissionInfo").GetProperty("Secret")!), "nullability detection: PermissionInfo.Secret is string?");
        Assert.False(CanBeNull(SourceType("SecretOps.PermissionInfo").GetProperty("Client")!), "nullability detection: PermissionInfo.Client is string");
        foreach (var parameter in cmdlet.Parameters.Where(p => p.ByPropertyName))
        {
            var property = new[] { parameter.Name }.Concat(parameter.Aliases).Select(n => source.GetProperty(n)).FirstOrDefault(p => p is not null);
            if (property is null || !CanBeNull(property))
            {
                continue;
            }

            var refuses = parameter.Property.GetCustomAttributesData().Where(a => ModuleMetadata.IsAttribute(a, "ValidateNotNullOrEmptyAttribute") || ModuleMetadata.IsAttribute(a, "ValidateNotNullAttribute"));
            Assert.True(!refuses.Any(), $"{name} -{parameter.Name} binds {sourceType}.{property.Name}, which can be null, but refuses null.");
        }
    }

    /// <summary>
    /// The clients and permissions cmdlets are about a client (-Name, -Client), so their session is picked with
    /// -AsClient; a -Client that silently picked the session would act as the wrong client.
    /// </summary>
    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void ClientAndPermissionCmdlets_PickTheirSessionWithAsClient(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        if (!cmdlet.DerivesFrom("ClientCmdlet") && !cmdlet.DerivesFrom("PermissionCmdlet"))
        {
            return;
        }

        Assert.True(cmdlet.DerivesFrom("AsClientSessionCmdlet"), $"{name} must pick its session through AsClientSessionCmdlet.");
        Assert.NotNull(cmdlet.Parameter("AsClient"));
        if (cmdlet.DerivesFrom("ClientCmdlet"))
        {
            Assert.Null(cmdlet.Parameter("Client"));
            Assert.NotNull(cmdlet.Parameter("Name"));
        }
    }

    /// <summary>A new or re-keyed client gets exactly one credential: a passphrase (the default, asked for when absent), a generated secret or a public key.</summary>
    [Theory]
    [InlineData("New-SecretClient")]
    [InlineData("Update-SecretClientKey")]
    public void CredentialParameters_AreExclusiveParameterSets(string name)
    {
        var cmdlet = ModuleMetadata.Cmdlet(name);
        Assert.Equal("Passphrase", cmdlet.DefaultParameterSetName);
        Assert.Equal(["Passphrase"], cmdlet.Parameter("Passphrase")!.ParameterSets);
        Assert.False(cmdlet.Parameter("Passphrase")!.IsMandatoryIn("Passphrase"), "an interactive session is asked for the passphrase");
        Assert.Equal(["GenerateSecret"], cmdlet.Parameter("GenerateSecret")!.ParameterSets);
        Assert.True(cmdlet.Parameter("GenerateSecret")!.IsMandatoryIn("GenerateSecret"));
        Assert.Equal(["PublicKey"], cmdlet.Parameter("PublicKeyPath")!.ParameterSets);
        Assert.True(cmdlet.Parameter("PublicKeyPath")!.IsMandatoryIn("PublicKey"));
    }

    /// <summary>A store has one System client: -Role offers (and accepts) only Admin and Member.</summary>
    [Theory]
    [InlineData("New-SecretClient")]
    [InlineData("Set-SecretClient")]
    public void Role_IsAdminOrMember(string name)
    {
        var role = ModuleMetadata.Cmdlet(name).Parameter("Role")!;
        Assert.Equal("SecretOps.ClientRole", role.Type.FullName);
        var set = role.Property.GetCustomAttributesData().Single(a => ModuleMetadata.IsAttribute(a, "ValidateSetAttribute"));
        var values = ((System.Collections.ObjectModel.ReadOnlyCollection<CustomAttributeTypedArgument>)set.ConstructorArguments[0].Value!).Select(v => (string)v.Value!);
        Assert.Equal(["Admin", "Member"], values.Order());
    }

    /// <summary>Grant/Revoke -Permission takes several flags (Read,Write), as the enum of the shared assembly users can name.</summary>
    [Theory]
    [InlineData("Grant-SecretPermission", true)]
    [InlineData("Revoke-SecretPermission", false)]
    public void Permission_IsAnArrayOfTheSharedFlagsEnum(string name, bool mandatory)
    {
        var permission = ModuleMetadata.Cmdlet(name).Parameter("Permission")!;
        Assert.Equal("SecretOps.Permissions[]", permission.Property.PropertyType.FullName);
        Assert.Same(ModuleMetadata.SharedAssembly, permission.Property.PropertyType.GetElementType()!.Assembly);
        Assert.Equal(mandatory, permission.IsMandatoryIn("__AllParameterSets"));
    }

    [Fact]
    public void RevokeSecretPermission_RotatesByDefault() =>
        Assert.Equal("System.Management.Automation.SwitchParameter", ModuleMetadata.Cmdlet("Revoke-SecretPermission").Parameter("NoRotate")!.Type.FullName);

    /// <summary>Export writes YAML to the pipeline by default and a file only with -Path; Import reads a file.</summary>
    [Fact]
    public void PolicyCmdlets_DeclareTheirOutputsPerParameterSet()
    {
        var export = ModuleMetadata.Cmdlet("Export-SecretOpsPolicy");
        Assert.Contains(export.OutputTypes, o => o.TypeNames.SequenceEqual(["System.String"]) && o.ParameterSets.SequenceEqual([export.DefaultParameterSetName!]));
        Assert.Contains(export.OutputTypes, o => o.TypeNames.SequenceEqual(["System.IO.FileInfo"]) && o.ParameterSets.SequenceEqual(export.Parameter("Path")!.ParameterSets));
        Assert.DoesNotContain(export.DefaultParameterSetName, export.Parameter("Path")!.ParameterSets);
        Assert.Equal(export.Parameter("Path")!.ParameterSets, export.Parameter("Force")!.ParameterSets);
        var import = ModuleMetadata.Cmdlet("Import-SecretOpsPolicy");
        Assert.Equal(["SecretOps.Module.PolicyChangeInfo"], import.OutputTypes.Single().TypeNames);
        Assert.NotNull(import.Parameter("Prune"));
    }

    /// <summary>A type a test pipes: one of SecretOps' own, or a runtime type (System.IO.FileInfo).</summary>
    private static Type SourceType(string name) =>
        ModuleMetadata.FindType(name) ?? Type.GetType(name) ?? throw new Xunit.Sdk.XunitException($"No type {name}.");

    /// <summary>Whether a property's value can be null: Nullable&lt;T&gt;, or a reference type not annotated non-null.</summary>
    private static bool CanBeNull(System.Reflection.PropertyInfo property)
    {
        var type = property.PropertyType;
        if (type.IsValueType)
        {
            return type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1";
        }

        var flag = NullableFlag(property.GetCustomAttributesData(), "NullableAttribute")
                   ?? NullableFlag(property.GetMethod?.GetCustomAttributesData(), "NullableContextAttribute")
                   ?? NullableFlag(property.DeclaringType!.GetCustomAttributesData(), "NullableContextAttribute");
        return flag != 1;
    }

    private static byte? NullableFlag(IEnumerable<CustomAttributeData>? attributes, string name)
    {
        var data = attributes?.FirstOrDefault(a => a.AttributeType.Namespace == "System.Runtime.CompilerServices" && a.AttributeType.Name == name);
        return data?.ConstructorArguments[0].Value switch
        {
            byte flag => flag,
            System.Collections.ObjectModel.ReadOnlyCollection<CustomAttributeTypedArgument> flags => (byte)flags[0].Value!,
            _ => null,
        };
    }

    /// <summary>The named parameter sets: those parameters declare, and the default set (which may have only shared parameters).</summary>
    private static HashSet<string> AllParameterSets(CmdletInfo cmdlet)
    {
        var sets = cmdlet.Parameters.SelectMany(p => p.ParameterSets).Where(s => s != "__AllParameterSets").ToHashSet(StringComparer.Ordinal);
        if (cmdlet.DefaultParameterSetName is { } defaultSet)
        {
            sets.Add(defaultSet);
        }

        return sets;
    }
}
