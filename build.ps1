#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages SecretOps.

.DESCRIPTION
    Build   - dotnet build: the module folder out/SecretOps/, the CLI in out/cli/ and the server in out/server/.
    Test    - Build, then the xunit suites and the Pester suite in tests/Pester/ against the built module in a
              fresh pwsh (tests/Pester/Invoke-PesterSuite.ps1), as the README's test command does.
    Package - Build, then out/SecretOps-<version>.zip: the module as SecretOps/<version>/, ready to expand
              into a folder on PSModulePath and import by name (tools/New-ModulePackage.ps1).

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
    # Pester in a fresh pwsh against the built module folder (the README's test command does the same).
    Invoke-Native (Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')) @('-NoProfile', '-File', (Join-Path $root 'tests' 'Pester' 'Invoke-PesterSuite.ps1'))
}

function Invoke-Package {
    & (Join-Path $root 'tools' 'New-ModulePackage.ps1') -ModuleFolder $moduleFolder -Destination (Join-Path $root 'out')
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Build; Invoke-Test }
    'Package' { Invoke-Build; Invoke-Package }
}
