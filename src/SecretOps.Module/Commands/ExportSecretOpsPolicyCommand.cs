using System.Management.Automation;
using SecretOps.Core.Storage;

namespace SecretOps.Module.Commands;

/// <summary>
/// Export-SecretOpsPolicy: the store's namespaces, clients and grants as policy YAML (System and Admin
/// clients only), to keep in git and apply with Import-SecretOpsPolicy. It holds no secret and no private
/// key (key-file clients carry their public key). Without -Path the YAML is the output; with -Path it is
/// written to a new owner-only file, and an existing file is replaced only with -Force.
/// </summary>
[Cmdlet(VerbsData.Export, "SecretOpsPolicy", DefaultParameterSetName = TextSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(string), ParameterSetName = [TextSet])]
[OutputType(typeof(FileInfo), ParameterSetName = [FileSet])]
public sealed class ExportSecretOpsPolicyCommand : SessionCmdlet
{
    private const string TextSet = "Text";
    private const string FileSet = "File";

    /// <summary>The file to write.</summary>
    [Parameter(ParameterSetName = FileSet, Mandatory = true, Position = 0, HelpMessage = "Path of the policy file to write (owner-only). It must not exist unless -Force is given. Default: output the YAML.")]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Replace an existing file.</summary>
    [Parameter(ParameterSetName = FileSet, HelpMessage = "Replace the file if it exists.")]
    public SwitchParameter Force { get; set; }

    /// <summary>Output the file.</summary>
    [Parameter(ParameterSetName = FileSet, HelpMessage = "Output the written file.")]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            if (Path is null)
            {
                WriteObject(Session.ExportPolicy().ToYaml());
                return;
            }

            var fullPath = ResolveFilePath(Path, nameof(Path));
            if (Directory.Exists(fullPath))
            {
                throw new InvalidParameterException(nameof(Path), $"'{fullPath}' is a directory; give the path of a file.");
            }

            var exists = File.Exists(fullPath);
            if (exists && !Force)
            {
                throw new ConflictException($"'{fullPath}' already exists; use -Force to replace it.", fullPath);
            }

            var yaml = Session.ExportPolicy().ToYaml();
            if (!ShouldProcess(fullPath, exists ? "Replace the file with the store's access policy" : "Write the store's access policy"))
            {
                return;
            }

            if (exists)
            {
                Replace(fullPath, yaml);
            }
            else
            {
                StoreFiles.WriteOwnerOnlyText(fullPath, yaml);
            }

            WriteVerbose($"Wrote the access policy of '{Session.Store.Path}' to '{fullPath}'.");
            if (PassThru)
            {
                WriteObject(new FileInfo(fullPath));
            }
        }
        catch (Exception e) when (ErrorMapping.IsExpected(e))
        {
            WriteFailure(e, Path ?? Session.Store.Path);
        }
    }

    /// <summary>Writes a new owner-only file next to the old one and renames it over it, so a failure leaves the old file whole.</summary>
    private static void Replace(string fullPath, string yaml)
    {
        var directory = System.IO.Path.GetDirectoryName(fullPath)!;
        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            StoreFiles.WriteOwnerOnlyText(temporary, yaml);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
