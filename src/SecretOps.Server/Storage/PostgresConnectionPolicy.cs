using System.Data.Common;
using System.Net;
using Npgsql;

namespace SecretOps.Server.Storage;

/// <summary>
/// How the server connects to PostgreSQL: Npgsql's default SSL mode (Prefer) silently accepts a plain connection or
/// any certificate, so a remote server gets <c>SSL Mode=VerifyFull</c> (TLS, a certificate chain the machine trusts,
/// and the host name checked) unless the connection string names an SSL mode itself, which is then kept as written.
/// Loopback hosts (localhost, 127.0.0.0/8, ::1) and Unix sockets (a host starting with '/' or '@') are left as
/// they are: the traffic never leaves the machine.
/// </summary>
public static class PostgresConnectionPolicy
{
    /// <summary>The connection string to use for <paramref name="connectionString"/>.</summary>
    public static string Apply(string connectionString)
    {
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (written.Keys.Cast<string>().Any(IsSslModeKeyword))
        {
            return connectionString;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Host is { Length: > 0 } hosts && hosts.Split(',').All(IsLocalHost))
        {
            return connectionString;
        }

        builder.SslMode = SslMode.VerifyFull;
        return builder.ConnectionString;
    }

    /// <summary>"SSL Mode", "SslMode" and "sslmode", as Npgsql reads them: case and spaces ignored.</summary>
    private static bool IsSslModeKeyword(string key) =>
        string.Equals(key.Replace(" ", "", StringComparison.Ordinal), "sslmode", StringComparison.OrdinalIgnoreCase);

    private static bool IsLocalHost(string hostAndPort)
    {
        var host = hostAndPort.Trim();
        if (host.StartsWith('/') || host.StartsWith('@'))
        {
            return true;
        }

        // "host:port" and "[v6]:port" are allowed in a host list; the port says nothing about where the host is.
        if (host.StartsWith('['))
        {
            host = host[1..host.IndexOf(']', StringComparison.Ordinal)];
        }
        else if (host.Count(c => c == ':') == 1)
        {
            host = host[..host.IndexOf(':', StringComparison.Ordinal)];
        }

        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
