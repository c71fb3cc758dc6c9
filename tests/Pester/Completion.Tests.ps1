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
