using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SecretOps.Core.Remote;

namespace SecretOps.Bench;

/// <summary>
/// The <c>server</c> benchmark's floor: bare Kestrel over HTTPS answering <c>GET</c> and <c>POST /v1/whoami</c> with
/// the bytes the real server answered, and nothing else (no logging, routing, authentication or storage). It runs as
/// this harness re-invoked with a hidden subcommand, so that, like the server, it is a process of its own with its own
/// thread pool and GC, and the benchmark's clients are the same code for both.
/// </summary>
internal static class FloorEndpoint
{
    /// <summary>The hidden subcommand: <c>server-floor CERT KEY GET_BODY_FILE POST_BODY_FILE</c>.</summary>
    public const string Command = "server-floor";

    /// <summary>The line it prints once listening, followed by the port.</summary>
    public const string ListeningPrefix = "listening ";

    /// <summary>The path it answers, the server's test endpoint.</summary>
    public const string Path = "/v1/whoami";

    /// <summary>Listens on 127.0.0.1 on a free port, prints <see cref="ListeningPrefix"/> and the port, and stops when standard input closes.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine($"Usage: {Command} CERT KEY GET_BODY_FILE POST_BODY_FILE");
            return ExitCodes.Usage;
        }

        using var certificate = X509Certificate2.CreateFromPemFile(args[0], args[1]);
        var getBody = File.ReadAllBytes(args[2]);
        var postBody = File.ReadAllBytes(args[3]);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // As the server does, so the response headers are the same.
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
        });

        using var app = builder.Build();
        app.Run(async context =>
        {
            // The store API's path too, for the hosted benchmark's floor (the same round trips as a warm get or set).
            if (context.Request.Path != Path && context.Request.Path != StorePaths.Changes)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            byte[] body;
            if (HttpMethods.IsGet(context.Request.Method))
            {
                body = getBody;
            }
            else if (HttpMethods.IsPost(context.Request.Method))
            {
                // The server reads the whole body (to hash it); so does the floor.
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                body = postBody;
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return;
            }

            // What Results.Json sends: this content type, and no Content-Length (so the same chunked framing).
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        });

        app.StartAsync().GetAwaiter().GetResult();
        var port = new Uri(app.Urls.Single()).Port;
        Console.Out.WriteLine(ListeningPrefix + port.ToString(CultureInfo.InvariantCulture));
        Console.Out.Flush();

        // The benchmark closes standard input (or dies) when it is done.
        Console.In.ReadToEnd();
        app.StopAsync().GetAwaiter().GetResult();
        return ExitCodes.Success;
    }
}
