using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using SecretOps.Core.Storage;

namespace SecretOps.Core.Remote;

/// <summary>
/// A store a server hosts, as a client uses it (docs/SERVER-PROTOCOL.md §11): every command runs on the client's local
/// replica, brought up to the server's revision first, and a change is sent as its write batch with the revision it was
/// decided at. When the store moved on meanwhile the server refuses it (409) and the command runs again on the newer
/// state, so a change is never applied to a state it was not decided on. The replica is a store file like any other:
/// the client verifies what it reads from it exactly as it verifies a file store, so the server is trusted with nothing.
/// </summary>
internal sealed class RemoteStoreBackend : IStoreBackend
{
    /// <summary>How often a change is decided again when other writers keep moving the store on, before giving up.</summary>
    private const int MaxWriteAttempts = 40;

    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How recent a sync spares a change the sync before its first attempt (a read's audit right after the read): the
    /// server refuses a batch decided on a stale revision anyway, so this costs at most a retry, never a wrong write.
    /// </summary>
    private static readonly TimeSpan FreshSync = TimeSpan.FromSeconds(2);

    private long lastSync;

    private readonly HttpClient http;
    private readonly StoreReplica replica;
    private readonly string lockPath;

    private RemoteStoreBackend(string location, HttpClient http, StoreReplica replica, string lockPath)
    {
        Location = location;
        this.http = http;
        this.replica = replica;
        this.lockPath = lockPath;
    }

    public string Location { get; }

    public bool IsReadOnly => false;

    public bool IsShared => false;

    /// <summary>Whether <paramref name="store"/> names a server (https://, or http:// for a loopback test server) rather than a file.</summary>
    public static bool IsServerAddress(string store) =>
        store.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || store.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Connects to the server at <paramref name="address"/>, signing as the client of <paramref name="enrolmentToken"/>,
    /// trusting <paramref name="caFile"/>'s certificates (when given) as well as the system's. The replica is kept under
    /// <paramref name="stateDirectory"/>. Nothing is sent until the first command.
    /// </summary>
    public static RemoteStoreBackend Open(string address, string enrolmentToken, string? caFile, string stateDirectory)
    {
        var (clientId, key) = EnrolmentToken.Parse(enrolmentToken);
        return Open(address, clientId, key, caFile, stateDirectory);
    }

    /// <summary>
    /// Connects to the server at <paramref name="address"/>, signing as <paramref name="clientId"/> with
    /// <paramref name="key"/> (which the backend then owns), as <see cref="Open(string, string, string?, string)"/> does.
    /// </summary>
    public static RemoteStoreBackend Open(string address, Guid clientId, RequestSigningKey key, string? caFile, string stateDirectory)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || !IsServerAddress(address) || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new InvalidParameterException("store", $"'{Secrets.Names.Printable(address)}' is not a server address; give https://host:port.");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            throw new InvalidParameterException("store", "Plain http:// is refused except to a loopback test server; use https://.");
        }

