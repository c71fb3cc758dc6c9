namespace SecretOps.Core.Remote;

/// <summary>
/// Signs every request a client sends to a SecretOps server (docs/SERVER-PROTOCOL.md §1–§3): it buffers the content,
/// signs the method, <see cref="Uri.PathAndQuery"/> of the request URI (the target .NET writes on the request line, after
/// <see cref="Uri"/>'s own escaping; <c>%2F</c> and <c>%3a</c> stay as written) and the body's bytes under the client's
/// key with a fresh timestamp and nonce, and adds the five headers. The buffered bytes are the ones sent, so the body
/// hash always matches. Each attempt is signed anew, so a retry is never a replay.
/// </summary>
public sealed class SignedRequestHandler : DelegatingHandler
{
    private readonly Guid clientId;
    private readonly RequestSigningKey key;
    private readonly TimeProvider time;

    /// <summary>
    /// Signs as <paramref name="clientId"/> with <paramref name="key"/>, which stays the caller's to dispose (after the
    /// handler); <paramref name="time"/> gives the timestamp (the system clock when null).
    /// </summary>
    public SignedRequestHandler(Guid clientId, RequestSigningKey key, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        this.clientId = clientId;
        this.key = key;
        this.time = time ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new InvalidOperationException("A signed request needs a request URI.");
        if (!uri.IsAbsoluteUri)
        {
            throw new InvalidOperationException("A signed request needs an absolute request URI (set the client's BaseAddress).");
        }

        byte[] body = [];
        if (request.Content is { } content)
        {
            body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var buffered = new ByteArrayContent(body);
            foreach (var header in content.Headers)
            {
                buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            // The length is now the buffer's, whatever the original content declared.
            buffered.Headers.ContentLength = body.Length;
            request.Content = buffered;
        }

        var signature = RequestSignature.Sign(key, clientId, request.Method.Method, uri.PathAndQuery, body, time.GetUtcNow());
        foreach (var (name, value) in signature.ToHeaders())
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
