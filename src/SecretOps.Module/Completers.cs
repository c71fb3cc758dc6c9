using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using SecretOps.Core;
using SecretOps.Core.Audit;
using SecretOps.Core.Configuration;

namespace SecretOps.Module;

/// <summary>
/// Tab completion from the registered sessions only: never connects, never prompts, never throws, and
/// offers at most <see cref="CompletionSupport.MaxResults"/> names. Listings made for completion are audited
/// like any other read (with the next command's audit flush).
/// </summary>
internal static partial class CompletionSupport
{
    public const int MaxResults = 500;

    /// <summary>The text typed so far, without an opening (and closing) quote.</summary>
    public static string Unquote(string? word)
    {
        if (string.IsNullOrEmpty(word))
        {
            return "";
        }

        var text = IsQuote(word[0]) ? word[1..] : word;
        return text.Length > 0 && IsQuote(text[^1]) ? text[..^1] : text;
    }

    /// <summary>The text to insert: quoted (single quotes, embedded quotes doubled) unless it is a plain word.</summary>
    public static string Quote(string text) =>
        PlainWord().IsMatch(text) ? text : "'" + SingleQuotes().Replace(text, "$0$0") + "'";

    /// <summary>A wildcard pattern matching names that start with <paramref name="prefix"/> literally.</summary>
    public static string PrefixPattern(string prefix)
    {
        var pattern = new StringBuilder();
        foreach (var c in prefix)
        {
            if (c is '*' or '?' or '[' or ']' or '`')
            {
                pattern.Append('`');
            }

            pattern.Append(c);
        }

        return pattern.Append('*').ToString();
    }

    /// <summary>
    /// The session the command line would use: its -Store (or -Path) and client, else the most recent. The
    /// client is -AsClient; -Client only for commands where it picks the session (for the clients,
    /// permissions and audit cmdlets, -Client is what the command is about).
    /// </summary>
    public static Session? FindSession(IDictionary? bound, string? commandName = null)
    {
        var store = Text(bound, "Store") ?? Text(bound, "Path");
        var client = Text(bound, "AsClient") ?? (PicksSessionWithAsClient(commandName) ? null : Text(bound, "Client"));
        var sessions = SessionRegistry.All;
        for (var i = sessions.Count - 1; i >= 0; i--)
        {
            var session = sessions[i];
            if ((store is null || SameStore(session.Store.Path, store))
                && (client is null || string.Equals(session.ClientName, client, StringComparison.OrdinalIgnoreCase) || string.Equals(session.ClientId.ToString(), client, StringComparison.OrdinalIgnoreCase)))
            {
                return session;
            }
        }

        return null;
    }

    /// <summary>A bound parameter's value as text (the first element of an array); null when absent.</summary>
    public static string? Text(IDictionary? bound, string name)
    {
        if (bound is null || !bound.Contains(name))
        {
            return null;
        }

        var value = PowerShellValues.Unwrap(bound[name]);
        if (value is IEnumerable sequence and not string)
        {
            value = PowerShellValues.Unwrap(sequence.Cast<object?>().FirstOrDefault());
        }

        return value?.ToString() is { Length: > 0 } text ? text : null;
    }

    /// <summary>True for a SecretOps cmdlet that has -AsClient (its session is never picked with -Client).</summary>
    public static bool PicksSessionWithAsClient(string? commandName)
    {
        if (string.IsNullOrEmpty(commandName))
        {
            return false;
        }

        // A module-qualified name (SecretOps\Grant-SecretPermission) names the same cmdlet.
        var name = commandName[(commandName.LastIndexOf('\\') + 1)..];
        return AsClientCommands.Value.Contains(name);
    }

    /// <summary>The verb (Get, Grant, …) of a <c>Verb-Noun</c> command name, module-qualified or not; empty when there is none.</summary>
    public static string Verb(string? commandName)
    {
        var name = commandName ?? "";
        name = name[(name.LastIndexOf('\\') + 1)..];
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 ? name[..dash] : "";
    }

