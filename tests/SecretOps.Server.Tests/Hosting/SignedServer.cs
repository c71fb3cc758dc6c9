using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using SecretOps.Core.Remote;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Tests.Hosting;

/// <summary>
/// A real server process over HTTPS on a test's database, with what the signed-request tests need around it: the
/// operator's commands (run as processes, as an operator would), clients that sign through Core's
/// <see cref="SignedRequestHandler"/> or send a request signed once by hand, and the audit table read back.
/// </summary>
internal sealed class SignedServer : IDisposable
{
    private readonly TestTlsFiles tls;

    private SignedServer(TestTlsFiles tls, TestDatabase database, ServerProcess process, Uri address)
    {
        this.tls = tls;
        Database = database;
        Process = process;
        Address = address;
    }

    public TestDatabase Database { get; }

    public ServerProcess Process { get; }

    /// <summary>https://127.0.0.1:port, whatever address the server listens on.</summary>
    public Uri Address { get; }

    /// <summary>Starts the server with HTTPS on a free port and <paramref name="flags"/> (the listen address among them, else 127.0.0.1).</summary>
    public static async Task<SignedServer> StartAsync(TestTlsFiles tls, TestDatabase database, params string[] flags)
    {
        string[] listen = flags.Contains("--listen") ? [] : ["--listen", "127.0.0.1"];
        var process = ServerProcess.Start(
            [.. listen, "--port", "0", "--cert", tls.CertificatePath, "--key", tls.KeyPath, .. database.Flags, .. flags], database.Environment);
        try
        {
            var listening = await process.WaitUntilListeningAsync();
            return new SignedServer(tls, database, process, new Uri($"https://127.0.0.1:{listening.Port}/"));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Runs an operator's command on <paramref name="database"/>; fails the test unless it exits 0.</summary>
    public static async Task<string> CommandAsync(TestDatabase database, params string[] arguments)
    {
        using var command = ServerProcess.Start([.. arguments, .. database.Flags], database.Environment);
        var code = await command.WaitForExitAsync();
        Assert.True(code == 0, $"'{string.Join(' ', arguments)}' exited {code}\nstdout:\n{command.Output}\nstderr:\n{command.Errors}");
        return command.Output;
    }

    /// <summary>Enrols a new client with <paramref name="allow"/> as its allow-list.</summary>
    public static async Task<TestClient> EnrolAsync(TestDatabase database, params string[] allow)
    {
        var id = Guid.NewGuid();
        var token = (await CommandAsync(database, ["enrol", "--client", id.ToString(), .. allow.SelectMany(range => new[] { "--allow", range })])).Trim();
        var (clientId, key) = EnrolmentToken.Parse(token);
        Assert.Equal(id, clientId);
        return new TestClient(id, key, token);
    }

    /// <summary>A client that signs every request as <paramref name="client"/>, connecting from <paramref name="localAddress"/> when given.</summary>
    public HttpClient SigningClient(TestClient client, string? localAddress = null, string? remoteAddress = null) =>
        new(new SignedRequestHandler(client.Id, client.Key) { InnerHandler = Handler(localAddress, remoteAddress) })
        {
            BaseAddress = Address,
            Timeout = ServerProcess.Patience,
        };

    /// <summary>A client that sends requests as they are, for requests signed by hand.</summary>
    public HttpClient PlainClient() => new(Handler(null, null)) { BaseAddress = Address, Timeout = ServerProcess.Patience };

    /// <summary>A request to <paramref name="target"/> carrying <paramref name="signature"/>'s headers, with <paramref name="body"/> (none when null).</summary>
    public HttpRequestMessage Signed(HttpMethod method, string target, byte[]? body, RequestSignature signature)
    {
        var request = new HttpRequestMessage(method, new Uri(Address, target));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, value) in signature.ToHeaders())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>The newest row of the audit table.</summary>
    public RequestAuditEntry LastAudit()
    {
        using var storage = ServerStorage.Open(Database.Location.Kind, Database.Location.Connection, NullLoggerFactory.Instance);
        return storage.Audit.Recent(1).Single();
    }

    public void Dispose() => Process.Dispose();

    /// <summary>
    /// The pinned HTTPS handler; with <paramref name="localAddress"/> the socket is bound to it first, and with
    /// <paramref name="remoteAddress"/> it connects there instead of the URI's host (TLS still checks 127.0.0.1).
    /// </summary>
    private SocketsHttpHandler Handler(string? localAddress, string? remoteAddress)
    {
        if (localAddress is null && remoteAddress is null)
        {
            return tls.PinnedHandler();
        }

        return tls.PinnedHandler(async (context, cancel) =>
        {
            var remote = remoteAddress is null ? System.Net.IPAddress.Parse(context.DnsEndPoint.Host) : System.Net.IPAddress.Parse(remoteAddress);
            var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // An IPv6 socket reaches an IPv4-mapped address only in dual mode.
                if (remote.IsIPv4MappedToIPv6)
                {
                    socket.DualMode = true;
                }

                if (localAddress is not null)
                {
                    socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(localAddress), 0));
                }

                await socket.ConnectAsync(new System.Net.IPEndPoint(remote, context.DnsEndPoint.Port), cancel);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });
    }
}
