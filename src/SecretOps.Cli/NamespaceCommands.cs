using System.CommandLine;
using System.Globalization;

namespace SecretOps.Cli;

/// <summary><c>secretops ns create|list|set|rm|rotate</c>.</summary>
internal static class NamespaceCommands
{
    public static Command Create() => new("ns", "Create, list, change, remove and re-key namespaces.")
    {
        CreateCommand(),
        List(),
        Set(),
        Remove(),
        Rotate(),
    };

    private static Command CreateCommand()
    {
        var name = NameArgument();
        var description = DescriptionOption();
        var maxVersions = MaxVersionsOption();
        var command = new Command("create", "Create a namespace (System and Admin clients); its creator gets every permission on it.")
        {
            name, description, maxVersions,
        };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            run.Output.WriteObject(session.CreateNamespace(run.Get(name)!, run.Get(description), run.Get(maxVersions)));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the namespaces the client can reach.");
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            run.Output.WriteList(session.ListNamespaces(),
                new Column<NamespaceInfo>("NAME", n => n.Name),
                new Column<NamespaceInfo>("SECRETS", n => n.SecretCount.ToString(CultureInfo.InvariantCulture)),
                new Column<NamespaceInfo>("MAX VERSIONS", n => n.MaxVersions?.ToString(CultureInfo.InvariantCulture) ?? "all"),
                new Column<NamespaceInfo>("KEY GEN", n => n.KeyGeneration.ToString(CultureInfo.InvariantCulture)),
                new Column<NamespaceInfo>("CREATED", n => Output.Time(n.Created)),
                new Column<NamespaceInfo>("BY", n => n.CreatedBy),
                new Column<NamespaceInfo>("DESCRIPTION", n => n.Description));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Set()
    {
        var name = NameArgument();
        var description = DescriptionOption();
        var maxVersions = MaxVersionsOption();
        var noRetention = new Option<bool>("--no-retention") { Description = "Keep every version from now on (removes --max-versions)." };
        var command = new Command("set", "Change a namespace's description or retention. Lowering retention removes the oldest versions now.")
        {
            name, description, maxVersions, noRetention,
        };
        Invocation.SetAction(command, run =>
        {
            if (run.Get(maxVersions) is not null && run.Get(noRetention))
            {
                throw new InvalidParameterException("max-versions", "Give either --max-versions or --no-retention, not both.");
            }

            using var session = run.Connect();
            run.Output.WriteObject(session.SetNamespace(run.Get(name)!, run.Get(description), run.Get(maxVersions), run.Get(noRetention)));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = NameArgument();
        var force = new Option<bool>("--force") { Description = "Remove the namespace even when it holds secrets (they are removed with it)." };
        var yes = StoreCommands.YesOption("Remove without asking (required when standard input is not a terminal).");
        var command = new Command("rm", "Remove a namespace. One that holds secrets needs --force. 'default' cannot be removed.")
        {
            name, force, yes,
        };
        Invocation.SetAction(command, run =>
        {
            Invocation.RequireYesOrTerminal(run.Get(yes), "ns rm");
            var ns = run.Get(name)!;
            using var session = run.Connect();
            Invocation.Confirm(run.Get(yes), run.Get(force)
                ? $"Remove namespace '{SecretOps.Core.Secrets.Names.Printable(ns)}' and every secret in it?"
                : $"Remove namespace '{SecretOps.Core.Secrets.Names.Printable(ns)}'?");
            session.RemoveNamespace(ns, run.Get(force));
            run.Output.WriteMessage($"Removed namespace '{ns}'.", new { name = ns, removed = true });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Rotate()
    {
        var name = NameArgument();
        var command = new Command("rotate",
            "Give a namespace a new key, and every secret in it a new key, wrapped for the clients that hold them now (needs permit on the namespace, "
            + "or the System client). No value is re-encrypted; old versions stay readable. Shows progress when standard error is a terminal.")
        {
            name,
        };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            RotationResult result;
            using (var progress = new ProgressBar())
            {
                result = session.RotateNamespaceKey(run.Get(name)!, progress);
            }

            run.Output.WriteMessage(
                $"Rotated {result.Scope} to key generation {result.NewGeneration}: {result.SecretKeysRotated} secret key(s) re-keyed for {result.Recipients} holder(s).",
                result);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "The namespace's name (1–64 letters, digits, '.', '_' or '-')." };

    private static Option<string?> DescriptionOption() => new("--description") { Description = "What the namespace is for (at most 1024 characters).", HelpName = "D" };

    private static Option<int?> MaxVersionsOption() => new("--max-versions")
    {
        Description = "Retention: keep at most N versions of each secret; older ones are removed as new ones arrive.",
        HelpName = "N",
    };
}
