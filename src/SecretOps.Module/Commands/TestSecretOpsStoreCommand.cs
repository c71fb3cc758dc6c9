using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Test-SecretOpsStore: SQLite's integrity check, every namespace key the client holds against its
/// canary, and the audit chain. Problems are reported in the result; -Quiet returns only whether it is healthy.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SecretOpsStore", DefaultParameterSetName = DetailSet)]
[OutputType(typeof(StoreCheckResult), ParameterSetName = [DetailSet])]
[OutputType(typeof(bool), ParameterSetName = [QuietSet])]
public sealed class TestSecretOpsStoreCommand : SessionCmdlet
{
    private const string DetailSet = "Detail";
    private const string QuietSet = "Quiet";

    /// <summary>Return only true or false.</summary>
    [Parameter(ParameterSetName = QuietSet, Mandatory = true, HelpMessage = "Return only $true (healthy) or $false.")]
    public SwitchParameter Quiet { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var result = Session.Check();
            if (!result.IsHealthy)
            {
                WriteVerbose($"Store '{Session.Store.Path}' is not healthy: integrity '{result.IntegrityCheck}', {result.KeyProblems.Count} key problem(s), audit chain {(result.Audit.IsValid ? "intact" : "broken")}.");
            }

            WriteObject(Quiet ? result.IsHealthy : result);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Session.Store.Path);
        }
    }
}
