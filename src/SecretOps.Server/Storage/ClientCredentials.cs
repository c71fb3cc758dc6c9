using SecretOps.Core.Remote;

namespace SecretOps.Server.Storage;

/// <summary>An enrolled client with its request key, read for one request's verification; disposing wipes the key.</summary>
public sealed class ClientCredentials : IDisposable
{
    /// <summary>Holds <paramref name="key"/>, which is disposed with this.</summary>
    public ClientCredentials(EnrolledClient client, RequestSigningKey key)
    {
        Client = client;
        Key = key;
    }

    /// <summary>The client.</summary>
    public EnrolledClient Client { get; }

    /// <summary>Its request signing key.</summary>
    public RequestSigningKey Key { get; }

    /// <inheritdoc/>
    public void Dispose() => Key.Dispose();
}
