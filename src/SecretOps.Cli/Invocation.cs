using System.CommandLine;
using System.Security.Cryptography;
using SecretOps.Core;
using SecretOps.Core.Clients;
using SecretOps.Core.Configuration;

namespace SecretOps.Cli;

/// <summary>
/// One run of a command: its parsed global options, the connection (resolved by Core's
/// <see cref="Connector"/>, never here), output, confirmations, and the one place errors become exit codes.
/// </summary>
internal sealed class Invocation
{
    private ResolvedConnection? resolved;

    private Invocation(ParseResult parseResult)
    {
        ParseResult = parseResult;
        Output = new Output(Output.ParseFormat(parseResult.GetValue(GlobalOptions.Output)));
        Verbose = parseResult.GetValue(GlobalOptions.Verbose);
    }

    public ParseResult ParseResult { get; }

    public Output Output { get; }

    public bool Verbose { get; }

    /// <summary>
    /// The namespace secret commands act in: --namespace, SECRETOPS_NAMESPACE, the profile's, or 'default'
    /// (resolved by Core, once per run).
    /// </summary>
    public string Namespace => (resolved ??= Resolve()).Namespace;

    /// <summary>Whether <c>--passphrase-stdin</c> was given.</summary>
    public bool PassphraseFromStdin => ParseResult.GetValue(GlobalOptions.PassphraseStdin);

    /// <summary>Gives <paramref name="command"/> an action that runs <paramref name="body"/> and maps its errors.</summary>
    public static void SetAction(Command command, Func<Invocation, int> body) =>
        command.SetAction(parseResult => Run(parseResult, body));

    public T? Get<T>(Option<T> option) => ParseResult.GetValue(option);

    public T? Get<T>(Argument<T> argument) => ParseResult.GetValue(argument);

    /// <summary>Where to connect: flags, SECRETOPS_* environment, profile and defaults, combined by Core.</summary>
    public ResolvedConnection Resolve() => Connector.Resolve(Request(null));

    /// <summary>The resolved store path.</summary>
    public string StorePath() => Resolve().Store;

    /// <summary>Opens the resolved store without connecting (info, backup, audit verify).</summary>
    public SecretStore OpenStore()
    {
        var store = Resolve().Store;
        return WithOpenOptions(store, options => SecretStore.Open(store, options));
    }

    /// <summary>Runs <paramref name="action"/> with the options that open <paramref name="target"/> without connecting (Core's rule).</summary>
    public T WithOpenOptions<T>(string target, Func<StoreOpenOptions, T> action) => Connector.WithOpenOptions(target, Resolve(), Request(null), action);

    /// <summary>
    /// Connects to the resolved store as the resolved client. The credential comes from Core
    /// (flags, environment, profile); when there is none, a person at a terminal is asked for a passphrase.
    /// </summary>
    public Session Connect() => WithCredential((connection, credential) => Connector.Connect(connection, credential, Surface.Cli));

    /// <summary>
    /// Resolves the store, the client and its credential as <see cref="Connect"/> does, and hands them to
    /// <paramref name="action"/> (a command that must not connect first, such as an upgrade); the credential is wiped after.
    /// </summary>
    public T WithCredential<T>(Func<ResolvedConnection, ClientCredential, T> action)
    {
        var passphrase = PassphraseFromStdin ? Terminal.ReadLineFromStdin("passphrase") : null;
        try
        {
            var request = Request(passphrase);
            var connection = resolved = Connector.Resolve(request) with { AcceptRestoredStore = ParseResult.GetValue(GlobalOptions.AcceptRestoredStore) };
            using var credential = Connector.ResolveCredential(request) ?? PromptCredential(connection);
            return action(connection, credential);
        }
        finally
        {
            Wipe(passphrase);
        }
    }

    /// <summary>
    /// For destructive commands: without <c>--yes</c>, standard input must be a terminal (checked before
    /// anything is read or changed). Call <see cref="Confirm"/> when about to act.
    /// </summary>
    public static void RequireYesOrTerminal(bool yes, string command)
    {
        if (!yes && !Terminal.IsInteractive)
        {
            throw new InvalidParameterException("yes", $"'{command}' changes the store irreversibly; standard input is not a terminal to ask, so add --yes to confirm.");
        }
    }

    /// <summary>Asks a person (unless <c>--yes</c>); a refusal ends the command with exit code 1.</summary>
    public static void Confirm(bool yes, string question)
    {
        if (!yes && !Terminal.Confirm(question))
        {
            throw new CancelledException();
        }
    }