        var location = uri.GetLeftPart(UriPartial.Authority) + "/";
        var transport = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) };
        if (caFile is not null)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            transport.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(authorities, certificate, errors);
        }

        var http = new HttpClient(new SignedRequestHandler(clientId, key) { InnerHandler = transport }) { BaseAddress = new Uri(location), Timeout = TimeSpan.FromSeconds(100) };
        var directory = Path.Combine(stateDirectory, "replicas", Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(location)))[..32].ToLowerInvariant());
        // Read from disk only holding the lock (Sync), never here: another command on this machine may be changing it.
        var replica = StoreReplica.Open(directory);
        return new RemoteStoreBackend(location, http, replica, Path.Combine(directory, "lock"));
    }

    public T Read<T>(Func<IStoreReader, T> body)
    {
        using (Lock())
        {
            Sync();
        }

        return replica.Backend!.Read(body);
    }

    public T? TryReadOnce<T>(Func<IStoreReader, T?> body)
        where T : struct
    {
        using (Lock())
        {
            Sync();
        }

        return replica.Backend!.TryReadOnce(body);
    }

    public T Write<T>(Func<IStoreReader, WriteBatch, T> body, CommitDurability durability = CommitDurability.Synced)
    {
        // Changes from this machine wait for each other here rather than meet at the server as conflicts.
        using var held = Lock();
        for (var attempt = 1; ; attempt++)
        {
            var fresh = attempt == 1 && Stopwatch.GetElapsedTime(Volatile.Read(ref lastSync)) < FreshSync;
            if (fresh)
            {
                // What other commands on this machine applied since is picked up from disk, without asking the server.
                replica.Refresh();
            }

            if (!fresh || replica.Backend is null)
            {
                Sync();
            }

            var decidedAt = replica.Revision;
            var batch = new WriteBatch();
            var result = replica.Backend!.Read(reader =>
            {
                batch = new WriteBatch();
                return body(reader, batch);
            });
            if (batch.Changes.Count == 0)
            {
                return result;
            }

            using var response = Send(HttpMethod.Post, $"{StorePaths.Changes}?base={decidedAt.ToString(CultureInfo.InvariantCulture)}", WriteBatchCodec.Encode(batch));
            if (response.StatusCode != HttpStatusCode.Conflict)
            {
                Ensure(response);
                if (WrittenRevision(response) == decidedAt + 1)
                {
                    // The server applied exactly this batch at the next revision: so does the replica, without asking.
                    replica.Apply(decidedAt + 1, batch);
                }
                else
                {
                    Sync();
                }

                return result;
            }

            if (attempt == MaxWriteAttempts)
            {
                throw new ConflictException($"The store at {Location} kept changing under this command ({MaxWriteAttempts} attempts); nothing was changed. Try again.", Location);
            }

            // Random, growing pauses (up to 320 ms) spread writers that keep meeting at the same revision.
            Thread.Sleep(Random.Shared.Next(1, 10 << Math.Min(attempt, 5)));
        }
    }

    public void BackupTo(string file)
    {
        using (Lock())
        {
            Sync();
        }

        replica.Backend!.BackupTo(file);
    }

    public void ReleaseConnections() => replica.Backend?.ReleaseConnections();

    /// <summary>Starts the hosted store from the store file at <paramref name="storeFile"/> (the server refuses unless it hosts none).</summary>
    public void Push(string storeFile)
    {
        var bytes = File.ReadAllBytes(storeFile);
        using var response = Send(HttpMethod.Put, StorePaths.Snapshot, bytes);
        Ensure(response);
        using (Lock())
        {
            Sync();
        }
    }

    /// <summary>Brings the replica to the server's head (call holding the lock).</summary>
    private void Sync()
    {
        replica.Refresh();
        for (var restarted = false; ;)
        {
            using var response = Send(HttpMethod.Get, $"{StorePaths.Changes}?after={replica.Revision.ToString(CultureInfo.InvariantCulture)}", null);
            if (response.StatusCode == HttpStatusCode.Conflict && !restarted && replica.Revision > 0)
            {
                // The replica is ahead of the server: it holds another history (a store hosted anew). Start again from
                // the server's; the control log's local head still catches a server that rolled the same store back.
                replica.Clear();
                restarted = true;
                continue;
            }

            Ensure(response);
            StoreChanges changes;
            try
            {
                changes = StoreChanges.Decode(response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult());
            }
            catch (FormatException e)
            {
                throw new StoreUnavailableException($"The server at {Location} answered with damaged store changes ({e.Message}).", Location, corrupt: true, e);
            }

            if (changes.Head == 0)
            {
                throw new NotFoundException($"The server at {Location} hosts no store yet.", Location) { Hint = SecretOpsHint.PushStore };
            }

            replica.Follow(changes.Entries, Decode);

            if (replica.Revision >= changes.Head)
            {
                Volatile.Write(ref lastSync, Stopwatch.GetTimestamp());
                return;
            }

            if (changes.Entries.Count == 0)
            {
                throw new StoreUnavailableException($"The server at {Location} says its store is at revision {changes.Head} but sent nothing after {replica.Revision}.", Location);
            }
        }
    }

    private WriteBatch Decode(StoreLogEntry entry)
    {
        try
        {
            return WriteBatchCodec.Decode(entry.Content);
        }
        catch (FormatException e)
        {
            throw new StoreUnavailableException($"Revision {entry.Revision} from the server at {Location} is not a write batch ({e.Message}).", Location, corrupt: true, e);
        }
    }

    private HttpResponseMessage Send(HttpMethod method, string target, byte[]? body)
    {
        using var request = new HttpRequestMessage(method, target);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        }

        try
        {
            return http.SendAsync(request, HttpCompletionOption.ResponseContentRead).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            throw new StoreUnavailableException($"The server at {Location} cannot be reached: {Describe(e)}", Location, innerException: e);
        }
    }

    /// <summary>Maps a refusal to the error a file store would give, with the server's message (which never holds a secret).</summary>
    private void Ensure(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var message = ServerMessage(response) ?? $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}";
        var text = $"The server at {Location} refused the request: {message}";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new AuthenticationFailedException(text, Location),
            HttpStatusCode.Forbidden => new AccessDeniedException(text, Location),
            HttpStatusCode.NotFound => new NotFoundException(text, Location),
            HttpStatusCode.Conflict => new ConflictException(text, Location),
            HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge => new InvalidParameterException("request", text),
            _ => new StoreUnavailableException(text, Location),
        };
    }

    /// <summary>The revision a write became, from the answer <c>{"revision": N}</c>; null when it does not say.</summary>
    private static long? WrittenRevision(HttpResponseMessage response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Content.ReadAsStream());
            return document.RootElement.TryGetProperty("revision", out var revision) && revision.TryGetInt64(out var value) ? value : null;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? ServerMessage(HttpResponseMessage response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Content.ReadAsStream());
            return document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Describe(Exception e) => e switch
    {
        TaskCanceledException => "it did not answer in time.",
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException tls } => $"its certificate is not trusted ({tls.Message.TrimEnd('.')}); set SECRETOPS_SERVER_CA to the CA file that issued it.",
        _ => e.Message,
    };

    private static bool TrustedBy(X509Certificate2Collection authorities, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            // A name mismatch or no certificate is never excused by a custom authority.
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = new X509Certificate2(presented);
        return chain.Build(certificate);
    }

    /// <summary>Holds the replica's lock file: one process at a time moves this machine's replica on.</summary>
    private FileStream Lock()
    {
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(Random.Shared.Next(2, 20));
            }
            catch (IOException e)
            {
                throw new StoreUnavailableException($"The local copy of {Location} stayed locked by another process for {LockWait.TotalSeconds:0} s.", Location, innerException: e);
            }
        }
    }
}

/// <summary>The store API's paths (docs/SERVER-PROTOCOL.md §11).</summary>
public static class StorePaths
{
    /// <summary><c>GET ?after=R</c>: the changes after revision R. <c>POST ?base=R</c>: a write batch decided at revision R.</summary>
    public const string Changes = "/v1/store/changes";

    /// <summary><c>PUT</c>: starts the hosted store from a whole store file.</summary>
    public const string Snapshot = "/v1/store/snapshot";
}
