#Requires -Version 7.4
# Namespace cmdlets: New-, Get-, Set-, Remove-SecretNamespace, Update-SecretNamespaceKey. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Namespaces' -Tag Hosted {
    BeforeEach {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
    }
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'creates, lists and filters namespaces' {
        $ns = New-SecretNamespace -Name ops -Description 'Operations' -MaxVersions 3
        $ns.PSObject.TypeNames[0] | Should -Be 'SecretOps.NamespaceInfo'
        $ns.MaxVersions | Should -Be 3
        'app1', 'app2' | New-SecretNamespace | Out-Null
        (Get-SecretNamespace).Name | Should -Be @('app1', 'app2', 'default', 'ops')
        (Get-SecretNamespace -Name 'app*').Name | Should -Be @('app1', 'app2')
        (Get-FirstError { Get-SecretNamespace -Name missing }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'refuses a duplicate (SecretOps.Conflict) and a bad name (SecretOps.InvalidParameter)' {
        New-SecretNamespace -Name ops | Out-Null
        (Get-FirstError { New-SecretNamespace -Name OPS }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        (Get-FirstError { New-SecretNamespace -Name 'bad name' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
    }

    It 'creates nothing with -WhatIf' {
        New-SecretNamespace -Name ghost -WhatIf | Should -BeNullOrEmpty
        (Get-FirstError { Get-SecretNamespace -Name ghost }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'changes description and retention; lowering retention prunes old versions' {
        New-SecretNamespace -Name ops | Out-Null
        1..4 | ForEach-Object { Set-SecretValue -Name s -Value "v$_" -Namespace ops }
        (Set-SecretNamespace -Name ops -Description 'changed' -PassThru).Description | Should -Be 'changed'
        Set-SecretNamespace -Name ops -MaxVersions 2 -WhatIf
        (Get-SecretVersion -Name s -Namespace ops).Count | Should -Be 4
        Set-SecretNamespace -Name ops -MaxVersions 2 -Force
        (Get-SecretVersion -Name s -Namespace ops).Version | Should -Be @(3, 4)
        (Get-SecretNamespace ops).MaxVersions | Should -Be 2
        (Set-SecretNamespace -Name ops -NoRetention -PassThru).MaxVersions | Should -BeNullOrEmpty
        (Get-FirstError { Set-SecretNamespace -Name missing -Description 'x' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'removes a namespace: refuses one with secrets unless -Force, keeps it with -WhatIf, never removes default' {
        New-SecretNamespace -Name ops | Out-Null
        Set-SecretValue -Name s -Value 'v' -Namespace ops
        (Get-FirstError { Remove-SecretNamespace -Name ops -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        Remove-SecretNamespace -Name ops -Force -WhatIf
        (Get-SecretNamespace ops).SecretCount | Should -Be 1
        Get-SecretNamespace ops | Remove-SecretNamespace -Force -Confirm:$false
        (Get-FirstError { Get-SecretNamespace -Name ops }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        (Get-FirstError { Remove-SecretNamespace -Name default -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-FirstError { Remove-SecretNamespace -Name missing -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }
}
