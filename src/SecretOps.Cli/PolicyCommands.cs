using System.CommandLine;
using System.Text.Json;
using SecretOps.Core;
using SecretOps.Core.Policy;
using SecretOps.Core.Storage;

namespace SecretOps.Cli;

/// <summary><c>secretops policy export|apply</c>: the store's clients, namespaces and grants as YAML kept in git.</summary>
internal static class PolicyCommands
{
    public static Command Create() => new("policy", "Export the store's access policy (namespaces, clients, grants) as YAML, and apply a policy file as a diff.")
    {
        Export(),
        Apply(),
    };

    private static Command Export()
    {
        var file = new Argument<string?>("FILE")
        {
            Description = "Write the policy to this new owner-only file (an existing file is never overwritten). Default: standard output.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("export",
            "Export the namespaces, clients (public keys of key-file clients; never a secret or private key) and grants as policy YAML (System and Admin clients). "
            + "Always YAML; ignores --output except for the message after writing FILE.")
        {
            file,
        };
        Invocation.SetAction(command, run =>
        {
            var target = run.Get(file) is { } path ? Path.GetFullPath(path) : null;
            RefuseExisting(target);
            using var session = run.Connect();
            var document = session.ExportPolicy();
            var yaml = document.ToYaml();
            if (target is null)
            {
                Console.Out.Write(yaml);
                return ExitCodes.Ok;
            }

            try
            {
                StoreFiles.WriteOwnerOnlyText(target, yaml);
            }
            catch (IOException) when (File.Exists(target) || Directory.Exists(target))
            {
                RefuseExisting(target);
                throw;
            }

            run.Output.WriteMessage(
                $"Exported the policy ({document.Namespaces.Count} namespace(s), {document.Clients.Count} client(s), {document.Grants.Count} grant(s)) to '{target}'.",
                new { file = target, namespaces = document.Namespaces.Count, clients = document.Clients.Count, grants = document.Grants.Count });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Apply()
    {
        var file = new Argument<string>("FILE") { Description = "The policy YAML file ('-' for standard input): a regular file of at most 1 MiB, lists and mappings nested at most 64 deep." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan and change nothing." };
        var prune = new Option<bool>("--prune")
        {
            Description = "Also revoke permissions the policy does not list (rotating keys where read or write goes).",
        };
        var yes = StoreCommands.YesOption("Apply revocations and retirements without asking (required for them when standard input is not a terminal).");
        var command = new Command("apply",
            "Make the store match a policy file: create namespaces and clients (key-file clients from their public key, generated clients with a new secret "
            + "printed once; passphrase clients must exist already), set roles, descriptions, statuses and retention, grant what is missing and, with --prune, "
            + "revoke what is not listed. The whole file is checked first; a file with any problem changes nothing. System and Admin clients.")
        {
            file, dryRun, prune, yes,
        };
        Invocation.SetAction(command, run =>
        {
            var path = run.Get(file)!;
            var planOnly = run.Get(dryRun);
            if (run.Get(prune) && !planOnly)
            {
                Invocation.RequireYesOrTerminal(run.Get(yes), "policy apply --prune");
            }

            if (path == "-" && run.PassphraseFromStdin)
            {
                throw new InvalidParameterException("stdin", "A policy on standard input and --passphrase-stdin both read standard input; give the passphrase another way (--secret-file, --key-file, SECRETOPS_PASSPHRASE).");
            }

            var source = path == "-" ? "standard input" : Path.GetFullPath(path);
            var document = path == "-"
                ? PolicyDocument.Parse(Terminal.ReadTextFile(path, InputFileKind.Policy, allowStdin: true), source)
                : PolicyDocument.ReadFile(source);
            using var session = run.Connect();
            var plan = session.PlanPolicy(document, run.Get(prune));
            if (planOnly)
            {
                WritePlan(run, source, plan.Changes, dryRun: true, new Dictionary<string, string>());
                return ExitCodes.Ok;
            }

            var destructive = plan.Changes.Where(c => c.IsDestructive).ToList();
            if (destructive.Count > 0 && !run.Get(yes))
            {
                if (!Terminal.IsInteractive)
                {
                    throw new InvalidParameterException("yes",
                        $"The policy would {string.Join("; ", destructive.Select(c => c.Description))}; standard input is not a terminal to ask, so add --yes to confirm. Nothing was changed.");
                }

                Console.Error.WriteLine($"Applying '{source}' will:");
                foreach (var change in plan.Changes)
                {
                    Console.Error.WriteLine($"  {change.Description}");
                }

                Invocation.Confirm(false, "Apply these changes, including the revocations and retirements?");
            }

            // One change at a time, so that what was done, and any client secret created, is printed even if a later step fails.
            var applied = new List<PolicyChange>();
            var secrets = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            try
            {
                foreach (var change in plan.Changes)
                {
                    foreach (var (client, secret) in session.ApplyPolicy(new PolicyPlan([change])))
                    {
                        secrets[client] = secret;
                    }

                    applied.Add(change);
                }
            }
            catch when (applied.Count > 0)
            {
                WritePlan(run, source, applied, dryRun: false, secrets, complete: false, planned: plan.Changes.Count);
                throw;
            }

            WritePlan(run, source, applied, dryRun: false, secrets);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A plan or what was applied: a sentence and one line per change, or an object; new client secrets once.</summary>
    private static void WritePlan(Invocation run, string source, IReadOnlyList<PolicyChange> changes, bool dryRun, Dictionary<string, string> secrets, bool complete = true, int planned = 0)
    {
        if (run.Output.Format != OutputFormat.Table)
        {
            run.Output.WriteObject(new
            {
                file = source,
                dryRun,
                complete,
                changes = changes.Select(c => new { kind = JsonNamingPolicy.CamelCase.ConvertName(c.Kind.ToString()), description = c.Description }).ToList(),
                createdClients = secrets.Select(s => new { clientName = s.Key, clientSecret = s.Value }).ToList(),
            });
        }
        else
        {
            Console.Out.WriteLine(changes.Count == 0
                ? $"Nothing to do: the store already matches '{source}'."
                : dryRun
                    ? $"Would apply {changes.Count} change(s) from '{source}' (dry run; nothing was changed):"
                    : complete
                        ? $"Applied {changes.Count} change(s) from '{source}':"
                        : $"Applied {changes.Count} of {planned} change(s) from '{source}' before an error:");
            foreach (var change in changes)
            {
                Console.Out.WriteLine($"  {change.Description}");
            }

            foreach (var (client, secret) in secrets)
            {
                Console.Out.WriteLine($"Client secret of the new client '{client}': {secret}");
            }
        }

        if (secrets.Count > 0 && run.Output.Format == OutputFormat.Table)
        {
            Console.Error.WriteLine("secretops: the client secrets above are shown once and never stored: hand them over now (a password manager, a CI secret, "
                                    + "or a file only their user can read, for --secret-file or SECRETOPS_CLIENT_SECRET).");
        }
    }

    private static void RefuseExisting(string? path)
    {
        if (path is not null && (File.Exists(path) || Directory.Exists(path)))
        {
            throw new ConflictException($"'{path}' already exists; policy export never overwrites a file. Remove it or choose another name.", path);
        }
    }
}
