#Requires -Version 7.4
<#
.SYNOPSIS
    Packs a built module folder into SecretOps-<version>.zip, laid out as SecretOps/<version>/ so that
    expanding it into any folder on PSModulePath makes `Import-Module SecretOps` work by name.

.DESCRIPTION
    Called by `build.ps1 -Task Package` after the build; the Pester suite calls it on the built module to
    prove the artifact a user installs. Writes the path of the zip it made.

.EXAMPLE
    ./tools/New-ModulePackage.ps1 -ModuleFolder out/SecretOps -Destination out
    Expand-Archive out/SecretOps-0.1.0.zip -DestinationPath ($env:PSModulePath -split [IO.Path]::PathSeparator)[0]
#>
[CmdletBinding()]
[OutputType([string])]
param(
    # The assembled module folder (out/SecretOps after a build).
    [Parameter(Mandatory)]
    [string] $ModuleFolder,

    # The folder the zip is written to.
    [Parameter(Mandatory)]
    [string] $Destination
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$manifestPath = Join-Path $ModuleFolder 'SecretOps.psd1'
$manifest = Test-ModuleManifest -Path $manifestPath
$version = $manifest.Version.ToString()

$staging = [IO.Directory]::CreateTempSubdirectory('secretops-package-').FullName
try {
    $versionFolder = [IO.Path]::Combine($staging, 'SecretOps', $version)
    $null = New-Item -ItemType Directory -Path $versionFolder
    Copy-Item -Path (Join-Path $ModuleFolder '*') -Destination $versionFolder -Recurse
    $null = New-Item -ItemType Directory -Path $Destination -Force
    $zip = Join-Path ([IO.Path]::GetFullPath($Destination)) "SecretOps-$version.zip"
    Compress-Archive -Path (Join-Path $staging 'SecretOps') -DestinationPath $zip -Force
    $zip
}
finally {
    Remove-Item -LiteralPath $staging -Recurse -Force
}
