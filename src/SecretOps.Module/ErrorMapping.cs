using System.Management.Automation;

namespace SecretOps.Module;

/// <summary>Turns Core's typed errors into PowerShell error records with the stable SecretOps error id.</summary>
internal static class ErrorMapping
{
    public static ErrorRecord ToErrorRecord(this SecretOpsException exception, object? target = null) =>
        new(exception, exception.ErrorId, ToCategory(exception.Category), target ?? exception.Target);

    private static ErrorCategory ToCategory(SecretOpsErrorCategory category) => category switch
    {
        SecretOpsErrorCategory.InvalidArgument => ErrorCategory.InvalidArgument,
        SecretOpsErrorCategory.Tampered => ErrorCategory.InvalidData,
        _ => ErrorCategory.NotSpecified,
    };
}
