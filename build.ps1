#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages SecretOps.

.DESCRIPTION
    Build   - dotnet build: the module folder out/SecretOps/ and the CLI in out/cli/.
    Test    - Build, then the xunit suites (the same command CI runs), then the Pester suite in
              tests/Pester/ against the built module in a fresh pwsh, when Pester 5 is installed.
    Package - Build, then out/SecretOps-<version>.zip of the module folder.

.EXAMPLE
    ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$moduleFolder = Join-Path $root 'out' 'SecretOps'

function Invoke-Native([string] $FilePath, [string[]] $Arguments) {
    & $FilePath @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $root 'SecretOps.sln'), '-c', $Configuration)
}

function Invoke-Test {
    Invoke-Native dotnet @('test', (Join-Path $root 'SecretOps.sln'), '-c', $Configuration)

    $pester = Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0' | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) {
        Write-Warning 'Pester 5 is not installed: the Pester suite in tests/Pester was NOT run (Install-Module Pester -MinimumVersion 5.0).'
        return
    }
    if (-not (Get-ChildItem (Join-Path $root 'tests' 'Pester') -Filter '*.Tests.ps1' -ErrorAction SilentlyContinue)) {
        Write-Host 'No Pester tests yet in tests/Pester.'
        return
    }

    # A binary module cannot be unloaded, so Pester runs in a fresh pwsh against the built folder.
    $script = "Import-Module Pester -MinimumVersion 5.0; `$env:SECRETOPS_MODULE = '$moduleFolder'; " +
        "`$r = Invoke-Pester -Path '$(Join-Path $root 'tests' 'Pester')' -Output Detailed -PassThru; exit `$r.FailedCount"
    Invoke-Native (Get-Process -Id $PID).Path @('-NoProfile', '-NonInteractive', '-Command', $script)
}

function Invoke-Package {
    $version = (Import-PowerShellDataFile (Join-Path $moduleFolder 'SecretOps.psd1')).ModuleVersion
    $zip = Join-Path $root 'out' "SecretOps-$version.zip"
    Compress-Archive -Path $moduleFolder -DestinationPath $zip -Force
    Write-Host "Packaged $zip"
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Build; Invoke-Test }
    'Package' { Invoke-Build; Invoke-Package }
}
