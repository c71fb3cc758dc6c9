# Loads SecretOps' engine into its own AssemblyLoadContext so its SQLite and YamlDotNet never clash with
# another module's copies, then imports the cmdlets from it.
# Looked up as a cmdlet by its qualified name: Get-Command would search PATH for it too, which a cold import paid for.
$importModule = $ExecutionContext.InvokeCommand.GetCmdlet('Microsoft.PowerShell.Core\Import-Module')
$binPath = [IO.Path]::Combine($PSScriptRoot, 'bin')

$isReload = $true
if (-not ('SecretOps.LoadContext' -as [type])) {
    $null = [Reflection.Assembly]::LoadFrom([IO.Path]::Combine($binPath, 'SecretOps.dll'))
    $isReload = $false
}

$moduleAssembly = [SecretOps.LoadContext]::Initialize($binPath)
$innerModule = & $importModule -Assembly $moduleAssembly -PassThru:$isReload

# Import-Module -Force re-imports the same assembly without re-exporting its cmdlets
# (PowerShell/PowerShell#20710): add them to this module explicitly.
if ($innerModule) {
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($cmd in $innerModule.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmd))
    }
}
