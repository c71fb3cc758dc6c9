using System.CommandLine;
using SecretOps.Core;
using SecretOps.Core.Secrets;

namespace SecretOps.Cli;

/// <summary><c>secretops grant|revoke|permissions</c>: who may do what on a namespace or one secret.</summary>
internal static class PermissionCommands
{
    public static IEnumerable<Command> Create() => [Grant(), Revoke(), List()];

    private static Command Grant()
    {
        var client = ClientArgument("The client to grant to, by name or id.");
        var secret = SecretOption();
        var permissions = PermissionsOption("What to grant: read, write, delete, permit (comma separated), or all. Permit lets the client grant and revoke, "
                                            + "within the scope, the flags it holds itself.");
        permissions.Required = true;
        var command = new Command("grant",
            "Grant a client permissions on a whole namespace (--namespace NS) or on one secret (--secret NAME, in --namespace or the default namespace). "
            + "Needs Permit and every flag granted. Read or write hands the client the scope's keys.")
        {
            client, secret, permissions,
        };
        Invocation.SetAction(command, run =>
        {
            var flags = ParseFlags(run.Get(permissions));
            var (ns, name) = Scope(run, secret);
            using var session = run.Connect();
            var granted = session.Grant(run.Get(client)!, ns, name, flags);
            run.Output.WriteMessage(
                $"Granted {Flags(flags)} on {ScopeText(granted.Namespace, granted.Secret)} to '{granted.Client}' (it now holds {Flags(granted.Permissions)} there).",
                Row(granted));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke()
    {
        var client = ClientArgument("The client to revoke from, by name or id.");
        var secret = SecretOption();
        var permissions = PermissionsOption("What to revoke: read, write, delete, permit (comma separated), or all. Default: all.");
        var noRotate = new Option<bool>("--no-rotate")
        {
            Description = "Do not rotate keys when the client loses read and write. Faster, but keys the client may have kept still open "
                          + "what is written later, until 'secretops ns rotate'.",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Revoke even from the last client able to decrypt the scope; nobody will then be able to read, write or grant it.",
        };
        var yes = StoreCommands.YesOption("Revoke without asking (required when standard input is not a terminal).");
        var command = new Command("revoke",
            "Revoke a client's permissions on a namespace (--namespace NS) or one secret (--secret NAME). On a namespace it also takes them from the "
            + "client's grants on secrets there, those it created included (and read and write on all of them once it has neither on the namespace). "
            + "When it loses both read and write, its keys go and the scope gets new keys for the remaining holders, never for it (old versions stay "
            + "readable to them). A key stanza for a client with no grant is refused as tampered (exit 7); revoking that client removes it.")
        {
            client, secret, permissions, noRotate, force, yes,
        };
        Invocation.SetAction(command, run =>
        {
            var flags = run.Get(permissions) is { } text ? ParseFlags(text) : Permissions.All;
            var (ns, name) = Scope(run, secret);
            Invocation.RequireYesOrTerminal(run.Get(yes), "revoke");
            var grantee = run.Get(client)!;
            using var session = run.Connect();
            Invocation.Confirm(run.Get(yes), $"Revoke {Flags(flags)} on {ScopeText(ns, name)} from '{Names.Printable(grantee)}'?");
            RotationResult? rotation;
            using (var progress = new ProgressBar())
            {
                rotation = session.Revoke(grantee, ns, name, flags, rotate: !run.Get(noRotate), progress, force: run.Get(force));
            }

            var message = $"Revoked {Flags(flags)} on {ScopeText(ns, name)} from '{grantee}'"
                          + (rotation is null
                              ? run.Get(noRotate) ? "; keys were not rotated (--no-rotate)." : "; no keys needed rotating."
                              : $"; {rotation.Scope} now has key generation {rotation.NewGeneration} ({rotation.SecretKeysRotated} secret key(s) rotated, {rotation.Recipients} holder(s)).");
            run.Output.WriteMessage(message, new
            {
                client = grantee,
                @namespace = ns,
                secret = name,
                revoked = Session.FlagNames(flags),
                rotation,
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var client = new Option<string?>("--client")
        {
            Description = "What this client can reach (name or id). Here --client filters; to connect as another client, put --client before the command "
                          + "(secretops --client admin permissions --client bob) or set SECRETOPS_CLIENT.",
            HelpName = "C",
        };
        var secret = SecretOption();
        var command = new Command("permissions",
            "Who holds what. --secret NAME: every client that can reach the secret, directly (scope 'secret') or through its namespace (scope 'namespace'). "
            + "--namespace NS: grants on the namespace and its secrets. --client C: everything C holds. Members see their own grants and scopes they hold permit on.")
        {
            client, secret,
        };
        Invocation.SetAction(command, run =>
        {
            var name = run.Get(secret);
            var ns = name is null ? run.Get(GlobalOptions.Namespace) : Scope(run, secret).Namespace;
            using var session = run.Connect();
            run.Output.WriteList(session.ListPermissions(run.Get(client), ns, name).Select(Row),
                new Column<PermissionRow>("CLIENT", p => p.Client),
                new Column<PermissionRow>("SCOPE", p => Output.Name(p.Scope)),
                new Column<PermissionRow>("NAMESPACE", p => p.Namespace),
                new Column<PermissionRow>("SECRET", p => p.Secret),
                new Column<PermissionRow>("PERMISSIONS", p => string.Join(",", p.Permissions)),
                new Column<PermissionRow>("GRANTED BY", p => p.GrantedBy),
                new Column<PermissionRow>("GRANTED", p => Output.Time(p.GrantedAt)));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The scope of a grant or revocation: one secret (--secret, in --namespace or the resolved namespace), or a
    /// whole namespace, which must be named with --namespace itself: SECRETOPS_NAMESPACE or a profile never widens
    /// a command to a whole namespace.
    /// </summary>
    private static (string Namespace, string? Secret) Scope(Invocation run, Option<string?> secret)
    {
        var ns = run.Get(GlobalOptions.Namespace);
        if (run.Get(secret) is { } name)
        {
            return (ns ?? run.Namespace, name);
        }

        return ns is null
            ? throw new InvalidParameterException("namespace",
                "Name the scope: --namespace NS for a whole namespace, or --secret NAME for one secret (in --namespace NS, SECRETOPS_NAMESPACE or 'default').")
            : (ns, null);
    }

    private static Permissions ParseFlags(string? text)
    {
        var names = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0) || !Session.ParsePermissions(names, out var flags))
        {
            throw new InvalidParameterException("permissions",
                $"--permissions '{Names.Printable(text)}' is not a comma-separated list of read, write, delete and permit (or all).");
        }

        return flags;
    }

    private static string Flags(Permissions permissions) => string.Join(",", Session.FlagNames(permissions));

    private static string ScopeText(string ns, string? secret) => secret is null ? $"namespace '{ns}'" : $"secret '{secret}' in namespace '{ns}'";

    private static PermissionRow Row(PermissionInfo p) =>
        new(p.Client, p.ClientId, p.Scope, p.Namespace, p.Secret, Session.FlagNames(p.Permissions), p.GrantedBy, p.GrantedAt);

    private static Argument<string> ClientArgument(string description) => new("CLIENT") { Description = description };

    private static Option<string?> SecretOption() => new("--secret")
    {
        Description = "One secret instead of a whole namespace; its namespace is --namespace, SECRETOPS_NAMESPACE, the profile's or 'default'.",
        HelpName = "NAME",
    };

    private static Option<string?> PermissionsOption(string description) => new("--permissions")
    {
        Description = description,
        HelpName = "read,write,delete,permit",
    };

    /// <summary>A permission as printed: flags as a list of names.</summary>
    internal sealed record PermissionRow(
        string Client,
        Guid ClientId,
        ScopeType Scope,
        string Namespace,
        string? Secret,
        IReadOnlyList<string> Permissions,
        string GrantedBy,
        DateTimeOffset GrantedAt);
}
