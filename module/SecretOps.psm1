# Loads SecretOps' engine into its own AssemblyLoadContext so its SQLite and YamlDotNet never clash with
# another module's copies, then imports the cmdlets from it.
$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
$binPath = [IO.Path]::Combine($PSScriptRoot, 'bin')

$isReload = $true
if (-not ('SecretOps.LoadContext' -as [type])) {
    Add-Type -Path ([IO.Path]::Combine($binPath, 'SecretOps.dll'))
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
