using System.CommandLine;
using SecretOps.Core;
using SecretOps.Core.Configuration;
using SecretOps.Core.Crypto;

namespace SecretOps.Cli;

/// <summary><c>secretops store init|info|check|upgrade|backup|restore|push|pull</c>.</summary>
internal static class StoreCommands
{
    public static Command Create() => new("store", "Create, inspect, check, upgrade, back up and restore a store; move it to a server and back.")
    {
        Init(),
        Info(),
        Check(),
        Upgrade(),
        Backup(),
        Restore(),
        Push(),
        Pull(),
    };

    private static Command Init()
    {
        var generate = new Option<bool>("--generate-secret")
        {
            Description = "Give the System client a generated secret (for automation), printed once. Otherwise the System client's credential is "
                          + $"--passphrase-stdin, else {EnvironmentVariables.SystemClientId}/{EnvironmentVariables.SystemClientSecret}, else {EnvironmentVariables.Passphrase}, "
                          + "else a prompt at a terminal.",
        };
        var memory = new Option<int?>("--kdf-memory")
        {
            Description = $"Argon2id memory for passphrase clients, in MiB (default {Argon2Parameters.Default.MemoryKiB / 1024}; "
                          + $"{Argon2Parameters.Floor.MemoryKiB / 1024}–{Argon2Parameters.MaxMemoryMiB}, or {Argon2Parameters.MinMemoryMiB}–{Argon2Parameters.MaxMemoryMiB} with --weak-kdf).",
            HelpName = "MiB",
        };
        var iterations = new Option<int?>("--kdf-iterations")
        {
            Description = $"Argon2id passes for passphrase clients (default {Argon2Parameters.Default.Iterations}; "
                          + $"{Argon2Parameters.Floor.Iterations}–{Argon2Parameters.MaxIterations}, or 1–{Argon2Parameters.MaxIterations} with --weak-kdf).",
            HelpName = "N",
        };
        var parallelism = new Option<int?>("--kdf-parallelism")
        {
            Description = $"Argon2id lanes for passphrase clients (default {Argon2Parameters.Default.Parallelism}; 1–{Argon2Parameters.MaxParallelism}).",
            HelpName = "N",
        };
        var weak = new Option<bool>("--weak-kdf")
        {
            Description = $"Allow Argon2 parameters below the minimum (m={Argon2Parameters.Floor.MemoryKiB / 1024} MiB, t={Argon2Parameters.Floor.Iterations}); for tests and throwaway stores only. Recorded in the store.",
        };
        var command = new Command("init", "Create a new store with its 'default' namespace and its System client. Refuses to overwrite an existing file.")
        {
            generate, memory, iterations, parallelism, weak,
        };
        Invocation.SetAction(command, run =>
        {
            var generateSecret = run.Get(generate);
            if (generateSecret && run.PassphraseFromStdin)
            {
                throw new InvalidParameterException("generate-secret", "Give either --generate-secret or --passphrase-stdin, not both.");
            }

            var kdf = Argon2Parameters.ForNewStore(run.Get(memory), run.Get(iterations), run.Get(parallelism), run.Get(weak));
            var path = run.StorePath();
            char[]? passphrase = null;
            (Guid Id, string Secret)? preset = null;
            try
            {
                if (!generateSecret)
                {
                    if (run.PassphraseFromStdin)
                    {
                        passphrase = Terminal.ReadLineFromStdin("passphrase");
                    }
                    else if (StoreCreateOptions.CredentialFromEnvironment() is { } fromEnvironment)
                    {
                        preset = fromEnvironment.PresetSystemClient;
                        passphrase = fromEnvironment.Passphrase;
                    }
                    else
                    {
                        passphrase = PromptNewPassphrase();
                    }
                }

                var created = SecretStore.Create(path, new StoreCreateOptions
                {
                    GenerateSecret = generateSecret,
                    Passphrase = passphrase,
                    PresetSystemClient = preset,
                    Kdf = kdf,
                    AllowWeakKdf = run.Get(weak),
                    Shared = run.Resolve().Shared,
                    Surface = Surface.Cli,
                });
                if (run.Output.Format != OutputFormat.Table)
                {
                    run.Output.WriteObject(new { created.StoreId, created.ClientId, created.ClientName, created.ClientSecret });
                }
                else if (created.ClientSecret is null)
                {
                    run.Output.WriteObject(new { created.Path, created.StoreId, created.ClientId, created.ClientName });
                }
                else
                {
                    run.Output.WriteObject(new { created.Path, created.StoreId, created.ClientId, created.ClientName, created.ClientSecret });
                    Console.Error.WriteLine("secretops: the client secret above is shown once and never stored: store it now (a password manager, "
                                            + "or a file only you can read, for --secret-file or SECRETOPS_CLIENT_SECRET).");
                }

                return ExitCodes.Ok;
            }
            finally
            {
                Invocation.Wipe(passphrase);
            }
        });
        return command;
    }

