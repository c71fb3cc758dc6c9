using System.Management.Automation;
using SecretOps.Core.Policy;

namespace SecretOps.Module.Commands;

/// <summary>
/// Import-SecretOpsPolicy: makes the store match a policy file (System and Admin clients only), as a diff:
/// namespaces and key-file or generated clients created, roles, descriptions, statuses and retention set,
/// missing permissions granted and, with -Prune, permissions the policy lacks revoked (rotating keys). The
/// whole file is checked first: a policy with any problem changes nothing. Each step is confirmed on its
/// own (ShouldProcess); with -WhatIf the plan is the output (one object per step, Status Planned) and
/// nothing changes. Outputs each applied step; a step that created a generated client carries its secret,
/// shown this once. Importing the same policy again does nothing.
/// </summary>
[Cmdlet(VerbsData.Import, "SecretOpsPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(PolicyChangeInfo))]
public sealed class ImportSecretOpsPolicyCommand : SessionCmdlet
{
    /// <summary>The policy file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Path of the policy YAML file to apply (as written by Export-SecretOpsPolicy).")]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Also revoke what the policy lacks.</summary>
    [Parameter(HelpMessage = "Also revoke permissions the policy does not list (keys are rotated where Read or Write goes). Default: only add and change.")]
    public SwitchParameter Prune { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            var fullPath = ResolveFilePath(Path, nameof(Path));
            var plan = Session.PlanPolicy(PolicyDocument.ReadFile(fullPath), Prune);
            if (plan.IsEmpty)
            {
                WriteVerbose($"The store already matches '{fullPath}': nothing to do.");
                return;
            }

            WriteVerbose($"Applying '{fullPath}' takes {plan.Changes.Count} step(s).");
            Apply(plan);
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Path);
        }
    }

    /// <summary>Confirms and applies each step on its own; stops at the first failure (what follows may depend on it).</summary>
    private void Apply(PolicyPlan plan)
    {
        var steps = plan.Changes.Count;
        var applied = 0;
        for (var i = 0; i < steps; i++)
        {
            var change = plan.Changes[i];
            var step = $"policy step {i + 1} of {steps}: {change.Description}";
            if (!ShouldProcess("Apply " + step, $"Apply {step}?", "Import-SecretOpsPolicy", out var reason))
            {
                if (reason == ShouldProcessReason.WhatIf)
                {
                    WriteObject(new PolicyChangeInfo(i + 1, steps, change, PolicyChangeInfo.Planned));
                }

                continue;
            }

            IReadOnlyDictionary<string, string> secrets;
            try
            {
                // One step at a time, so each is confirmed and reported on its own; Core returns the secrets
                // of the generated clients this step created.
                secrets = Session.ApplyPolicy(new PolicyPlan([change]));
            }
            catch (Exception e) when (ErrorMapping.IsExpected(e))
            {
                WriteFailure(e, Path);
                WriteWarning($"Stopped at {step}. {applied} earlier step(s) were applied; fix the problem and import again: only what still differs is applied.");
                return;
            }

            applied++;
            if (secrets.Count == 0)
            {
                WriteObject(new PolicyChangeInfo(i + 1, steps, change, PolicyChangeInfo.Applied));
                continue;
            }

            foreach (var (client, secret) in secrets)
            {
                WriteWarning($"The generated secret of client '{client}' is in the ClientSecret property of this output and is shown only this once. " +
                             "Store it now (for example in a file only its user can read, for Connect-SecretOpsStore -SecretFile); it cannot be recovered, only replaced with Update-SecretClientKey.");
                WriteObject(new PolicyChangeInfo(i + 1, steps, change, PolicyChangeInfo.Applied, client, secret));
            }
        }
    }
}
