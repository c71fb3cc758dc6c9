using SecretOps.Core.Secrets;

namespace SecretOps.Core.Crypto;

/// <summary>
/// The associated data of every ciphertext in a store (docs/FORMAT.md, "What each ciphertext is bound to").
/// Each binds the store id, so nothing can be moved between stores, and every id and number that places
/// the ciphertext, so nothing can be moved between rows.
/// </summary>
internal static class Contexts
{
    public static AssociatedData ClientPrivateKey(Guid storeId, Guid clientId, ClientKind kind, ReadOnlySpan<byte> salt, int memoryKiB, int iterations, int parallelism) =>
        new AssociatedData("secretops/client-key/v1").Add(storeId).Add(clientId).Add((long)kind).Add(salt)
            .Add(memoryKiB).Add(iterations).Add(parallelism);

    /// <summary>
    /// Format 2: the envelope is bound to the store's identity, its control log's genesis hash, so a client's row copied
    /// into a store with another log (a forged one, even with the same store id) does not open there.
    /// </summary>
    public static AssociatedData ClientPrivateKey(ReadOnlySpan<byte> storeIdentity, Guid clientId, ClientKind kind, ReadOnlySpan<byte> salt, int memoryKiB, int iterations, int parallelism) =>
        new AssociatedData("secretops/client-key/v2").Add(storeIdentity).Add(clientId).Add((long)kind).Add(salt)
            .Add(memoryKiB).Add(iterations).Add(parallelism);

    public static AssociatedData NamespaceKey(Guid storeId, Guid namespaceId, int generation) =>
        new AssociatedData("secretops/namespace-key/v1").Add(storeId).Add(namespaceId).Add(generation);

    public static AssociatedData SecretKey(Guid storeId, Guid secretId, int generation) =>
        new AssociatedData("secretops/secret-key/v1").Add(storeId).Add(secretId).Add(generation);

    public static AssociatedData WrappedSecretKey(Guid storeId, Guid namespaceId, Guid secretId, int generation, int namespaceGeneration) =>
        new AssociatedData("secretops/secret-key-wrap/v1").Add(storeId).Add(namespaceId).Add(secretId).Add(generation).Add(namespaceGeneration);

    /// <summary>
    /// A value is bound to its namespace and secret by id and by name (upper-cased by <see cref="Names.LookupKey"/>, as
    /// names are matched), so swapping names between rows fails to decrypt instead of serving a value under
    /// another secret's name.
    /// </summary>
    public static AssociatedData Value(Guid storeId, Guid namespaceId, string namespaceName, Guid secretId, string secretName, int version, int keyGeneration, SecretValueType type) =>
        new AssociatedData("secretops/value/v1").Add(storeId).Add(namespaceId).Add(Names.LookupKey(namespaceName)).Add(secretId).Add(Names.LookupKey(secretName))
            .Add(version).Add(keyGeneration).Add((long)type);

    public static AssociatedData Canary(Guid storeId, Guid namespaceId, int generation) =>
        new AssociatedData("secretops/canary/v1").Add(storeId).Add(namespaceId).Add(generation);

    /// <summary>The plaintext every namespace key generation encrypts, so a check can prove the key opens.</summary>
    public static ReadOnlySpan<byte> CanaryPlaintext => "secretops canary"u8;
}
