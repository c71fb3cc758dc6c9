#Requires -Version 7.4
# The artifact a user installs: tools/New-ModulePackage.ps1 packs the built module, the zip is expanded into a
# folder on PSModulePath, and a fresh pwsh imports SecretOps by name from there (Start-Runbook in Common.ps1).
# See Common.ps1 for the setup every file shares.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Package = New-TestPackage
    $script:Installed = [IO.Path]::Combine($script:Package.ModulesFolder, 'SecretOps', $script:Package.Version)
}
AfterAll { Restore-TestEnvironment }

Describe 'The packaged module' {
    It 'is SecretOps-VERSION.zip holding SecretOps/VERSION/ with the manifest and the vault extension' {
        Split-Path $script:Package.Zip -Leaf | Should -Be "SecretOps-$($script:Package.Version).zip"
        @(Get-ChildItem -LiteralPath $script:Package.ModulesFolder).Name | Should -Be @('SecretOps')
        @(Get-ChildItem -LiteralPath (Join-Path $script:Package.ModulesFolder 'SecretOps')).Name | Should -Be @($script:Package.Version)
        Join-Path $script:Installed 'SecretOps.psd1' | Should -Exist
        Join-Path $script:Installed 'SecretOps.Extension' 'SecretOps.Extension.psd1' | Should -Exist
    }

    It 'imports by name in a fresh pwsh, passes Test-ModuleManifest, lists its cmdlets and creates and reads a store' {
        # Only the expanded package and PowerShell's own modules on PSModulePath: SecretOps can come from nowhere else.
        $environment = New-RunbookEnvironment $script:Package.ModulesFolder
        $environment.PSModulePath = $script:Package.ModulesFolder + [IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')
        $run = Invoke-Runbook -Environment $environment -Parameters @{ Store = New-TestStorePath } -Script @'
param([string] $Store)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
$module = Get-Module SecretOps
$manifest = Test-ModuleManifest -Path (Join-Path $module.ModuleBase 'SecretOps.psd1')
$passphrase = ConvertTo-SecureString 'a passphrase for the package test' -AsPlainText -Force
$null = New-SecretOpsStore -Path $Store -Passphrase $passphrase -KdfMemoryMiB 1 -KdfIterations 1 -KdfParallelism 1 -AllowWeakKdf
$null = Connect-SecretOpsStore -Path $Store -Passphrase $passphrase
$null = Set-SecretValue -Name db-password -Value 'read back from the packaged module'
[pscustomobject]@{
    ModuleBase      = $module.ModuleBase
    Version         = "$($module.Version)"
    ManifestName    = $manifest.Name
    ManifestVersion = "$($manifest.Version)"
    Commands        = @(Get-Command -Module SecretOps | ForEach-Object Name | Sort-Object)
    Value           = Get-SecretValue -Name db-password -AsPlainText
} | ConvertTo-Json -Compress
'@
        Assert-RunbookSucceeded $run
        $result = $run.Output | ConvertFrom-Json
        $result.ModuleBase | Should -Be $script:Installed
        $result.Version | Should -Be $script:Package.Version
        $result.ManifestName | Should -Be 'SecretOps'
        $result.ManifestVersion | Should -Be $script:Package.Version
        $result.Commands | Should -Be (@($script:Manifest.CmdletsToExport) | Sort-Object)
        $result.Value | Should -Be 'read back from the packaged module'
    }
}