    public static CompletionResult Result(string value, string toolTip) =>
        new(Quote(value), value, CompletionResultType.ParameterValue, string.IsNullOrEmpty(toolTip) ? value : toolTip);

    /// <summary>A typed store path matches a session's full path, its tail (relative paths), or its file name.</summary>
    public static bool SameStore(string sessionPath, string typed)
    {
        var comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var normalized = typed.Replace('\\', '/').TrimStart('.', '/');
        var full = sessionPath.Replace('\\', '/');
        return string.Equals(full, typed.Replace('\\', '/'), comparison)
               || (normalized.Length > 0 && full.EndsWith("/" + normalized, comparison));
    }

    /// <summary>The cmdlets of this module that declare -AsClient, found once from their attributes.</summary>
    private static readonly Lazy<HashSet<string>> AsClientCommands = new(() =>
        typeof(CompletionSupport).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetProperty("AsClient") is not null)
            .Select(t => t.GetCustomAttribute<CmdletAttribute>())
            .OfType<CmdletAttribute>()
            .Select(a => $"{a.VerbName}-{a.NounName}")
            .ToHashSet(StringComparer.OrdinalIgnoreCase));

    private static bool IsQuote(char c) => c is '\'' or '"' or '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u201C' or '\u201D' or '\u201E';

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9._/\\:-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainWord();

    [GeneratedRegex("['\u2018\u2019\u201A\u201B]", RegexOptions.CultureInvariant)]
    private static partial Regex SingleQuotes();
}

/// <summary>
/// What every completer shares: the typed word unquoted, at most <see cref="CompletionSupport.MaxResults"/>
/// results, and never an exception, because completion must never disturb the command line.
/// </summary>
public abstract class SafeCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            return Complete(commandName, CompletionSupport.Unquote(wordToComplete), fakeBoundParameters).Take(CompletionSupport.MaxResults).ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }

    /// <summary>The candidates for <paramref name="prefix"/>.</summary>
    private protected abstract IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound);
}

/// <summary>A completer that lists through the session the command line would use (nothing when there is none).</summary>
public abstract class SessionCompleter : SafeCompleter
{
    private protected sealed override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound) =>
        CompletionSupport.FindSession(bound, commandName) is { } session ? Complete(session, commandName, prefix, bound) : [];

    /// <summary>The candidates for <paramref name="prefix"/>, listed through <paramref name="session"/>.</summary>
    private protected abstract IEnumerable<CompletionResult> Complete(Session session, string commandName, string prefix, IDictionary bound);
}

/// <summary>Completes secret names in the namespace the command line names (or the session's default).</summary>
public sealed class SecretNameCompleter : SessionCompleter
{
    private protected override IEnumerable<CompletionResult> Complete(Session session, string commandName, string prefix, IDictionary bound)
    {
        var ns = CompletionSupport.Text(bound, "Namespace") ?? ConnectionState.DefaultNamespace(session);
        return session.ListSecrets(ns, CompletionSupport.PrefixPattern(prefix), includeExpired: false)
            .Select(e => CompletionSupport.Result(e.Name, $"{e.Namespace}/{e.Name} ({e.Type}, version {e.Version})"));
    }
}

/// <summary>Completes namespace names this client can see.</summary>
public sealed class NamespaceCompleter : SessionCompleter
{
    private protected override IEnumerable<CompletionResult> Complete(Session session, string commandName, string prefix, IDictionary bound) =>
        session.ListNamespaces()
            .Where(n => n.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => CompletionSupport.Result(n.Name, $"{n.Name} ({n.SecretCount} secrets){(string.IsNullOrEmpty(n.Description) ? "" : ": " + n.Description)}"));
}

