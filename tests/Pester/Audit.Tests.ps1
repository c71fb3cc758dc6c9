#Requires -Version 7.4
# Audit cmdlets: Get-SecretAuditLog, Test-SecretAuditLog. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Audit' -Tag Hosted {
    BeforeEach {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
    }
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'lists entries oldest first, with filters' {
        Set-SecretValue -Name a -Value 'v'
        $null = Get-SecretValue a
        $entries = Get-SecretAuditLog
        $entries[0].PSObject.TypeNames[0] | Should -Be 'SecretOps.AuditEntry'
        $entries[0].Action | Should -Be 'store.create'
        $entries.Action | Should -Contain 'secret.set'
        $entries.Action | Should -Contain 'secret.get'
        (Get-SecretAuditLog -Last 2).Count | Should -Be 2
        (Get-SecretAuditLog -Action secret.set).Target | Should -Be 'a'
        (Get-SecretAuditLog -Client system).Count | Should -BeGreaterThan 0
        Get-SecretAuditLog -Client nobody | Should -BeNullOrEmpty
        Get-SecretAuditLog -Since (Get-Date).AddHours(1) | Should -BeNullOrEmpty
    }

    It 'refuses -Last 0 without naming the CLI''s --last' {
        $err = Get-FirstError { Get-SecretAuditLog -Last 0 }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        "$err" | Should -Match 'at least 1'
        "$err" | Should -Not -Match '--last'
    }

    It 'records a read when the command ends, and failed reads with their error id' {
        Set-SecretValue -Name a -Value 'v'
        $null = Get-SecretValue a
        $last = Get-SecretAuditLog -Action secret.get -Last 1
        $last.Target | Should -Be 'a'
        $last.Outcome | Should -Be 'ok'
        $last.Surface | Should -Be 'cmdlet'

        $null = Get-SecretValue missing -ErrorAction SilentlyContinue
        $failed = Get-SecretAuditLog -Action secret.get -Last 1
        $failed.Outcome | Should -Be 'failed'
        $failed.ErrorId | Should -Be 'SecretOps.NotFound'
    }

    It 'records the reads of one pipeline in few transactions, not one per secret' {
        1..5 | ForEach-Object { Set-SecretValue -Name "s$_" -Value 'v' }
        $before = (Get-SecretOpsStore).AuditEntries
        $null = Get-SecretEntry | Get-SecretValue
        $after = (Get-SecretOpsStore).AuditEntries
        $after - $before | Should -Be 6 -Because 'one list and five reads are recorded'
    }

    It 'records every connect, with the client and the surface' {
        $connects = @(Get-SecretAuditLog -Action client.connect)
        $connects.Count | Should -Be 1 -Because 'BeforeEach connected once'
        $connects[0].ClientName | Should -Be 'system'
        $connects[0].Surface | Should -Be 'cmdlet'
        $connects[0].Outcome | Should -Be 'ok'

        $null = Connect-TestStore $script:Store
        @(Get-SecretAuditLog -Action client.connect).Count | Should -Be 2
        $null = Connect-SecretOpsStore -Path $script:Store -Passphrase (ConvertTo-SecureString 'wrong' -AsPlainText -Force) -ErrorAction SilentlyContinue
        $all = @(Get-SecretAuditLog -Action client.connect)
        $all.Count | Should -Be 3
        $all[-1].Outcome | Should -Be 'failed'
    }

    It 'verifies the chain' {
        $result = Test-SecretAuditLog
        $result.PSObject.TypeNames[0] | Should -Be 'SecretOps.AuditVerification'
        $result.IsValid | Should -BeTrue
        $result.EntriesChecked | Should -BeGreaterThan 0
        Test-SecretAuditLog -Quiet | Should -BeExactly $true
    }
}
