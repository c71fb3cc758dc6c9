#Requires -Version 7.4
# Argument completers. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Argument completion' {
    BeforeAll {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
        New-SecretNamespace -Name operations | Out-Null
        Set-SecretValue -Name 'db-password' -Value 'v'
        Set-SecretValue -Name 'db password' -Value 'v'
        Set-SecretValue -Name 'web-token' -Value 'v' -Namespace operations
    }
    AfterAll { Disconnect-SecretOpsStore -All }

    It 'completes secret names from the session, quoting where needed' {
        $line = 'Get-SecretValue -Name db'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain 'db-password'
        $completions | Should -Contain "'db password'"
        $completions | Should -Not -Contain 'web-token'
    }

    It 'completes names in the namespace the command line names' {
        $line = 'Get-SecretValue -Namespace operations -Name w'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('web-token')
    }

    It 'completes namespaces and connected clients' {
        $line = 'Get-SecretEntry -Namespace op'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('operations')
        $line = 'Get-SecretEntry -Client sy'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('system')
    }

    It 'completes -Action of Get-SecretAuditLog with audit action names, not file names' {
        $line = 'Get-SecretAuditLog -Action secret.'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain 'secret.get'
        $completions | Should -Contain 'secret.set'
        $completions | ForEach-Object { $_ | Should -BeLike 'secret.*' }
        $line = 'Get-SecretAuditLog -Action '
        $all = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $all.CompletionText | Should -Contain 'client.connect'
        $all.ResultType | Should -Not -Contain 'ProviderItem'
    }

    It 'completes -Client of Connect-SecretOpsStore with the clients of the store -Path names, or the default store' {
        $null = New-SecretClient -Name completer-alice -Passphrase (ConvertTo-SecureString 'alice passphrase' -AsPlainText -Force)
        $line = "Connect-SecretOpsStore -Path '$script:Store' -Client comp"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('completer-alice')
        $line = "Connect-SecretOpsStore -Path '$script:Store' -Client sy"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('system')

        $env:SECRETOPS_STORE = $script:Store
        try {
            $line = 'Connect-SecretOpsStore -Client comp'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('completer-alice')
        }
        finally { Remove-Item Env:SECRETOPS_STORE }

        # A store with no session here: Core lists clients only to an authenticated client, so nothing (and no file names).
        $other = New-TestStore
        $line = "Connect-SecretOpsStore -Path '$other' -Client "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty
    }

    It 'offers nothing, and fails nothing, when not connected' {
        Disconnect-SecretOpsStore -All
        try {
            $line = 'Get-SecretValue -Name db'
            { TabExpansion2 -inputScript $line -cursorColumn $line.Length } | Should -Not -Throw
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Not -Contain 'db-password'
        }
        finally { $null = Connect-TestStore $script:Store }
    }
}
