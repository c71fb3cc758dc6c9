using System.Management.Automation;

namespace SecretOps.Module;

/// <summary>
/// Shows Core's key-rotation progress with Write-Progress. Core reports synchronously, on the pipeline
/// thread, from inside the rotation's transaction, so this writes directly; <see cref="Progress{T}"/> would
/// post to a thread-pool thread, where WriteProgress is not allowed. Stopping the pipeline (Ctrl+C) throws
/// out of <see cref="Report"/> and rolls the whole rotation back.
/// </summary>
internal sealed class RotationProgressReporter : IProgress<RotationProgress>
{
    /// <summary>One progress bar per command; every namespace a retirement rotates reuses it.</summary>
    private const int ActivityId = 1;

    private readonly Cmdlet cmdlet;
    private ProgressRecord? shown;

    public RotationProgressReporter(Cmdlet cmdlet) => this.cmdlet = cmdlet;

    /// <inheritdoc />
    public void Report(RotationProgress value)
    {
        var record = new ProgressRecord(ActivityId, $"Rotating the keys of namespace '{value.Scope}'", $"{value.Done} of {value.Total} secret key(s) re-wrapped")
        {
            PercentComplete = value.Total > 0 ? (int)Math.Clamp(value.Done * 100L / value.Total, 0, 100) : 100,
        };
        cmdlet.WriteProgress(record);
        shown = record;
    }

    /// <summary>Removes the progress bar, if one was shown (safe in a finally block).</summary>
    public void Complete()
    {
        if (shown is null)
        {
            return;
        }

        shown.RecordType = ProgressRecordType.Completed;
        shown.PercentComplete = 100;
        var completed = shown;
        shown = null;
        try
        {
            cmdlet.WriteProgress(completed);
        }
        catch (PipelineStoppedException)
        {
            // Called from a finally block while the pipeline stops: the host clears the bar itself.
        }
    }
}
