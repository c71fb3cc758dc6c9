using System.Management.Automation;
using SecretOps.Core;
using SecretOps.Core.Configuration;

namespace SecretOps.Module.Commands;

/// <summary>
/// Base of the cmdlets that work through a connected session. <c>-Store</c> (and a client, see
/// <see cref="SessionCmdlet"/>) pick a session from <see cref="SessionRegistry"/>; with neither, the most
/// recently connected one. Without a session the command stops with SecretOps.NotConnected, unless it
/// can work on the store file alone (<see cref="RequiresSession"/>). Reads made through the session are
/// written to the audit log once, when the command ends.
/// </summary>
public abstract class StoreSessionCmdlet : SecretOpsCmdlet, IDisposable
{
    private string? storePath;
    private SecretStore? openedStore;
    private bool flushed;

    /// <summary>The store whose session to use (a path; the session must be connected).</summary>
    [Parameter(HelpMessage = "Path of the store whose connected session to use. Default: the most recently connected session.")]
    [ArgumentCompleter(typeof(StorePathCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Store { get; set; }

    /// <summary>The client (name or id) whose session to pick; null for any.</summary>
    private protected abstract string? SelectedClient { get; }

    /// <summary>False for commands that can also work on an unconnected store file (no credential needed).</summary>
    private protected virtual bool RequiresSession => true;

    /// <summary>The session picked in BeginProcessing; null only when <see cref="RequiresSession"/> is false.</summary>
    private protected Session? CurrentSession { get; set; }

    /// <summary>The session; only for commands that require one.</summary>
    private protected Session Session => CurrentSession ?? throw new InvalidOperationException("This command has no session.");

    /// <summary>The store file: the session's, or -Store, or the one configuration resolves to.</summary>
    private protected string StorePath =>
        CurrentSession?.Store.Path ?? storePath
        ?? (storePath = Connector.Resolve(new ConnectionRequest { Client = SelectedClient, Surface = CmdletSurface }).Store);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The session's store, or the store file opened without a session.</summary>
    private protected SecretStore OpenStore() => CurrentSession?.Store ?? (openedStore ??= SecretStore.Open(StorePath));

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        try
        {
            storePath = Store is null ? null : ResolveStoreLocation(Store, nameof(Store));
        }
        catch (SecretOpsException e)
        {
            ThrowTerminatingError(e.ToErrorRecord(Store));
        }

        CurrentSession = SessionRegistry.Find(storePath, SelectedClient);
        if (CurrentSession is null)
        {
            if (RequiresSession)
            {
                ThrowTerminatingError(ErrorMapping.NotConnected(storePath, SelectedClient));
            }

            WriteVerbose("No connected session: working on the store file directly.");
            return;
        }

        WriteVerbose($"Using the session of client '{CurrentSession.ClientName}' on '{CurrentSession.Store.Path}'.");
    }

    /// <summary>Writes the audit entries of the reads this command made (one transaction).</summary>
    protected override void EndProcessing() => FlushAudit(report: true);

    /// <summary>Flushes the audit entries if EndProcessing did not run (a stopped pipeline, a terminating error).</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            FlushAudit(report: false);
        }
    }

    /// <summary>Stops using the session (it was disconnected by this command).</summary>
    private protected void ForgetSession()
    {
        flushed = true;
        CurrentSession = null;
    }

    private void FlushAudit(bool report)
    {
        if (flushed || CurrentSession is null)
        {
            return;
        }

        flushed = true;
        try
        {
            CurrentSession.FlushAudit();
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            if (report)
            {
                WriteFailure(e, CurrentSession.Store.Path);
            }
        }
    }
}

/// <summary>A session-based cmdlet that picks the session by store and client (<c>-Store</c>, <c>-Client</c>).</summary>
public abstract class SessionCmdlet : StoreSessionCmdlet
{
    /// <summary>The connected client (name or id) whose session to use.</summary>
    [Parameter(HelpMessage = "Name or id of the connected client whose session to use. Default: the most recently connected client of the store.")]
    [ArgumentCompleter(typeof(ClientCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Client { get; set; }

    private protected override string? SelectedClient => Client;
}

/// <summary>
/// A session-based cmdlet whose subject is a client (the clients and permissions families): <c>-Client</c>
/// or <c>-Name</c> names the client the command is about, so the session is picked with <c>-Store</c> and
/// <c>-AsClient</c>, as in the audit family.
/// </summary>
public abstract class AsClientSessionCmdlet : StoreSessionCmdlet
{
    /// <summary>The connected client (name or id) whose session to use.</summary>
    [Parameter(HelpMessage = "Name or id of the connected client whose session to use (an admin, or a client holding Permit). Default: the most recently connected client of the store.")]
    [ArgumentCompleter(typeof(ClientCompleter))]
    [ValidateNotNullOrEmpty]
    public string? AsClient { get; set; }

    private protected override string? SelectedClient => AsClient;
}
