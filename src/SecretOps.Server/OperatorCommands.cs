using System.CommandLine;
using System.Globalization;
using SecretOps.Core.Remote;
using SecretOps.Core.Storage;
using SecretOps.Server.Configuration;
using SecretOps.Server.Storage;

namespace SecretOps.Server;

/// <summary>
/// The operator's commands, run on the server host against the server's own database (the same configuration file,
/// SECRETOPS_SERVER_* variables and storage flags as serving): <c>enrol</c>, <c>disable</c>, <c>enable</c>, <c>allow</c>,
/// <c>clients</c> and <c>audit</c>. They work while the server runs: it reads a client on every request.
/// </summary>
internal static class OperatorCommands
{
    private static readonly Option<string> Client = new("--client")
    {
        Description = "The client id (a UUID).",
        HelpName = "UUID",
        Required = true,
    };

    private static readonly Option<string[]> Allow = new("--allow")
    {
        Description = "A CIDR range or address the client may connect from; repeat for several. None: any address.",
        HelpName = "CIDR",
    };

    private static readonly Option<bool> Replace = new("--replace")
    {
        Description = "Enrol again a client that is already enrolled: a new key (the old one stops working), the given allow-list, active.",
    };

    private static readonly Option<string> TokenFile = new("--token-file")
    {
        Description = "Enrol with the key of the token the client derived from its generated secret ('secretops client token'), read from FILE ('-': standard input), instead of making a random one. Nothing is printed: the client already holds it.",
        HelpName = "FILE",
    };

    private static readonly Option<int> Count = new("--count")
    {
        Description = "How many of the latest entries to print, newest first. Default: 50.",
        HelpName = "N",
        DefaultValueFactory = _ => 50,
    };

