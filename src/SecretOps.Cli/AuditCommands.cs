using System.CommandLine;
using System.Globalization;
using SecretOps.Core.Audit;
using SecretOps.Core.Secrets;

namespace SecretOps.Cli;

/// <summary><c>secretops audit list|verify</c>.</summary>
internal static class AuditCommands
{
    public static Command Create() => new("audit", "Read and verify the store's hash-chained audit log (it never holds a value).")
    {
        List(),
        Verify(),
    };

    private static Command List()
    {
        var since = new Option<string?>("--since")
        {
            Description = "Only entries at or after this time: ISO 8601 (2026-01-31, 2026-01-31T12:00:00Z; UTC unless an offset is given) or a duration ago (30m, 12h, 7d).",
            HelpName = "T",
        };
        var client = new Option<string?>("--client")
        {
            Description = "Only entries of this client (name or id). Here --client filters; to connect as another client, "
                          + "put --client before the command (secretops --client admin audit list --client bob) or set SECRETOPS_CLIENT.",
            HelpName = "C",
        };
        var action = new Option<string?>("--action")
        {
            Description = "Only entries of this action, e.g. secret.get, secret.set, client.connect.",
            HelpName = "A",
        };
        var last = new Option<int?>("--last") { Description = "Only the last N matching entries.", HelpName = "N" };
        var command = new Command("list", "List audit entries, oldest first (System and Admin clients).")
        {
            since, client, action, last,
        };
        Invocation.SetAction(command, run =>
        {
            var query = new AuditQuery(ParseSince(run.Get(since)), run.Get(client), run.Get(action), run.Get(last));
            using var session = run.Connect();
            run.Output.WriteList(session.ListAudit(query),
                new Column<AuditEntry>("SEQ", e => e.Sequence.ToString(CultureInfo.InvariantCulture)),
                new Column<AuditEntry>("TIME", e => Output.Time(e.Time)),
                new Column<AuditEntry>("CLIENT", e => e.ClientName),
                new Column<AuditEntry>("ACTION", e => e.Action),
                new Column<AuditEntry>("NAMESPACE", e => e.Namespace),
                new Column<AuditEntry>("TARGET", e => e.Target),
                new Column<AuditEntry>("VERSION", e => e.Version?.ToString(CultureInfo.InvariantCulture)),
                new Column<AuditEntry>("OUTCOME", e => e.ErrorId is null ? e.Outcome : $"{e.Outcome} ({e.ErrorId})"),
                new Column<AuditEntry>("SURFACE", e => e.Surface));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify()
    {
        var command = new Command("verify", "Verify the audit chain; report the first broken link with exit code 7. Needs no credential.");
        Invocation.SetAction(command, run =>
        {
            var result = run.OpenStore().VerifyAudit();
            run.Output.WriteObject(result);
            if (result.IsValid)
            {
                return ExitCodes.Ok;
            }

            Console.Error.WriteLine($"secretops: the audit log is broken: {result.Problem}");
            return ExitCodes.Tampered;
        });
        return command;
    }

    private static DateTimeOffset? ParseSince(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        try
        {
            return DateTimeOffset.UtcNow - TimeToLive.Parse(text);
        }
        catch (InvalidParameterException)
        {
            throw new InvalidParameterException("since",
                $"--since '{Names.Printable(text)}' is neither a time (ISO 8601, e.g. 2026-01-31T12:00:00Z) nor a duration ago (e.g. 30m, 12h, 7d).");
        }
    }
}
