namespace SecretOps.Core.Audit;

/// <summary>
/// The action names the audit log records, one per operation (stable: filters and scripts match on them).
/// Core records only these; the surfaces offer <see cref="All"/> to complete and describe a filter.
/// </summary>
public static class AuditActions
{
    /// <summary><c>store.backup</c>.</summary>
    public const string StoreBackup = "store.backup";

    /// <summary><c>store.check</c>.</summary>
    public const string StoreCheck = "store.check";

    /// <summary><c>store.create</c>.</summary>
    public const string StoreCreate = "store.create";

    /// <summary><c>store.restore</c>.</summary>
    public const string StoreRestore = "store.restore";

    /// <summary><c>store.upgrade</c>.</summary>
    public const string StoreUpgrade = "store.upgrade";

    /// <summary><c>client.add</c>.</summary>
    public const string ClientAdd = "client.add";

    /// <summary><c>client.connect</c>.</summary>
    public const string ClientConnect = "client.connect";

    /// <summary><c>client.disable</c>.</summary>
    public const string ClientDisable = "client.disable";

    /// <summary><c>client.enable</c>.</summary>
    public const string ClientEnable = "client.enable";

    /// <summary><c>client.list</c>.</summary>
    public const string ClientList = "client.list";

    /// <summary><c>client.retire</c>.</summary>
    public const string ClientRetire = "client.retire";

    /// <summary><c>client.rotate</c>.</summary>
    public const string ClientRotate = "client.rotate";

    /// <summary><c>client.show</c>.</summary>
    public const string ClientShow = "client.show";

    /// <summary><c>client.update</c>.</summary>
    public const string ClientUpdate = "client.update";

    /// <summary><c>namespace.create</c>.</summary>
    public const string NamespaceCreate = "namespace.create";

    /// <summary><c>namespace.list</c>.</summary>
    public const string NamespaceList = "namespace.list";

    /// <summary><c>namespace.remove</c>.</summary>
    public const string NamespaceRemove = "namespace.remove";

    /// <summary><c>namespace.rotate</c>.</summary>
    public const string NamespaceRotate = "namespace.rotate";

    /// <summary><c>namespace.update</c>.</summary>
    public const string NamespaceUpdate = "namespace.update";

    /// <summary><c>secret.entry</c>.</summary>
    public const string SecretEntry = "secret.entry";

    /// <summary><c>secret.get</c>.</summary>
    public const string SecretGet = "secret.get";

    /// <summary><c>secret.history</c>.</summary>
    public const string SecretHistory = "secret.history";

    /// <summary><c>secret.list</c>.</summary>
    public const string SecretList = "secret.list";

    /// <summary><c>secret.metadata</c>.</summary>
    public const string SecretMetadata = "secret.metadata";

    /// <summary><c>secret.remove</c>.</summary>
    public const string SecretRemove = "secret.remove";

    /// <summary><c>secret.restore</c>.</summary>
    public const string SecretRestore = "secret.restore";

    /// <summary><c>secret.set</c>.</summary>
    public const string SecretSet = "secret.set";

    /// <summary><c>permission.grant</c>.</summary>
    public const string PermissionGrant = "permission.grant";

    /// <summary><c>permission.list</c>.</summary>
    public const string PermissionList = "permission.list";

    /// <summary><c>permission.revoke</c>.</summary>
    public const string PermissionRevoke = "permission.revoke";

    /// <summary><c>audit.list</c>.</summary>
    public const string AuditList = "audit.list";

    /// <summary>Every action name, grouped by what it acts on.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        StoreBackup,
        StoreCheck,
        StoreCreate,
        StoreRestore,
        StoreUpgrade,
        ClientAdd,
        ClientConnect,
        ClientDisable,
        ClientEnable,
        ClientList,
        ClientRetire,
        ClientRotate,
        ClientShow,
        ClientUpdate,
        NamespaceCreate,
        NamespaceList,
        NamespaceRemove,
        NamespaceRotate,
        NamespaceUpdate,
        SecretEntry,
        SecretGet,
        SecretHistory,
        SecretList,
        SecretMetadata,
        SecretRemove,
        SecretRestore,
        SecretSet,
        PermissionGrant,
        PermissionList,
        PermissionRevoke,
        AuditList,
    ];
}