    private static Command Info()
    {
        var command = new Command("info", "Show the store's identity, format, journal mode and size. Needs no credential.");
        Invocation.SetAction(command, run =>
        {
            run.Output.WriteObject(run.OpenStore().GetInfo());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Check()
    {
        var command = new Command("check", "Check the store as the connected client: SQLite integrity, every namespace key it holds, key stanzas held without a grant, and the audit chain. Exit code 7 when anything is wrong.");
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            var result = session.Check();
            run.Output.WriteObject(result);
            if (result.IsHealthy)
            {
                return ExitCodes.Ok;
            }

            var problems = new List<string>();
            if (result.IntegrityCheck != "ok")
            {
                problems.Add($"SQLite integrity check: {result.IntegrityCheck}");
            }

            problems.AddRange(result.KeyProblems);
            if (!result.Audit.IsValid)
            {
                problems.Add(result.Audit.Problem ?? "the audit chain is broken");
            }

            Console.Error.WriteLine($"secretops: the store is not healthy: {string.Join("; ", problems)}");
            return ExitCodes.Tampered;
        });
        return command;
    }

    private static Command Upgrade()
    {
        var command = new Command("upgrade",
            "Upgrade a format-1 store to format 2, as an administrator (System or Admin): check it, sign its current state as the baseline of its "
            + "control log, and rotate every namespace. The baseline trusts what the format-1 store held; back it up first.");
        Invocation.SetAction(command, run =>
        {
            var result = run.WithCredential((connection, credential) =>
                SecretStore.Open(connection.Store, connection.OpenOptionsWith(credential)).Upgrade(connection.Client, credential, Surface.Cli));
            run.Output.WriteObject(result);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Backup()
    {
        var destination = new Argument<string>("DEST") { Description = "The backup file to create (it must not exist)." };
        var command = new Command("backup", "Copy the store to a new owner-only file with SQLite's online backup, consistent while others write. Needs no credential.")
        {
            destination,
        };
        Invocation.SetAction(command, run =>
        {
            var store = run.OpenStore();
            var target = Path.GetFullPath(run.Get(destination)!);
            store.Backup(target, Surface.Cli);
            run.Output.WriteMessage($"Backed up '{store.Path}' to '{target}'.", new { store = store.Path, backup = target });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Restore()
    {
        var source = new Argument<string>("SRC") { Description = "The backup file to restore from." };
        var yes = YesOption("Replace the store without asking (required when standard input is not a terminal).");
        var command = new Command("restore", "Replace the store (--store) with a backup, after checking the backup's integrity and audit chain. Nothing is replaced when the check fails.")
        {
            source, yes,
        };
        Invocation.SetAction(command, run =>
        {
            Invocation.RequireYesOrTerminal(run.Get(yes), "store restore");
            var destination = Path.GetFullPath(run.StorePath());
            var backup = Path.GetFullPath(run.Get(source)!);
            Invocation.Confirm(run.Get(yes), File.Exists(destination)
                ? $"Replace the store '{destination}' with the backup '{backup}'? Changes made since the backup are lost."
                : $"Restore the backup '{backup}' to '{destination}'?");
            SecretStore.Restore(backup, destination, Surface.Cli);
            run.Output.WriteMessage($"Restored '{destination}' from '{backup}'.", new { store = destination, backup });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Push()
    {
        var server = new Argument<string>("SERVER") { Description = "The server to host the store: https://host:port." };
        var command = new Command("push",
            "Start the store a server hosts from the store file (--store). The server refuses unless it hosts none yet, the file passes a restore's checks, and this machine's enrolled client (its --token-file, or a generated secret's derived key) is its active System or Admin client. The file is not changed.")
        {
            server,
        };
        Invocation.SetAction(command, run =>
        {
            var source = Path.GetFullPath(run.StorePath());
            var address = run.Get(server)!;
            run.WithOpenOptions(address, options =>
            {
                SecretStore.Push(source, address, options);
                return 0;
            });
            run.Output.WriteMessage($"Pushed '{source}' to {address}: the server now hosts the store.", new { store = source, server = address });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Pull()
    {
        var server = new Argument<string>("SERVER") { Description = "The server hosting the store: https://host:port." };
        var destination = new Argument<string>("DEST") { Description = "The store file to create (it must not exist)." };
        var command = new Command("pull", "Copy the store a server hosts into a new owner-only store file, as it is now (signing with --token-file, or the key a generated secret derives).")
        {
            server, destination,
        };
        Invocation.SetAction(command, run =>
        {
            var address = run.Get(server)!;
            var store = run.WithOpenOptions(address, options => SecretStore.Open(address, options));
            var target = Path.GetFullPath(run.Get(destination)!);
            store.Backup(target, Surface.Cli);
            run.Output.WriteMessage($"Pulled {store.Path} into '{target}'.", new { server = store.Path, store = target });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A <c>--yes</c> option for a destructive command.</summary>
    public static Option<bool> YesOption(string description) => new("--yes", "-y") { Description = description };

    private static char[] PromptNewPassphrase()
    {
        if (!Terminal.IsInteractive)
        {
            throw new InvalidParameterException("passphrase",
                $"No credential for the System client: use --generate-secret or --passphrase-stdin, or set {EnvironmentVariables.Passphrase} "
                + $"(or {EnvironmentVariables.SystemClientId} and {EnvironmentVariables.SystemClientSecret}).");
        }

        return Terminal.PromptNewPassphrase("Passphrase for the new store's System client: ", "nothing was created");
    }
}