    private static readonly Argument<string[]> Ranges = new("cidr")
    {
        Description = "The client's new allow-list: CIDR ranges or addresses. None: any address.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The commands; <paramref name="storage"/> reads the storage settings of a parse result.</summary>
    public static IEnumerable<Command> Build(Func<ParseResult, StorageLocation> storage) =>
    [
        Define(new Command("enrol", "Enrol a client: makes its request key and prints its enrolment token, once (or takes the key of the token it derived, --token-file).") { Client, Allow, Replace, TokenFile }, storage, Enrol, createsDatabase: true),
        Define(new Command("disable", "Refuse every request of a client, from its next one.") { Client }, storage,
            (result, store) => SetStatus(result, store, EnrolmentStatus.Disabled)),
        Define(new Command("enable", "Serve a disabled client's requests again.") { Client }, storage,
            (result, store) => SetStatus(result, store, EnrolmentStatus.Active)),
        Define(new Command("allow", "Replace a client's allow-list (no range: any address).") { Client, Ranges }, storage, SetAllowList),
        Define(new Command("clients", "List the enrolled clients: id, status, enrolment time, allow-list (never keys)."), storage, ListClients),
        Define(new Command("audit", "Print the latest requests the server allowed or refused.") { Count }, storage, PrintAudit),
    ];

    private static Command Define(Command command, Func<ParseResult, StorageLocation> storage, Action<ParseResult, ServerStorage> run, bool createsDatabase = false)
    {
        command.SetAction(result =>
        {
            var location = storage(result);
            // Only enrol may start a database: any other command on a mistyped path would create an empty one and
            // report on it as if it were the server's.
            if (!createsDatabase && location.Kind == StorageKind.Sqlite && !File.Exists(location.Connection))
            {
                throw new NotFoundException($"There is no server database at '{Path.GetFullPath(location.Connection)}'; check --sqlite-path (or sqlitePath in the configuration). 'enrol' and 'serve' create it.", location.Connection);
            }

            using var store = ServerStorage.Open(location.Kind, location.Connection, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            run(result, store);
            return ServerExitCodes.Ok;
        });
        return command;
    }

    private static void Enrol(ParseResult result, ServerStorage store)
    {
        var clientId = ClientId(result);
        var allowList = AddressAllowList.Parse(result.GetValue(Allow) ?? []);
        var tokenFile = result.GetValue(TokenFile);
        using var key = tokenFile is null ? RequestSigningKey.Generate() : ClientDerivedKey(tokenFile, clientId);
        if (!store.Clients.Enrol(clientId, key, allowList, DateTimeOffset.UtcNow, result.GetValue(Replace)))
        {
            throw new ConflictException($"Client {clientId:D} is already enrolled; --replace gives it a new key (its current one then stops working).", clientId);
        }

        if (tokenFile is not null)
        {
            Console.Out.WriteLine($"client {clientId:D}: enrolled with the key it derived ({Describe(allowList)})");
            return;
        }

        Console.Out.WriteLine(EnrolmentToken.Format(clientId, key));
        Console.Error.WriteLine($"secretops-server: enrolled client {clientId:D} ({Describe(allowList)}). The line above is its enrolment token, shown only now: hand it to the client over a safe channel.");
    }

    /// <summary>The key of the token in <paramref name="tokenFile"/> ('-': standard input), which must be <paramref name="clientId"/>'s.</summary>
    private static RequestSigningKey ClientDerivedKey(string tokenFile, Guid clientId)
    {
        var text = tokenFile == "-" ? Console.In.ReadLine() ?? string.Empty : InputFile.ReadText(tokenFile, InputFileKind.EnrolmentToken);
        var (tokenClient, key) = EnrolmentToken.Parse(text);
        if (tokenClient != clientId)
        {
            key.Dispose();
            throw new InvalidParameterException("token-file", $"The token is client {tokenClient:D}'s, not --client {clientId:D}'s.");
        }

        return key;
    }

    private static void SetStatus(ParseResult result, ServerStorage store, EnrolmentStatus status)
    {
        var clientId = ClientId(result);
        RequireEnrolled(clientId, store.Clients.SetStatus(clientId, status));
        Console.Out.WriteLine($"client {clientId:D}: {status.ToString().ToLowerInvariant()}");
    }

    private static void SetAllowList(ParseResult result, ServerStorage store)
    {
        var clientId = ClientId(result);
        var allowList = AddressAllowList.Parse(result.GetValue(Ranges) ?? []);
        RequireEnrolled(clientId, store.Clients.SetAllowList(clientId, allowList));
        Console.Out.WriteLine($"client {clientId:D}: {Describe(allowList)}");
    }

    private static void ListClients(ParseResult result, ServerStorage store)
    {
        foreach (var client in store.Clients.List())
        {
            Console.Out.WriteLine(string.Join('\t', client.Id.ToString("D"), client.Status.ToString().ToLowerInvariant(),
                Timestamp(client.CreatedAt), Describe(client.AllowList)));
        }
    }

    private static void PrintAudit(ParseResult result, ServerStorage store)
    {
        var count = result.GetValue(Count);
        if (count < 1)
        {
            throw new InvalidParameterException("count", $"--count is {count}; it must be at least 1.");
        }

        foreach (var entry in store.Audit.Recent(count))
        {
            Console.Out.WriteLine(string.Join('\t', Timestamp(entry.At), entry.Outcome, entry.Method, entry.Path,
                "client " + (entry.ClientId?.ToString("D") ?? "-"), "peer " + entry.Peer, "resolved " + (entry.Resolved ?? "-")));
        }
    }

    private static Guid ClientId(ParseResult result)
    {
        var text = result.GetValue(Client)!;
        return Guid.TryParse(text, out var id) ? id
            : throw new InvalidParameterException("client", $"--client '{text}' is not a client id (a UUID such as 6f1c2a9e-8b3d-4c7a-9e52-0d4b7a3c1f88).");
    }

    private static void RequireEnrolled(Guid clientId, bool found)
    {
        if (!found)
        {
            throw new NotFoundException($"Client {clientId:D} is not enrolled on this server.", clientId);
        }
    }

    private static string Describe(AddressAllowList allowList) =>
        allowList.Ranges.Count == 0 ? "allowed from any address" : "allowed from " + string.Join(' ', allowList.Ranges);

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
