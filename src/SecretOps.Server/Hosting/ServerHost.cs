using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecretOps.Core.Remote;
using SecretOps.Server.Authentication;
using SecretOps.Server.Configuration;
using SecretOps.Server.Storage;

namespace SecretOps.Server.Hosting;

/// <summary>
/// Builds and runs the server from checked <see cref="ServerSettings"/>: Kestrel on one address, HTTPS unless
/// plain HTTP was allowed, JSON console logs, request logging, the client address resolved by Core's
/// <see cref="ClientAddressResolver"/> (X-Forwarded-For only from trusted proxies; ASP.NET Core's ForwardedHeaders
/// middleware is not used), the health endpoint, the signed-request pipeline in front of every other endpoint, and the
/// database's background pruning (<see cref="StoragePruning"/>, every replay window).
/// SIGTERM or Ctrl-C stops it gracefully: requests in flight finish (up to <see cref="ShutdownTimeout"/>), then the
/// storage is closed.
/// </summary>
public static class ServerHost
{
    /// <summary>How long a stop waits for requests in flight.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs until stopped; throws when the server cannot start (certificate, storage, address in use).</summary>
    public static async Task RunAsync(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var certificate = settings.Tls is { } tls ? ServerCertificate.Load(tls) : null;
        // Production whatever ASPNETCORE_ENVIRONMENT says: Development would show clients the developer exception page.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        // Only ServerSettings configure the server: no appsettings.json, and no ASPNETCORE_/DOTNET_ variable such as
        // ASPNETCORE_URLS, Kestrel__Endpoints__… or ASPNETCORE_FORWARDEDHEADERS_ENABLED (which trusts every proxy).
        builder.Configuration.Sources.Clear();
        ConfigureLogging(builder.Logging, settings.LogLevel);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton(services => ServerStorage.Open(settings.Storage, settings.StorageConnection, services.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(services => services.GetRequiredService<ServerStorage>().Health);
        // Each instance rebuilds its replica of the hosted store from the log at start, in a folder of its own.
        builder.Services.AddSingleton(services => ReplicaFolder.Create(services.GetRequiredService<ILogger<ReplicaFolder>>()));
        builder.Services.AddSingleton(services => HostedStore.Open(
            services.GetRequiredService<ServerStorage>().StoreLog, services.GetRequiredService<ReplicaFolder>().File("replica"),
            durableReplica: false));
        builder.Services.AddSingleton(settings.AddressResolver);
        builder.Services.AddSingleton(new ReplayWindow(TimeSpan.FromSeconds(settings.ReplayWindowSeconds)));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => new FailedAuthenticationLimiter(
            settings.FailedAuthLimit, TimeSpan.FromSeconds(settings.FailedAuthWindowSeconds), services.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService(services => new StoragePruning(services.GetRequiredService<ServerStorage>(),
            TimeSpan.FromSeconds(settings.ReplayWindowSeconds), settings.AuditRetentionDays, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<StoragePruning>>()));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = SignedRequestAuthentication.MaxSnapshotBytes;
            kestrel.Listen(settings.ListenAddress, settings.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = certificate.Certificate;
                        https.ServerCertificateChain = certificate.Chain;
                    });
                }
            });
        });

        await using var app = builder.Build();

        // Open the storage now: a server that cannot reach it refuses to start rather than answer 503 for ever.
        app.Services.GetRequiredService<ServerStorage>();
        app.UseMiddleware<RequestLogging>();
        app.UseMiddleware<ClientAddressResolution>();
        app.UseRouting();
        app.UseMiddleware<SignedRequestAuthentication>();
        HealthEndpoint.Map(app);
        WhoAmIEndpoint.Map(app);
        StoreEndpoints.Map(app);

        await app.StartAsync().ConfigureAwait(false);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SecretOps.Server");
        // After the start, the bound addresses: with port 0, the port the system picked.
        var storage = settings.Storage.ToString().ToLowerInvariant();
        foreach (var address in app.Urls)
        {
            ServerLog.Listening(logger, address, storage, settings.ReplayWindowSeconds);
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        ServerLog.Stopped(logger);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(level);

        // ASP.NET Core's own request lines carry the query string; RequestLogging writes the request line instead.
        logging.AddFilter("Microsoft.AspNetCore", level > LogLevel.Warning ? level : LogLevel.Warning);
        logging.AddJsonConsole(options =>
        {
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
    }
}