    public static void Wipe(char[]? characters)
    {
        if (characters is not null)
        {
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(characters.AsSpan()));
        }
    }

    private static ClientCredential PromptCredential(ResolvedConnection resolved)
    {
        // Say "no store" before asking for a passphrase to a store that is not there.
        SecretStore.Open(resolved.Store, resolved.OpenOptions);
        if (!Terminal.IsInteractive)
        {
            throw new InvalidParameterException("credential",
                $"No credential for client '{resolved.Client}': use --passphrase-stdin, --secret-file or --key-file, or set SECRETOPS_PASSPHRASE, SECRETOPS_CLIENT_SECRET or SECRETOPS_KEY_FILE.");
        }

        var passphrase = Terminal.PromptSecret($"Passphrase for client '{resolved.Client}': ");
        try
        {
            return ClientCredential.FromPassphrase(passphrase);
        }
        finally
        {
            Wipe(passphrase);
        }
    }

    private ConnectionRequest Request(char[]? passphrase) => new()
    {
        Store = ParseResult.GetValue(GlobalOptions.Store),
        Client = ParseResult.GetValue(GlobalOptions.Client),
        Namespace = ParseResult.GetValue(GlobalOptions.Namespace),
        Profile = ParseResult.GetValue(GlobalOptions.Profile),
        SecretFile = ParseResult.GetValue(GlobalOptions.SecretFile),
        KeyFile = ParseResult.GetValue(GlobalOptions.KeyFile),
        TokenFile = ParseResult.GetValue(GlobalOptions.TokenFile),
        Passphrase = passphrase,
        Surface = Surface.Cli,
    };

    private static int Run(ParseResult parseResult, Func<Invocation, int> body)
    {
        Invocation? invocation = null;
        try
        {
            invocation = new Invocation(parseResult);
            return body(invocation);
        }
        catch (Exception e)
        {
            Report(e, invocation?.Verbose ?? parseResult.GetValue(GlobalOptions.Verbose));
            return ExitCodes.For(e);
        }
    }

    /// <summary>One line on standard error; with --verbose, each exception's type and stack too. Messages never hold values.</summary>
    private static void Report(Exception exception, bool verbose)
    {
        var message = exception switch
        {
            SecretOpsException e => WithHint(e),
            CancelledException => exception.Message,
            IOException or UnauthorizedAccessException => exception.Message,
            _ => $"unexpected error ({exception.GetType().Name}): {exception.Message}",
        };
        Console.Error.WriteLine($"secretops: {OneLine(message)}");
        if (!verbose)
        {
            return;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            Console.Error.WriteLine($"  {e.GetType().FullName}{(e is SecretOpsException s ? $" [{s.ErrorId}]" : "")}");
            if (e.StackTrace is { } stack)
            {
                Console.Error.WriteLine(stack);
            }
        }
    }

    /// <summary>Core's message followed by the next step it points to, naming the CLI command that takes it.</summary>
    private static string WithHint(SecretOpsException exception) => exception.Hint switch
    {
        SecretOpsHint.CreateStore => $"{exception.Message} Create one with 'secretops store init'.",
        SecretOpsHint.CreateClient => $"{exception.Message} Create such clients with 'secretops client add' before applying the policy.",
        SecretOpsHint.AllowWeakKdf => $"{exception.Message} The command asks for it with --weak-kdf.",
        SecretOpsHint.UpgradeStore => $"{exception.Message} An administrator upgrades it with 'secretops store upgrade'.",
        SecretOpsHint.AcceptRestoredStore => $"{exception.Message} If it was restored on purpose, run the command again with --accept-restored-store.",
        SecretOpsHint.GiveEnrolmentToken => $"{exception.Message} Give the file that holds it with --token-file, or set {EnvironmentVariables.TokenFile}.",
        SecretOpsHint.PushStore => $"{exception.Message} A server's store starts from a store file with 'secretops --store FILE store push SERVER'.",
        SecretOpsHint.RevokeStrayStanza when exception.HintSubject is { Client: { } client, Namespace: { } ns } subject =>
            $"{exception.Message} Find out who wrote it ('secretops audit verify', 'secretops store check'), then remove it with "
            + $"'secretops revoke {ShellWord(client)}{(subject.Secret is { } secret ? $" --secret {ShellWord(secret)}" : "")} --namespace {ShellWord(ns)}' before rotating.",
        _ => exception.Message,
    };

    /// <summary>A name as one shell word: as is when it is plain, else in single quotes.</summary>
    private static string ShellWord(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' or ':' or '@') && name[0] != '-'
            ? name
            : $"'{name.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    /// <summary>
    /// A message on one line. Core lists several problems on indented lines after a colon ("…: \n  a\n  b"):
    /// they become "…: a; b".
    /// </summary>
    private static string OneLine(string text)
    {
        var line = new System.Text.StringBuilder();
        foreach (var part in text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.Length > 0)
            {
                line.Append(line[^1] is ':' or ';' or '.' ? " " : "; ");
            }

            line.Append(part);
        }

        return line.ToString();
    }
}

/// <summary>A person answered no to a confirmation.</summary>
internal sealed class CancelledException() : Exception("Cancelled; nothing was changed.");
