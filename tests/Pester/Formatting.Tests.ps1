#Requires -Version 7.4
# Default views of the output types. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Formatting' {
    BeforeAll {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
        Set-SecretValue -Name shown -Value 'v' -TimeToLive '7d'
    }
    AfterAll { Disconnect-SecretOpsStore -All }

    It 'formats every output type as a table without errors' {
        $outputs = @(
            Get-SecretEntry
            Get-SecretVersion shown
            Get-SecretNamespace
            Get-SecretAuditLog -Last 3
            Test-SecretAuditLog
            Get-SecretOpsStore
            Test-SecretOpsStore
            Connect-TestStore $script:Store
        )
        foreach ($output in $outputs) {
            { $output | Format-Table | Out-String } | Should -Not -Throw
            ($output | Out-String) | Should -Not -BeNullOrEmpty
        }
        (Get-SecretEntry | Out-String) | Should -Match 'Namespace\s+Name\s+Type\s+Version'
    }

    It 'formats the client, permission, rotation and policy outputs as tables without errors' {
        $policy = Join-Path $TestDrive 'format-policy.yaml'
        Set-Content -Path $policy -Value "namespaces:`n  - name: formatted`n"
        $outputs = @(
            New-SecretClient -Name fmt -GenerateSecret -WarningAction SilentlyContinue
            Get-SecretClient
            Grant-SecretPermission -Client fmt -Namespace default -Permission Read -PassThru
            Get-SecretPermission
            Update-SecretNamespaceKey -Namespace default
            Import-SecretOpsPolicy -Path $policy -WhatIf
        )
        $outputs.Count | Should -BeGreaterOrEqual 7
        foreach ($output in $outputs) {
            { $output | Format-Table | Out-String } | Should -Not -Throw
            ($output | Out-String) | Should -Not -BeNullOrEmpty
        }
        (Get-SecretClient | Out-String) | Should -Match 'Name\s+Role\s+Kind\s+Status'
        (Get-SecretPermission | Out-String) | Should -Match 'Client\s+Namespace\s+Secret\s+Permissions'
    }
}
