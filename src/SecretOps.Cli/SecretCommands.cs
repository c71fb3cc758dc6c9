using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using SecretOps.Core;
using SecretOps.Core.Secrets;
using SecretOps.Core.Storage;

namespace SecretOps.Cli;

/// <summary><c>secretops secret set|get|list|history|restore|rm</c>, in the namespace of <c>--namespace</c>.</summary>
internal static class SecretCommands
{
    private static readonly Column<SecretEntry>[] EntryColumns =
    [
        new("NAME", e => e.Name),
        new("TYPE", e => Output.Name(e.Type)),
        new("VERSION", e => e.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("UPDATED", e => Output.Time(e.Updated)),
        new("BY", e => e.UpdatedBy),
        new("EXPIRES", e => e.IsExpired ? $"{Output.Time(e.ExpiresAt)} (expired)" : Output.Time(e.ExpiresAt)),
        new("METADATA", e => e.IsEnvironmentOverride ? "(overridden by environment) " + Output.Metadata(e.Metadata) : Output.Metadata(e.Metadata)),
    ];

    public static Command Create() => new("secret", "Store, read, list and remove secrets in a namespace (--namespace).")
    {
        Set(),
        Get(),
        List(),
        History(),
        Restore(),
        Remove(),
    };

    private static Command Set()
    {
        var name = NameArgument();
        var stdin = new Option<bool>("--stdin")
        {
            Description = "Read the value from standard input: all of it (at most 1 MiB); for text, one trailing newline is dropped.",
        };
        var file = new Option<string?>("--file")
        {
            Description = "Read the value from a regular file, byte for byte (at most 1 MiB).",
            HelpName = "F",
        };
        var value = new Option<string?>("--value")
        {
            Description = "The value as an argument: VISIBLE TO OTHER LOCAL USERS in the process list (ps, /proc/<pid>/cmdline) while secretops runs, and kept in your shell's history. Use --stdin or --file for real secrets.",
            HelpName = "V",
        };
        var type = new Option<string>("--type")
        {
            Description = "The kind of value: string (UTF-8 text), bytes (raw), or credential (with --username; the value is the password).",
            HelpName = "string|bytes|credential",
            DefaultValueFactory = _ => "string",
        };
        type.AcceptOnlyFromAmong("string", "bytes", "credential");
        var userName = new Option<string?>("--username")
        {
            Description = "The user name of a credential.",
            HelpName = "U",
        };
        var ttl = new Option<string?>("--ttl")
        {
            Description = "Time to live from now, e.g. 90s, 30m, 12h, 7d, 2w or 1h30m. After it, reads fail with 'expired' (exit code 8).",
            HelpName = "DURATION",
        };
        var meta = new Option<string[]>("--meta")
        {
            Description = "Metadata key=value (repeatable; replaces the secret's metadata). Integers, true/false and ISO 8601 times are typed. Metadata is stored in clear.",
            HelpName = "k=v",
        };
        var expected = new Option<int?>("--expected-version")
        {
            Description = "Only set when the current version is N (0: only when the secret does not exist yet); otherwise fail with a conflict (exit code 6).",
            HelpName = "N",
        };
        var command = new Command("set", "Store a value as the secret's next version (creating the secret as version 1).")
        {
            name, stdin, file, value, type, userName, ttl, meta, expected,
        };
        Invocation.SetAction(command, run =>
        {
            var secretName = run.Get(name)!;
            var kind = run.Get(type);
            var sources = (run.Get(value) is null ? 0 : 1) + (run.Get(stdin) ? 1 : 0) + (run.Get(file) is null ? 0 : 1);
            if (sources > 1)
            {
                throw new InvalidParameterException("value", "Give the value one way: --value, --stdin or --file.");
            }

            if (run.Get(stdin) && run.PassphraseFromStdin)
            {
                throw new InvalidParameterException("stdin", "--stdin and --passphrase-stdin both read standard input; give the passphrase another way (--secret-file, --key-file, SECRETOPS_PASSPHRASE).");
            }

            if (sources == 0 && !Terminal.IsInteractive)
            {
                throw new InvalidParameterException("value", "Give the value with --value, --stdin or --file.");
            }

            var user = run.Get(userName);
            if (kind == "credential" ? user is null : user is not null)
            {
                throw new InvalidParameterException("username", kind == "credential" ? "A credential needs --username." : "--username is only for --type credential.");
            }

            var options = new SetSecretOptions
            {
                TimeToLive = run.Get(ttl) is { } ttlText ? TimeToLive.Parse(ttlText) : null,
                Metadata = run.Get(meta) is { Length: > 0 } assignments ? ParseMetadata(assignments) : null,
                ExpectedVersion = run.Get(expected),
            };

            // Validate what can be validated before reading standard input or asking for anything.
            Names.ValidateSecretName(secretName);
            using var session = run.Connect();
            using var secret = ReadValue(kind!, user, run.Get(value), run.Get(stdin), run.Get(file), secretName);
            var entry = session.SetSecret(run.Namespace, secretName, secret, options);
            run.Output.WriteMessage($"Stored '{entry.Name}' as version {entry.Version} in namespace '{entry.Namespace}'.", entry);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Get()
    {
        var name = NameArgument();
        var version = VersionOption("Read this version instead of the current one (an old version is readable even after the secret expired).");
        var command = new Command("get", "Print the value and nothing else: text as UTF-8 without an added newline, bytes raw, credentials as JSON {userName, password}. Ignores --output.")
        {
            name, version,
        };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            using var result = session.GetSecret(run.Namespace, run.Get(name)!, run.Get(version));
            var bytes = result.Value.ToOutputBytes();
            try
            {
                // Every value printed is in the audit log first; a read-only store cannot record it.
                try
                {
                    session.FlushAudit();
                }
                catch (StoreUnavailableException) when (session.Store.IsReadOnly)
                {
                    Terminal.Warn("the store is read-only, so this read could not be recorded in the audit log.");
                }

                Output.WriteRaw(bytes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List()
    {
        var pattern = new Argument<string?>("PATTERN")
        {
            Description = "Only names matching this case-insensitive wildcard (*, ?, [a-z]); a name that is not a valid wildcard matches literally.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var includeExpired = new Option<bool>("--include-expired") { Description = "Also list secrets whose time to live has passed." };
        var command = new Command("list", "List the secrets of the namespace (never their values).")
        {
            pattern, includeExpired,
        };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            var entries = session.ListSecrets(run.Namespace, run.Get(pattern), run.Get(includeExpired));
            run.Output.WriteList(entries, EntryColumns);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command History()
    {
        var name = NameArgument();
        var command = new Command("history", "List the stored versions of a secret, oldest first (never their values).") { name };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            var versions = session.GetHistory(run.Namespace, run.Get(name)!);
            run.Output.WriteList(versions,
                new Column<SecretVersionInfo>("VERSION", v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) + (v.IsCurrent ? " (current)" : "")),
                new Column<SecretVersionInfo>("TYPE", v => Output.Name(v.Type)),
                new Column<SecretVersionInfo>("CREATED", v => Output.Time(v.Created)),
                new Column<SecretVersionInfo>("BY", v => v.CreatedBy));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Restore()
    {
        var name = NameArgument();
        var version = VersionOption("The version whose value becomes the new current version.");
        version.Required = true;
        var command = new Command("restore", "Make an old version's value the newest version (history is never rewritten).")
        {
            name, version,
        };
        Invocation.SetAction(command, run =>
        {
            using var session = run.Connect();
            var old = run.Get(version)!.Value;
            var entry = session.RestoreVersion(run.Namespace, run.Get(name)!, old);
            run.Output.WriteMessage($"Restored version {old} of '{entry.Name}' as version {entry.Version} in namespace '{entry.Namespace}'.", entry);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = NameArgument();
        var version = VersionOption("Remove only this version (not the current one).");
        var yes = StoreCommands.YesOption("Remove without asking (required when standard input is not a terminal).");
        var command = new Command("rm", "Remove a secret with all its versions, or one old version.")
        {
            name, version, yes,
        };
        Invocation.SetAction(command, run =>
        {
            Invocation.RequireYesOrTerminal(run.Get(yes), "secret rm");
            var secretName = run.Get(name)!;
            var oldVersion = run.Get(version);
            using var session = run.Connect();
            var ns = run.Namespace;
            Invocation.Confirm(run.Get(yes), oldVersion is { } v
                ? $"Remove version {v} of secret '{Names.Printable(secretName)}' in namespace '{ns}'?"
                : $"Remove secret '{Names.Printable(secretName)}' and all its versions from namespace '{ns}'?");
            session.RemoveSecret(ns, secretName, oldVersion);
            run.Output.WriteMessage(
                oldVersion is { } removed ? $"Removed version {removed} of '{secretName}' in namespace '{ns}'." : $"Removed '{secretName}' from namespace '{ns}'.",
                new { @namespace = ns, name = secretName, version = oldVersion, removed = true });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "The secret's name (1–256 characters, no control or bidirectional formatting characters; case-insensitive, case kept)." };

    private static Option<int?> VersionOption(string description) => new("--version") { Description = description, HelpName = "N" };

    private static Dictionary<string, object> ParseMetadata(string[] assignments)
    {
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            var (key, value) = SecretMetadata.ParseAssignment(assignment);
            if (!metadata.TryAdd(key, value))
            {
                throw new InvalidParameterException("meta", $"Metadata key '{Names.Printable(key)}' is given twice.");
            }
        }

        return metadata;
    }

    /// <summary>Builds the value from exactly one source; nothing read is ever echoed.</summary>
    private static SecretValue ReadValue(string kind, string? userName, string? argument, bool fromStdin, string? file, string secretName)
    {
        byte[] bytes;
        string what;
        if (argument is not null)
        {
            bytes = Encoding.UTF8.GetBytes(argument);
            what = "The value of --value";
        }
        else if (fromStdin)
        {
            bytes = Terminal.ReadAllStdin(SecretValue.MaxSize);
            what = "The value on standard input";
            if (kind != "bytes")
            {
                bytes = DropOneNewline(bytes);
            }
        }
        else if (file is not null)
        {
            bytes = InputFile.ReadBytes(file, InputFileKind.Value);
            what = $"The file '{file}'";
        }
        else
        {
            var typed = Terminal.PromptSecret(kind == "credential" ? $"Password for '{Names.Printable(secretName)}': " : $"Value for '{Names.Printable(secretName)}': ");
            try
            {
                bytes = Encoding.UTF8.GetBytes(typed);
                what = "The value typed";
            }
            finally
            {
                Invocation.Wipe(typed);
            }
        }

        try
        {
            return kind switch
            {
                "bytes" => SecretValue.FromBytes(bytes),
                "credential" => SecretValue.FromCredential(userName!, Terminal.DecodeText(bytes, what)),
                _ => SecretValue.FromString(Terminal.DecodeText(bytes, what)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static byte[] DropOneNewline(byte[] bytes)
    {
        var length = bytes.Length;
        if (length > 0 && bytes[length - 1] == (byte)'\n')
        {
            length--;
            if (length > 0 && bytes[length - 1] == (byte)'\r')
            {
                length--;
            }
        }

        if (length == bytes.Length)
        {
            return bytes;
        }

        var trimmed = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        bytes.AsSpan(0, length).CopyTo(trimmed);
        CryptographicOperations.ZeroMemory(bytes);
        return trimmed;
    }
}
