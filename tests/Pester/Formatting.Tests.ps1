#Requires -Version 7.4
# Default views of the output types. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Formatting' -Tag Hosted {
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
        (Get-SecretEntry | Out-String -Width 120) | Should -Match 'Namespace\s+Name\s+Version\s+Expires\s+Type'
    }

    It 'shows each secret''s name, version and expiry at 80 columns' {
        $entry = Get-SecretEntry -Name shown
        $lines = (Get-SecretEntry | Out-String -Width 80) -split '\r?\n'
        $lines -match '^Namespace\s+Name\s+Version\s+Expires' | Should -HaveCount 1
        $row = $lines -match '\bshown\b'
        $row | Should -HaveCount 1
        $row[0] | Should -Match ('\bshown\s+1\s+' + [regex]::Escape($entry.ExpiresAt.LocalDateTime.ToString('yyyy-MM-dd HH:mm')))
    }

    It 'shows a generated secret whole, on lines of its own, at any width: <Command>' -ForEach @(
        @{ Command = 'New-SecretOpsStore'; Create = { New-SecretOpsStore -Path (New-TestStorePath) -GenerateSecret @WeakKdf -WarningAction SilentlyContinue } }
        @{ Command = 'New-SecretClient'; Create = { New-SecretClient -Name "shown-$([guid]::NewGuid().ToString('N').Substring(0, 8))" -GenerateSecret -WarningAction SilentlyContinue } }
    ) {
        $created = & $Create
        $secret = $created.ClientSecret
        $secret | Should -BeLike 'secretops_*'
        foreach ($width in 60, 80, 120, 200) {
            $lines = ($created | Out-String -Width $width) -split '\r?\n'
            $first = [array]::FindIndex([string[]] $lines, [Predicate[string]] { param($line) $line.StartsWith('secretops_') })
            $first | Should -BeGreaterOrEqual 0 -Because "the secret starts a line of its own at $width columns"
            # What a mouse selection of those lines gives: the secret and nothing else (no other column's text, no padding).
            $selected = for ($i = $first; $i -lt $lines.Count -and $lines[$i] -match '^[A-Za-z0-9_-]+$'; $i++) { $lines[$i] }
            ($selected -join '') | Should -BeExactly $secret -Because "the secret is whole at $width columns"
            if ($width -gt $secret.Length) { $lines[$first] | Should -BeExactly $secret }
        }
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
