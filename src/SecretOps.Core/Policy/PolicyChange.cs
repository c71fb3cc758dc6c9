using System.Text.Json.Serialization;

namespace SecretOps.Core.Policy;

/// <summary>
/// One step of a policy plan, as plain data: what it does (<see cref="Kind"/>, one derived record per step with
/// its parameters) and the step in words (<see cref="Description"/>, made from those parameters). A step holds
/// no code; <see cref="Session.ApplyPolicy"/> carries it out with the session's public methods. Steps compare
/// by value and serialize with System.Text.Json (the <c>change</c> property names the step).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "change")]
[JsonDerivedType(typeof(CreateNamespaceChange), "createNamespace")]
[JsonDerivedType(typeof(UpdateNamespaceChange), "updateNamespace")]
[JsonDerivedType(typeof(CreateKeyFileClientChange), "createKeyFileClient")]
[JsonDerivedType(typeof(CreateGeneratedClientChange), "createGeneratedClient")]
[JsonDerivedType(typeof(SetClientRoleChange), "setClientRole")]
[JsonDerivedType(typeof(SetClientDescriptionChange), "setClientDescription")]
[JsonDerivedType(typeof(DisableClientChange), "disableClient")]
[JsonDerivedType(typeof(EnableClientChange), "enableClient")]
[JsonDerivedType(typeof(RetireClientChange), "retireClient")]
[JsonDerivedType(typeof(GrantChange), "grant")]
[JsonDerivedType(typeof(RevokeChange), "revoke")]
public abstract record PolicyChange
{
    /// <summary>Only the steps below derive from this: each is one the applier knows how to carry out.</summary>
    private protected PolicyChange()
    {
    }

    /// <summary>What the step does.</summary>
    public abstract PolicyChangeKind Kind { get; }

    /// <summary>The step in words, e.g. <c>grant read to 'ci' on namespace 'prod'</c>.</summary>
    public abstract string Description { get; }

    /// <summary>True for steps that remove access or cannot be undone (revocations, retirements).</summary>
    public bool IsDestructive => Kind is PolicyChangeKind.Revoke or PolicyChangeKind.RetireClient;

    /// <inheritdoc />
    public sealed override string ToString() => $"{Kind}: {Description}";

    /// <summary>A namespace or one secret in it, in words.</summary>
    private protected static string Scope(string ns, string? secret) => secret is null ? $"namespace '{ns}'" : $"secret '{secret}' in '{ns}'";

    /// <summary>Permission names in words, e.g. <c>read,write</c>.</summary>
    private protected static string Flags(Permissions permissions) => string.Join(",", Session.FlagNames(permissions));
}

/// <summary>Create namespace <paramref name="Namespace"/> with a description and retention (none when <paramref name="MaxVersions"/> is null).</summary>
public sealed record CreateNamespaceChange(string Namespace, string? NamespaceDescription, int? MaxVersions) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.CreateNamespace;

    /// <inheritdoc />
    public override string Description => $"create namespace '{Namespace}'";
}

/// <summary>Set an existing namespace's description and retention (retention cleared when <paramref name="MaxVersions"/> is null).</summary>
public sealed record UpdateNamespaceChange(string Namespace, string? NamespaceDescription, int? MaxVersions) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.UpdateNamespace;

    /// <inheritdoc />
    public override string Description => $"set namespace '{Namespace}' description and retention";
}

/// <summary>Register key-file client <paramref name="Client"/> from its public key (PEM; <paramref name="Fingerprint"/> names it).</summary>
public sealed record CreateKeyFileClientChange(string Client, ClientRole Role, string? ClientDescription, string PublicKeyPem, string Fingerprint) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.CreateClient;

    /// <inheritdoc />
    public override string Description => $"register key-file client '{Client}' ({Fingerprint})";
}

/// <summary>Create client <paramref name="Client"/> with a generated secret, which applying returns once.</summary>
public sealed record CreateGeneratedClientChange(string Client, ClientRole Role, string? ClientDescription) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.CreateClient;

    /// <inheritdoc />
    public override string Description => $"create client '{Client}' with a generated secret";
}

/// <summary>Give client <paramref name="Client"/> the Admin or Member role.</summary>
public sealed record SetClientRoleChange(string Client, ClientRole Role) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.UpdateClient;

    /// <inheritdoc />
    public override string Description => $"make client '{Client}' {Role.ToString().ToLowerInvariant()}";
}

/// <summary>Set client <paramref name="Client"/>'s description.</summary>
public sealed record SetClientDescriptionChange(string Client, string ClientDescription) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.UpdateClient;

    /// <inheritdoc />
    public override string Description => $"describe client '{Client}'";
}

/// <summary>Disable client <paramref name="Client"/>.</summary>
public sealed record DisableClientChange(string Client) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.SetClientStatus;

    /// <inheritdoc />
    public override string Description => $"disable client '{Client}'";
}

/// <summary>Enable client <paramref name="Client"/>.</summary>
public sealed record EnableClientChange(string Client) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.SetClientStatus;

    /// <inheritdoc />
    public override string Description => $"enable client '{Client}'";
}

/// <summary>Retire client <paramref name="Client"/>: permanent, and every key it holds is rotated.</summary>
public sealed record RetireClientChange(string Client) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.RetireClient;

    /// <inheritdoc />
    public override string Description => $"retire client '{Client}'";
}

/// <summary>Grant <paramref name="Permissions"/> to <paramref name="Client"/> on a namespace, or on one secret in it.</summary>
public sealed record GrantChange(string Client, string Namespace, string? Secret, Permissions Permissions) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.Grant;

    /// <inheritdoc />
    public override string Description => $"grant {Flags(Permissions)} to '{Client}' on {Scope(Namespace, Secret)}";
}

/// <summary>Revoke <paramref name="Permissions"/> from <paramref name="Client"/> on a namespace or one secret, rotating keys when Read or Write goes.</summary>
public sealed record RevokeChange(string Client, string Namespace, string? Secret, Permissions Permissions) : PolicyChange
{
    /// <inheritdoc />
    public override PolicyChangeKind Kind => PolicyChangeKind.Revoke;

    /// <inheritdoc />
    public override string Description => $"revoke {Flags(Permissions)} from '{Client}' on {Scope(Namespace, Secret)}";
}
