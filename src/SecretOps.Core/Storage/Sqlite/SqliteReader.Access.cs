using SecretOps.Core.Crypto;

namespace SecretOps.Core.Storage.Sqlite;

internal sealed partial class SqliteReader
{
    private const int KeyFlags = (int)(SecretOps.Permissions.Read | SecretOps.Permissions.Write);

    // A recipient of a new key generation: a client, not retired and not excluded, that has a Read or Write permission
    // row on the scope AND a stanza for its current generation.
    private static readonly string GrantedStanza =
        $"JOIN clients c ON c.id = st.client_id JOIN permissions p ON p.client_id = st.client_id AND p.scope_kind = st.scope_kind AND p.scope_id = st.scope_id AND (p.flags & {KeyFlags}) != 0 " +
        $"WHERE c.status != {(int)SecretOps.ClientStatus.Retired} AND ($excluded IS NULL OR st.client_id != $excluded)";

    public Permissions Flags(Guid clientId, ScopeKind kind, Guid scopeId) =>
        Scalar("SELECT flags FROM permissions WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob())) is long flags ? (Permissions)flags : SecretOps.Permissions.None;

    public Permissions EffectiveFlags(Guid clientId, Guid namespaceId, Guid? secretId) => List(
        "SELECT flags FROM permissions WHERE client_id = $client AND ((scope_kind = 1 AND scope_id = $ns) OR (scope_kind = 2 AND scope_id = $secret))",
        r => (Permissions)r.GetInt32(0), ("$client", clientId.ToBlob()), ("$ns", namespaceId.ToBlob()), ("$secret", secretId?.ToBlob()))
        .Aggregate(SecretOps.Permissions.None, (all, flags) => all | flags);

    public IReadOnlyList<(Guid SecretId, Permissions Flags)> SecretGrantsIn(Guid clientId, Guid namespaceId) => List(
        "SELECT p.scope_id, p.flags FROM permissions p JOIN secrets s ON p.scope_kind = 2 AND p.scope_id = s.id WHERE p.client_id = $client AND s.namespace_id = $ns",
        r => (r.GetUuid(0), (Permissions)r.GetInt32(1)), ("$client", clientId.ToBlob()), ("$ns", namespaceId.ToBlob()));

    public IReadOnlyList<PermissionRow> Permissions(Guid? clientId, Guid? namespaceId, Guid? secretId) => List(
        """
        SELECT c.name, p.client_id, p.scope_kind, n.id, n.name, s.name, p.flags, g.name, p.granted_at
        FROM permissions p
        JOIN clients c ON c.id = p.client_id
        LEFT JOIN secrets s ON p.scope_kind = 2 AND s.id = p.scope_id
        JOIN namespaces n ON n.id = CASE p.scope_kind WHEN 1 THEN p.scope_id ELSE s.namespace_id END
        LEFT JOIN clients g ON g.id = p.granted_by
        WHERE ($client IS NULL OR p.client_id = $client)
          AND ($ns IS NULL OR n.id = $ns)
          AND ($secret IS NULL OR p.scope_kind = 1 OR p.scope_id = $secret)
        ORDER BY n.name, p.scope_kind, s.name, c.name
        """,
        r => new PermissionRow(r.GetString(0), r.GetUuid(1), (ScopeKind)r.GetInt32(2), r.GetUuid(3), r.GetString(4), r.GetNullableString(5),
                               (Permissions)r.GetInt32(6), r.GetNullableString(7) ?? "", r.GetTime(8)),
        ("$client", clientId?.ToBlob()), ("$ns", namespaceId?.ToBlob()), ("$secret", secretId?.ToBlob()));

    public Stanza? Stanza(Guid clientId, KeyScope scope) => Single(
        "SELECT algorithm, header, nonce, wrapped_key FROM stanzas WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope AND generation = $generation",
        r => new Stanza(clientId, (StanzaAlgorithm)r.GetInt32(0), r.GetBlob(1), r.GetBlob(2), r.GetBlob(3)),
        ("$client", clientId.ToBlob()), ("$kind", (int)scope.Kind), ("$scope", scope.ScopeId.ToBlob()), ("$generation", scope.Generation));

    public IReadOnlyList<KeyScope> StanzasOf(Guid clientId) => List(
        "SELECT scope_kind, scope_id, generation FROM stanzas WHERE client_id = $id",
        r => new KeyScope((ScopeKind)r.GetInt32(0), r.GetUuid(1), r.GetInt32(2)), ("$id", clientId.ToBlob()));

    public bool HasStanza(Guid clientId, ScopeKind kind, Guid scopeId) =>
        Scalar("SELECT 1 FROM stanzas WHERE client_id = $client AND scope_kind = $kind AND scope_id = $scope LIMIT 1",
            ("$client", clientId.ToBlob()), ("$kind", (int)kind), ("$scope", scopeId.ToBlob())) is not null;

    public bool HasSecretStanzasIn(Guid clientId, Guid namespaceId) =>
        Scalar("SELECT 1 FROM stanzas WHERE client_id = $client AND scope_kind = 2 AND scope_id IN (SELECT id FROM secrets WHERE namespace_id = $ns) LIMIT 1",
            ("$client", clientId.ToBlob()), ("$ns", namespaceId.ToBlob())) is not null;

    public bool HasOtherActiveHolder(ScopeKind kind, Guid scopeId, Guid excluded) =>
        Scalar("SELECT 1 FROM stanzas s JOIN clients c ON c.id = s.client_id WHERE s.scope_kind = $kind AND s.scope_id = $scope AND s.client_id != $excluded AND c.status = $active LIMIT 1",
            ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$excluded", excluded.ToBlob()), ("$active", (int)SecretOps.ClientStatus.Active)) is not null;

    public IReadOnlyList<Guid> Recipients(ScopeKind kind, Guid scopeId, int generation, Guid? excluded) => List(
        $"SELECT st.client_id FROM stanzas st {GrantedStanza} AND st.scope_kind = $kind AND st.scope_id = $scope AND st.generation = $generation",
        r => r.GetUuid(0), ("$kind", (int)kind), ("$scope", scopeId.ToBlob()), ("$generation", generation), ("$excluded", excluded?.ToBlob()));

    public IReadOnlyDictionary<(Guid SecretId, int Generation), IReadOnlyList<Guid>> SecretRecipientsIn(Guid namespaceId, Guid? excluded) => List(
        $"SELECT st.scope_id, st.generation, st.client_id FROM stanzas st JOIN secrets s ON st.scope_kind = 2 AND st.scope_id = s.id AND st.generation = s.key_generation {GrantedStanza} AND s.namespace_id = $ns",
        r => (Key: (r.GetUuid(0), r.GetInt32(1)), Client: r.GetUuid(2)), ("$ns", namespaceId.ToBlob()), ("$excluded", excluded?.ToBlob()))
        .GroupBy(row => row.Key)
        .ToDictionary(group => group.Key, group => (IReadOnlyList<Guid>)group.Select(row => row.Client).ToList());

    public UngrantedStanza? FirstUngrantedStanza(Guid namespaceId, Guid? secretId, Guid? excluded) => Single(
        """
        SELECT c.name, st.scope_kind, s.name FROM stanzas st
        JOIN clients c ON c.id = st.client_id
        LEFT JOIN secrets s ON st.scope_kind = 2 AND s.id = st.scope_id
        LEFT JOIN permissions p ON p.client_id = st.client_id AND p.scope_kind = st.scope_kind AND p.scope_id = st.scope_id AND (p.flags & $keyFlags) != 0
        WHERE (p.client_id IS NULL OR c.status = $retired) AND ($excluded IS NULL OR st.client_id != $excluded)
          AND CASE WHEN $secret IS NULL THEN (st.scope_kind = 1 AND st.scope_id = $ns) OR s.namespace_id = $ns ELSE st.scope_kind = 2 AND st.scope_id = $secret END
        ORDER BY c.name LIMIT 1
        """,
        r => new UngrantedStanza(r.GetString(0), (ScopeKind)r.GetInt32(1), r.GetNullableString(2)),
        ("$ns", namespaceId.ToBlob()), ("$secret", secretId?.ToBlob()), ("$keyFlags", KeyFlags), ("$retired", (int)SecretOps.ClientStatus.Retired), ("$excluded", excluded?.ToBlob()));

    public WrappedSecretKey? WrappedSecretKey(Guid secretId, int generation) => Single(
        "SELECT namespace_generation, nonce, wrapped_key FROM secret_keys WHERE secret_id = $id AND generation = $generation",
        r => new WrappedSecretKey(r.GetInt32(0), new SealedData(r.GetBlob(1), r.GetBlob(2))), ("$id", secretId.ToBlob()), ("$generation", generation));

    public bool NamespaceKeyExists(Guid namespaceId, int generation) =>
        Scalar("SELECT 1 FROM namespace_keys WHERE namespace_id = $ns AND generation = $generation", ("$ns", namespaceId.ToBlob()), ("$generation", generation)) is not null;

    public IReadOnlyList<NamespaceCanary> CanariesHeldBy(Guid clientId) => List(
        "SELECT n.id, n.name, k.generation, k.canary_nonce, k.canary FROM namespace_keys k JOIN namespaces n ON n.id = k.namespace_id " +
        "JOIN stanzas s ON s.scope_kind = 1 AND s.scope_id = k.namespace_id AND s.generation = k.generation AND s.client_id = $client ORDER BY n.name, k.generation",
        r => new NamespaceCanary(r.GetUuid(0), r.GetString(1), r.GetInt32(2), new SealedData(r.GetBlob(3), r.GetBlob(4))), ("$client", clientId.ToBlob()));
}
