using System.Management.Automation;

namespace SecretOps.Module.Commands;

/// <summary>
/// Test-SecretAuditLog: verifies the audit log's hash chain and reports the first broken link. Works on
/// the connected session's store, or on -Store without a session (the chain needs no key).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SecretAuditLog", DefaultParameterSetName = DetailSet)]
[OutputType(typeof(AuditVerification), ParameterSetName = [DetailSet])]
[OutputType(typeof(bool), ParameterSetName = [QuietSet])]
public sealed class TestSecretAuditLogCommand : AuditCmdlet
{
    private const string DetailSet = "Detail";
    private const string QuietSet = "Quiet";

    /// <summary>Return only true or false.</summary>
    [Parameter(ParameterSetName = QuietSet, Mandatory = true, HelpMessage = "Return only $true (the chain is intact) or $false.")]
    public SwitchParameter Quiet { get; set; }

    private protected override bool RequiresSession => false;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var result = OpenStore().VerifyAudit();
            if (!result.IsValid)
            {
                WriteVerbose($"The audit chain is broken at entry {result.FirstBrokenSequence}: {result.Problem}");
            }

            WriteObject(Quiet ? result.IsValid : result);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Store);
        }
    }
}