/// <summary>Completes the clients connected in this process (to the store named by -Store, if any).</summary>
public sealed class ClientCompleter : SafeCompleter
{
    private protected override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound)
    {
        var store = CompletionSupport.Text(bound, "Store");
        return SessionRegistry.All
            .Where(s => store is null || CompletionSupport.SameStore(s.Store.Path, store))
            .Where(s => s.ClientName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .GroupBy(s => s.ClientName, StringComparer.OrdinalIgnoreCase)
            .Select(g => CompletionSupport.Result(g.Key, $"{g.Key} ({g.First().Role}) on {string.Join(", ", g.Select(s => s.Store.Path))}"));
    }
}

/// <summary>Completes the store paths of the sessions connected in this process.</summary>
public sealed class StorePathCompleter : SafeCompleter
{
    private protected override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound)
    {
        var comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return SessionRegistry.All
            .Select(s => s.Store.Path)
            .Distinct(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase)
            .Where(p => p.StartsWith(prefix, comparison) || Path.GetFileName(p).StartsWith(prefix, comparison))
            .Select(p => CompletionSupport.Result(p, p));
    }
}

/// <summary>
/// Completes the names of the store's clients (the subject of the clients and permissions cmdlets), listed
/// through the session the command line would use. Retired clients are offered only to Get- commands:
/// nothing else can be done with them.
/// </summary>
public sealed class ClientNameCompleter : SessionCompleter
{
    private protected override IEnumerable<CompletionResult> Complete(Session session, string commandName, string prefix, IDictionary bound)
    {
        var includeRetired = string.Equals(CompletionSupport.Verb(commandName), "Get", StringComparison.OrdinalIgnoreCase);
        return session.ListClients()
            .Where(c => c.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Where(c => includeRetired || c.Status != ClientStatus.Retired)
            .Select(c => CompletionSupport.Result(c.Name, $"{c.Name} ({c.Role}, {c.Kind}, {c.Status}){(string.IsNullOrEmpty(c.Description) ? "" : ": " + c.Description)}"));
    }
}

/// <summary>Completes the audit action names (<see cref="AuditActions.All"/>) for an -Action filter.</summary>
public sealed class AuditActionCompleter : SafeCompleter
{
    private protected override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound) =>
        AuditActions.All
            .Where(a => a.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(a => CompletionSupport.Result(a, a));
}

/// <summary>
/// Completes the client to connect as, for the store -Path names (or the default store: SECRETOPS_STORE, the
/// profile's, the platform's). Core lists a store's clients only to an authenticated client, so the names come
/// from this process's sessions to that store: the clients connected to it, then its active clients as listed
/// through the most recent of those sessions that may list them. A store with no session here offers nothing.
/// </summary>
public sealed class ConnectClientCompleter : SafeCompleter
{
    private protected override IEnumerable<CompletionResult> Complete(string commandName, string prefix, IDictionary bound)
    {
        var store = CompletionSupport.Text(bound, "Path")
                    ?? Connector.Resolve(new ConnectionRequest { Profile = CompletionSupport.Text(bound, "Profile") }).Store;
        var sessions = SessionRegistry.All.Where(s => CompletionSupport.SameStore(s.Store.Path, store)).Reverse().ToList();
        return sessions.Select(s => (Name: s.ClientName, Tip: $"{s.ClientName} ({s.Role}), connected"))
            .Concat(ActiveClients(sessions))
            .Where(c => c.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(c => c.Name, StringComparer.OrdinalIgnoreCase)
            .Select(c => CompletionSupport.Result(c.Name, c.Tip));
    }

    private static IEnumerable<(string Name, string Tip)> ActiveClients(IEnumerable<Session> sessions)
    {
        foreach (var session in sessions.Where(s => s.Role != ClientRole.Member))
        {
            try
            {
                return session.ListClients()
                    .Where(c => c.Status == ClientStatus.Active)
                    .Select(c => (c.Name, $"{c.Name} ({c.Role}, {c.Kind}){(string.IsNullOrEmpty(c.Description) ? "" : ": " + c.Description)}"))
                    .ToList();
            }
            catch (SecretOpsException)
            {
                // A session that has locked itself or lost its rights lists nothing; the next one may.
            }
        }

        return [];
    }
}
