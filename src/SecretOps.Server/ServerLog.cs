using System.Net;
using Microsoft.Extensions.Logging;

namespace SecretOps.Server;

/// <summary>
/// Every message the server logs, in one place so the rule can be checked at a glance: method, path, status, time,
/// client id, addresses, storage kind and error messages only; never a value, key, signature, nonce, header, query
/// string or connection string.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Listening on {Url} (storage {Storage}, replay window {ReplayWindowSeconds} s)")]
    public static partial void Listening(ILogger logger, string url, string storage, int replayWindowSeconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Method} {Path} {Status} {ElapsedMs} ms client {ClientId} peer {Peer} resolved {ResolvedAddress}")]
    public static partial void Request(ILogger logger, string method, Microsoft.AspNetCore.Http.PathString path, int status, double elapsedMs, string? clientId, IPAddress? peer, IPAddress? resolvedAddress);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Pruned {Count} audit rows older than {RetentionDays} days")]
    public static partial void AuditPruned(ILogger logger, int count, int retentionDays);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Removed the replica folder {Folder} of a server instance that stopped without cleaning up")]
    public static partial void AbandonedReplicaRemoved(ILogger logger, string folder);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Pruning failed, to be tried again in {IntervalSeconds} s: {Error}")]
    public static partial void PruningFailed(ILogger logger, double intervalSeconds, string error);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Storage ({Storage}) failed in {Operation}: {Error}")]
    public static partial void StorageFailed(ILogger logger, string storage, string operation, string error);
}
