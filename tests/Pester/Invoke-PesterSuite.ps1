#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite in tests/Pester against the built module, in a fresh pwsh, and ends with one line:
    "Pester: N passed, N failed, N skipped".

.DESCRIPTION
    The README's test command runs this after the xunit suites (`dotnet pwsh -NoProfile -File ...`), once
    `dotnet test` has built out/SecretOps/ and restored Pester into out/test-modules/; and again, after the hosted CLI
    tests, with SECRETOPS_TEST_HOSTED=1 (the same as -Hosted): only the tests tagged 'Hosted' run, every store they
    make pushed to a server of its own (out/server) and used through it (tests/Pester/Common.ps1), and the last line
    reads "Pester (hosted): N passed, ...".

    - Pester: the version the build restores (tests/SecretOps.Module.Tests.csproj lays it out in
      out/test-modules/Pester); a missing Pester fails the run.
    - Microsoft.PowerShell.SecretManagement: taken from PSModulePath when installed; otherwise built from
      ../shared/third_party/build.sh into out/test-modules when that exists. Where neither works, the tests
      that need it are skipped with one message, except under CI=true, where that fails the run.
    - The suite runs in a child pwsh with a throwaway HOME, so SecretManagement's vault registry and every
      per-user file the tests touch are the child's own, never the user's.

.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Secrets.Tests.ps1
#>
[CmdletBinding()]
param(
    # Test files or folders to run (default: every *.Tests.ps1 beside this script).
    [string[]] $Path = @($PSScriptRoot),

    # The module folder to test (default: out/SecretOps, what the build assembles).
    [string] $ModuleFolder = [IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'SecretOps'),

    # Pester's output verbosity.
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Output = 'Normal',

    # Runs only the tests tagged 'Hosted', each store pushed to a server of its own (out/server) and used through it
    # (tests/Pester/Common.ps1). SECRETOPS_TEST_HOSTED=1 does the same.
    [switch] $Hosted
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Hosted = [bool] $Hosted -or $env:SECRETOPS_TEST_HOSTED -eq '1'

$root = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..', '..'))
$testModules = [IO.Path]::Combine($root, 'out', 'test-modules')
$inCI = $env:CI -eq 'true'
$ModuleFolder = [IO.Path]::GetFullPath($ModuleFolder)
$separator = [IO.Path]::PathSeparator

if (-not (Test-Path ([IO.Path]::Combine($ModuleFolder, 'SecretOps.psd1')))) {
    throw "No built module in '$ModuleFolder': run 'dotnet build SecretOps.sln -c Release' (or the README's test command) first."
}

$env:PSModulePath = $testModules + $separator + $env:PSModulePath
$pester = Get-Module -ListAvailable -Name Pester | Where-Object Version -GE '5.0' | Sort-Object Version -Descending | Select-Object -First 1
if (-not $pester) {
    throw "Pester 5 was not found in '$testModules' or on PSModulePath: 'dotnet build SecretOps.sln' restores it (tests/SecretOps.Module.Tests.csproj)."
}

if (-not (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)) {
    $builder = [IO.Path]::Combine($root, '..', 'shared', 'third_party', 'build.sh')
    if ((Test-Path $builder) -and -not $IsWindows) {
        Write-Host "Building Microsoft.PowerShell.SecretManagement from $([IO.Path]::GetFullPath($builder)) into $testModules"
        & bash $builder $testModules
        if ($LASTEXITCODE -ne 0) { throw "Building SecretManagement with $builder failed (exit code $LASTEXITCODE)." }
    }
    if (-not (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)) {
        $message = 'Microsoft.PowerShell.SecretManagement is not installed, so the tests that use it are skipped: ' +
            'Install-PSResource Microsoft.PowerShell.SecretManagement to run them.'
        if ($inCI) { throw "CI=true: $message" }
        Write-Warning $message
    }
}

# A fresh process: a binary module cannot be unloaded, and HOME must be the suite's own before
# SecretManagement first looks for its registry.
$homeFolder = [IO.Directory]::CreateTempSubdirectory('secretops-pester-home-').FullName
$childEnvironment = @{
    HOME             = $homeFolder
    USERPROFILE      = $homeFolder
    XDG_CONFIG_HOME  = [IO.Path]::Combine($homeFolder, '.config')
    XDG_DATA_HOME    = [IO.Path]::Combine($homeFolder, '.local', 'share')
    XDG_CACHE_HOME   = [IO.Path]::Combine($homeFolder, '.cache')
    SECRETOPS_MODULE = $ModuleFolder
    PSModulePath     = $env:PSModulePath
}
if ($Hosted) { $childEnvironment['SECRETOPS_TEST_HOSTED'] = '1' }
$childScript = {
    param([string[]] $Path, [string] $Output, [string] $PesterManifest, [bool] $Hosted)
    Import-Module $PesterManifest -ErrorAction Stop
    if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $Path
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = $Output
    # Colour codes only for a terminal; a CI log reads plain.
    $configuration.Output.RenderMode = [Console]::IsOutputRedirected ? 'Plaintext' : 'Auto'
    # A hosted run: only the tests that make sense against a server.
    if ($Hosted) { $configuration.Filter.Tag = 'Hosted' }
    $result = Invoke-Pester -Configuration $configuration
    # A hosted run makes stores ready ahead in thread jobs; the last file's may still be stopping their servers.
    $null = Get-Job | Wait-Job -Timeout 120
    $label = $Hosted ? 'Pester (hosted)' : 'Pester'
    $summary = '{0}: {1} passed, {2} failed, {3} skipped' -f $label, $result.PassedCount, $result.FailedCount, $result.SkippedCount
    if ($result.NotRunCount -gt 0) { $summary += ", $($result.NotRunCount) not run" }
    if ($result.FailedBlocksCount + $result.FailedContainersCount -gt 0) {
        Write-Host "${label}: $($result.FailedBlocksCount) setup blocks and $($result.FailedContainersCount) files failed."
    }
    Write-Host $summary
    $failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    exit ($failed -gt 0 -or $result.PassedCount -eq 0 ? 1 : 0)
}

$pwsh = [IO.Path]::Combine($PSHOME, $IsWindows ? 'pwsh.exe' : 'pwsh')
$start = [Diagnostics.ProcessStartInfo]::new($pwsh)
foreach ($argument in '-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand') { $start.ArgumentList.Add($argument) }
$command = "& { $childScript } -Path @('$(($Path | ForEach-Object { [IO.Path]::GetFullPath($_).Replace("'", "''") }) -join "','")') " +
    "-Output '$Output' -PesterManifest '$($pester.Path.Replace("'", "''"))' -Hosted `$$([bool] $Hosted)"
$start.ArgumentList.Add([Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($command)))
foreach ($name in $childEnvironment.Keys) { $start.Environment[$name] = $childEnvironment[$name] }
$start.UseShellExecute = $false

try {
    $process = [Diagnostics.Process]::Start($start)
    $process.WaitForExit()
    $exitCode = $process.ExitCode
}
finally {
    Remove-Item -LiteralPath $homeFolder -Recurse -Force -ErrorAction SilentlyContinue
}
exit $exitCode
