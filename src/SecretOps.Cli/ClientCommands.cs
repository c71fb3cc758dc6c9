using System.CommandLine;
using SecretOps.Core;
using SecretOps.Core.Crypto;
using SecretOps.Core.Secrets;

namespace SecretOps.Cli;

/// <summary><c>secretops client add|list|show|set|disable|enable|retire|rotate|token</c>.</summary>
internal static class ClientCommands
{
    public static Command Create() => new("client", "Create, list, change, disable, retire and re-key clients: the people, machines and runbooks that use the store.")
    {
        Add(),
        List(),
        Show(),
        Set(),
        Disable(),
        Enable(),
        Retire(),
        Rotate(),
        Token(),
    };

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "The new client's name (1–64 letters, digits, '.', '_' or '-'; unique, case-insensitive)." };
        var credential = new NewCredentialOptions("the new client", "the new client's passphrase");
        var role = RoleOption("admin (may create clients and namespaces) or member (uses what it is granted; the default).");
        var description = DescriptionOption();
        var command = new Command("add",
            "Create a client (System and Admin clients). Its credential: --generate-secret (automation; printed once), --new-passphrase-stdin (a person), "
            + "or --public-key FILE (the client keeps the private key and connects with --key-file). At a terminal, with none of them, a passphrase is asked for. "
            + "It holds nothing until granted.")
        {
            name, role, description,
        };
        credential.AddTo(command);
        Invocation.SetAction(command, run =>
        {
            var clientName = run.Get(name)!;
            Names.ValidateClientName(clientName);
            var newRole = ParseRole(run.Get(role)) ?? ClientRole.Member;
            credential.Check(run);
            using var session = run.Connect();
            using var spec = credential.Read(run, $"Passphrase for the new client '{Names.Printable(clientName)}': ");
            var created = session.AddClient(clientName, spec.Spec, newRole, run.Get(description));
            WriteCredentialResult(run, created, $"Created client '{created.Client.Name}'.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List every client of the store: kind, role, status, key (never a credential).");
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            run.Output.WriteList(session.ListClients(),
                new Column<ClientInfo>("NAME", c => c.Name),
                new Column<ClientInfo>("KIND", c => Output.Name(c.Kind)),
                new Column<ClientInfo>("ROLE", c => Output.Name(c.Role)),
                new Column<ClientInfo>("STATUS", c => Output.Name(c.Status)),
                new Column<ClientInfo>("KEY", c => c.KeyAlgorithm),
                new Column<ClientInfo>("CREATED", c => Output.Time(c.Created)),
                new Column<ClientInfo>("LAST USED", c => Output.Time(c.LastUsed)),
                new Column<ClientInfo>("DESCRIPTION", c => c.Description));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var client = ClientArgument();
        var command = new Command("show", "Show one client: id, kind, role, status, key algorithm and fingerprint, created, last used.") { client };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            run.Output.WriteObject(session.GetClient(run.Get(client)!));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Set()
    {
        var client = ClientArgument();
        var newName = new Option<string?>("--name") { Description = "Rename the client (its id, keys and audit history stay).", HelpName = "N" };
        var description = DescriptionOption();
        var role = RoleOption("Make the client an admin or a member. The System client's role cannot change.");
        var command = new Command("set", "Rename a client, change its description or its role (System and Admin clients).")
        {
            client, newName, description, role,
        };
        Invocation.SetAction(command, run =>
        {
            var newRole = ParseRole(run.Get(role));
            if (run.Get(newName) is null && run.Get(description) is null && newRole is null)
            {
                throw new InvalidParameterException("name", "Nothing to change: give --name, --description or --role.");
            }

            using var session = run.Connect();
            run.Output.WriteObject(session.SetClient(run.Get(client)!, run.Get(newName), run.Get(description), newRole));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Disable()
    {
        var client = ClientArgument();
        var command = new Command("disable", "Refuse a client at connect until it is enabled again (reversible; it keeps its keys and grants). System and Admin clients.") { client };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            var info = session.DisableClient(run.Get(client)!);
            run.Output.WriteMessage($"Disabled client '{info.Name}'; it cannot connect until 'secretops client enable {info.Name}'.", info);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Enable()
    {
        var client = ClientArgument();
        var command = new Command("enable", "Let a disabled client connect again. System and Admin clients.") { client };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            var info = session.EnableClient(run.Get(client)!);
            run.Output.WriteMessage($"Enabled client '{info.Name}'.", info);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Retire()
    {
        var client = ClientArgument();
        var force = new Option<bool>("--force") { Description = "Retire it even when a namespace would be left with no other client able to read it (its secrets become unreadable)." };
        var yes = StoreCommands.YesOption("Retire without asking (required when standard input is not a terminal).");
        var command = new Command("retire",
            "Retire a client for good: every namespace and secret it can decrypt gets new keys without it, its grants go, and it can never connect again; "
            + "its audit history stays. Refused, changing nothing, when it holds a secret's key in a namespace whose key you do not hold (that secret "
            + "could not get a new key): retire it as a client that holds those namespaces. The System client can be retired once an active admin exists. "
            + "System and Admin clients.")
        {
            client, force, yes,
        };
        Invocation.SetAction(command, run =>
        {
            Invocation.RequireYesOrTerminal(run.Get(yes), "client retire");
            var target = run.Get(client)!;
            using var session = run.Connect();
            Invocation.Confirm(run.Get(yes), $"Retire client '{Names.Printable(target)}' for good? It can never connect again, and every key it holds is rotated.");
            ClientInfo info;
            using (var progress = new ProgressBar())
            {
                info = session.RetireClient(target, run.Get(force), progress);
            }

            run.Output.WriteMessage($"Retired client '{info.Name}': its grants are gone and every key it could use was rotated.", info);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Rotate()
    {
        var client = new Argument<string?>("CLIENT")
        {
            Description = "The client to re-key, by name or id. Default: the connecting client itself. An admin may re-key another client "
                          + "(a forgotten passphrase) only when it holds every key that client holds.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var credential = new NewCredentialOptions("the client", "the client's new passphrase");
        var command = new Command("rotate",
            "Give a client a new key pair and credential, re-wrapping every key it holds; the old credential stops working. The new credential: "
            + "--generate-secret (printed once), --new-passphrase-stdin, or --public-key FILE; at a terminal, with none of them, a passphrase is asked for.")
        {
            client,
        };
        credential.AddTo(command);
        Invocation.SetAction(command, run =>
        {
            credential.Check(run);
            using var session = run.Connect();
            var target = run.Get(client);
            using var spec = credential.Read(run, $"New passphrase for client '{Names.Printable(target ?? session.ClientName)}': ");
            var self = target is null || string.Equals(target, session.ClientName, StringComparison.OrdinalIgnoreCase) || target == session.ClientId.ToString();
            var rotated = session.RotateClientKey(target, spec.Spec);
            WriteCredentialResult(run, rotated, self
                ? $"Re-keyed client '{rotated.Client.Name}'; connect with the new credential from now on."
                : $"Re-keyed client '{rotated.Client.Name}'; give it the new credential.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Token()
    {
        var command = new Command("token",
            "Print the enrolment token the connecting client's generated secret derives (--client, with --secret-file or SECRETOPS_CLIENT_SECRET), for the server operator's "
            + "'enrol --token-file'. A client enrolled so needs no token file: it signs with the same key, derived again from its secret. On a store file the secret is "
            + "checked by connecting; before enrolment a server cannot be reached, so there --client must be the id.");
        Invocation.SetAction(command, run =>
        {
            var token = run.WithCredential((connection, credential) => SecretStore.DeriveEnrolmentToken(connection.Store, connection.Client, credential, connection.OpenOptions));
            Console.Out.WriteLine(token);
            Console.Error.WriteLine("secretops: the line above signs this client's requests: hand it to the server operator over a safe channel.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The result of creating or re-keying a client. JSON and YAML: exactly clientId, clientName and clientSecret
    /// (null unless generated). Table: the client, and its generated secret once, with a reminder on standard error.
    /// </summary>
    private static void WriteCredentialResult(Invocation run, ClientCreated created, string message)
    {
        var client = created.Client;
        if (run.Output.Format != OutputFormat.Table)
        {
            run.Output.WriteObject(new { ClientId = client.Id, ClientName = client.Name, created.ClientSecret });
            return;
        }

        Console.Out.WriteLine(message);
        if (created.ClientSecret is null)
        {
            run.Output.WriteObject(new { client.Id, client.Name, client.Kind, client.Role, client.KeyAlgorithm, client.Fingerprint });
            return;
        }

        run.Output.WriteObject(new { client.Id, client.Name, client.Kind, client.Role, client.KeyAlgorithm, client.Fingerprint, created.ClientSecret });
        Console.Error.WriteLine("secretops: the client secret above is shown once and never stored: hand it over now (a password manager, a CI secret, "
                                + "or a file only its user can read, for --secret-file or SECRETOPS_CLIENT_SECRET).");
    }

    private static Argument<string> ClientArgument() => new("CLIENT") { Description = "The client, by name or id." };

    private static Option<string?> DescriptionOption() => new("--description") { Description = "Who or what the client is (at most 1024 characters).", HelpName = "D" };

    private static Option<string?> RoleOption(string description)
    {
        var option = new Option<string?>("--role") { Description = description, HelpName = "admin|member" };
        option.AcceptOnlyFromAmong("admin", "member");
        return option;
    }

    private static ClientRole? ParseRole(string? text) => text switch
    {
        null => null,
        "admin" => ClientRole.Admin,
        _ => ClientRole.Member,
    };

    /// <summary>
    /// Where a new or re-keyed client's credential comes from: <c>--generate-secret</c>, <c>--new-passphrase-stdin</c>
    /// or <c>--public-key</c>. The global <c>--passphrase-stdin</c> is the connecting client's; the two cannot share
    /// standard input, so that combination is refused rather than guessed at.
    /// </summary>
    private sealed class NewCredentialOptions
    {
        private readonly Option<bool> generate;
        private readonly Option<bool> passphraseStdin;
        private readonly Option<string?> publicKey;
        private readonly Option<bool> weakKdf;
        private ClientPublicKey? key;

        public NewCredentialOptions(string whose, string passphrase)
        {
            generate = new Option<bool>("--generate-secret")
            {
                Description = $"Give {whose} a generated secret (for automation), printed once and never stored.",
            };
            passphraseStdin = new Option<bool>("--new-passphrase-stdin")
            {
                Description = $"Read {passphrase} as one line from standard input. (--passphrase-stdin is the connecting client's passphrase; "
                              + "the two cannot be combined, so connect with --secret-file, --key-file or SECRETOPS_PASSPHRASE instead.)",
            };
            publicKey = new Option<string?>("--public-key")
            {
                Description = $"Make {whose} a key-file client: this PEM public key, a regular file of at most 64 KiB (RSA 2048+ or EC P-256/P-384; e.g. openssl pkey -in KEY -pubout). "
                              + "Its owner keeps the private key and connects with --key-file.",
                HelpName = "FILE",
            };
            weakKdf = new Option<bool>("--weak-kdf")
            {
                Description = $"Seal {passphrase} with the store's KDF defaults even when they are below the floor (64 MiB, 3 passes), "
                              + "on a store created with --weak-kdf. For tests only; without it such defaults are refused.",
            };
        }

        public void AddTo(Command command)
        {
            command.Options.Add(generate);
            command.Options.Add(passphraseStdin);
            command.Options.Add(publicKey);
            command.Options.Add(weakKdf);
        }

        /// <summary>Refuses conflicting or missing sources and reads the public key, before anything connects.</summary>
        public void Check(Invocation run)
        {
            var sources = (run.Get(generate) ? 1 : 0) + (run.Get(passphraseStdin) ? 1 : 0) + (run.Get(publicKey) is null ? 0 : 1);
            if (sources > 1)
            {
                throw new InvalidParameterException("credential", "Give the new credential one way: --generate-secret, --new-passphrase-stdin or --public-key.");
            }

            if (run.Get(passphraseStdin) && run.PassphraseFromStdin)
            {
                throw new InvalidParameterException("new-passphrase-stdin",
                    "--new-passphrase-stdin and --passphrase-stdin both read standard input; give the connecting client's credential another way "
                    + "(--secret-file, --key-file, SECRETOPS_PASSPHRASE, SECRETOPS_CLIENT_SECRET or SECRETOPS_KEY_FILE).");
            }

            if (sources == 0 && !Terminal.IsInteractive)
            {
                throw new InvalidParameterException("credential",
                    "Give the new credential: --generate-secret (automation), --new-passphrase-stdin (a person's passphrase, one line on standard input) "
                    + "or --public-key FILE (a PEM public key); only at a terminal is a passphrase asked for.");
            }

            if (run.Get(publicKey) is { } file)
            {
                key = PemKeyReader.ReadPublicKeyFile(file);
            }
        }

        /// <summary>The credential, reading or asking for a passphrase now. Disposing wipes the passphrase.</summary>
        public NewCredential Read(Invocation run, string prompt)
        {
            if (run.Get(generate))
            {
                return new NewCredential(new ClientCredentialSpec { Kind = ClientKind.Generated }, null);
            }

            if (key is not null)
            {
                return new NewCredential(new ClientCredentialSpec { Kind = ClientKind.KeyFile, PublicKey = key }, null);
            }

            var passphrase = run.Get(passphraseStdin)
                ? Terminal.ReadLineFromStdin("new passphrase")
                : Terminal.PromptNewPassphrase(prompt, "nothing was changed");
            return new NewCredential(new ClientCredentialSpec { Kind = ClientKind.Passphrase, Passphrase = passphrase, AllowWeakKdf = run.Get(weakKdf) }, passphrase);
        }
    }

    private sealed class NewCredential(ClientCredentialSpec spec, char[]? passphrase) : IDisposable
    {
        public ClientCredentialSpec Spec { get; } = spec;

        public void Dispose() => Invocation.Wipe(passphrase);
    }
}
