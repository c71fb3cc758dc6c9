#Requires -Version 7.4
# Policy cmdlets: Export- and Import-SecretOpsPolicy. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Policy' -Tag Hosted {
    BeforeEach {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
    }
    AfterEach { Disconnect-SecretOpsStore -All }

    BeforeAll {
        function script:New-PolicyPath {
            Join-Path $TestDrive ("policy-{0}.yaml" -f [guid]::NewGuid().ToString('N'))
        }
    }

    It 'exports the namespaces, clients and grants as YAML without any secret' {
        $ci = New-SecretClient -Name ci -GenerateSecret -WarningAction SilentlyContinue
        New-SecretNamespace -Name prod | Out-Null
        Grant-SecretPermission -Client ci -Namespace prod -Permission Read
        $yaml = Export-SecretOpsPolicy
        $yaml | Should -BeOfType [string]
        $yaml | Should -Match 'name: ci'
        $yaml | Should -Match 'namespace: prod'
        $yaml | Should -Not -Match ([regex]::Escape($ci.ClientSecret))
        $yaml | Should -Not -Match 'secretops_[A-Za-z0-9]'
    }

    It 'writes an owner-only file, refuses to overwrite it without -Force, and writes nothing with -WhatIf' {
        $file = New-PolicyPath
        Export-SecretOpsPolicy -Path $file -WhatIf
        Test-Path $file | Should -BeFalse
        (Export-SecretOpsPolicy -Path $file -PassThru).FullName | Should -Be $file
        Get-Content -Path $file -Raw | Should -Be (Export-SecretOpsPolicy)
        if (-not $IsWindows) { [IO.File]::GetUnixFileMode($file) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }

        $err = Get-FirstError { Export-SecretOpsPolicy -Path $file }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        $err.TargetObject | Should -Be $file
        New-SecretNamespace -Name added | Out-Null
        Export-SecretOpsPolicy -Path $file -Force -WhatIf
        Get-Content -Path $file -Raw | Should -Not -Match 'name: added'
        Export-SecretOpsPolicy -Path $file -Force
        Get-Content -Path $file -Raw | Should -Match 'name: added'
        if (-not $IsWindows) { [IO.File]::GetUnixFileMode($file) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
        @(Get-ChildItem -Path $TestDrive -Filter '*.tmp' -Force) | Should -BeNullOrEmpty
    }

    It 'applies a policy as a diff: -WhatIf outputs the plan and changes nothing; importing twice is a no-op' {
        $file = New-PolicyPath
        Set-Content -Path $file -Value @'
namespaces:
  - name: prod
    description: production
clients:
  - name: deploy
    kind: generated
grants:
  - client: deploy
    namespace: prod
    permissions: [read]
'@
        $plan = @(Import-SecretOpsPolicy -Path $file -WhatIf)
        $plan.Count | Should -Be 3
        $plan[0].PSObject.TypeNames[0] | Should -Be 'SecretOps.Module.PolicyChangeInfo'
        $plan.Kind | Should -Be @('CreateNamespace', 'CreateClient', 'Grant')
        $plan.Status | Sort-Object -Unique | Should -Be 'Planned'
        $plan | Where-Object ClientSecret | Should -BeNullOrEmpty
        (Get-FirstError { Get-SecretNamespace -Name prod }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        (Get-FirstError { Get-SecretClient -Name deploy }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'

        $applied = @(Import-SecretOpsPolicy -Path $file -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue)
        $applied.Count | Should -Be 3
        $applied.Status | Sort-Object -Unique | Should -Be 'Applied'
        $created = @($applied | Where-Object ClientSecret)
        $created.Count | Should -Be 1
        $created[0].ClientName | Should -Be 'deploy'
        $created[0].ClientSecret | Should -BeLike 'secretops_*'
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match 'shown only this once'
        (Get-SecretNamespace prod).Description | Should -Be 'production'
        (Get-SecretPermission -Client deploy).Permissions | Should -Be 'Read'
        (Connect-SecretOpsStore -Path $script:Store -Client deploy -ClientSecret (ConvertTo-SecureString $created[0].ClientSecret -AsPlainText -Force) -PassThru).IsOpen | Should -BeTrue
        Disconnect-SecretOpsStore -Store $script:Store -Client deploy

        Import-SecretOpsPolicy -Path $file -Confirm:$false | Should -BeNullOrEmpty
        Get-Item -Path $file | Import-SecretOpsPolicy -Confirm:$false | Should -BeNullOrEmpty
    }

    It 'round-trips: importing its own export twice changes nothing; -Prune revokes only what the policy lacks' {
        New-SecretNamespace -Name prod | Out-Null
        $null = New-SecretClient -Name ci -GenerateSecret -WarningAction SilentlyContinue
        $null = New-SecretClient -Name alice -Passphrase (ConvertTo-SecureString 'alice passphrase' -AsPlainText -Force) -AllowWeakKdf
        Grant-SecretPermission -Client ci -Namespace prod -Permission Read
        Grant-SecretPermission -Client alice -Namespace prod -Permission Read, Write
        $file = New-PolicyPath
        Export-SecretOpsPolicy -Path $file
        Import-SecretOpsPolicy -Path $file -Confirm:$false | Should -BeNullOrEmpty
        Import-SecretOpsPolicy -Path $file -Prune -Confirm:$false | Should -BeNullOrEmpty
        Export-SecretOpsPolicy | Should -Be (Get-Content -Path $file -Raw)

        Grant-SecretPermission -Client ci -Namespace prod -Permission Write
        Import-SecretOpsPolicy -Path $file -Confirm:$false | Should -BeNullOrEmpty -Because 'without -Prune an import only adds and changes'
        $plan = @(Import-SecretOpsPolicy -Path $file -Prune -WhatIf)
        $plan.Count | Should -Be 1
        $plan[0].Kind | Should -Be 'Revoke'
        $plan[0].Description | Should -Match "'ci'"
        (Get-SecretPermission -Client ci).Permissions | Should -Be 'Read, Write'
        $done = @(Import-SecretOpsPolicy -Path $file -Prune -Confirm:$false)
        $done.Count | Should -Be 1
        $done[0].Status | Should -Be 'Applied'
        (Get-SecretPermission -Client ci).Permissions | Should -Be 'Read'
    }

    It 'refuses a malformed, impossible, missing or unauthorised policy as a whole, changing nothing' {
        $bad = New-PolicyPath
        Set-Content -Path $bad -Value "namespaces:`n  - name: prod`n    colour: red`n"
        $err = Get-FirstError { Import-SecretOpsPolicy -Path $bad -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        $err.TargetObject | Should -Be $bad
        $err.Exception.Message | Should -Match 'colour'

        $impossible = New-PolicyPath
        Set-Content -Path $impossible -Value "namespaces:`n  - name: fresh`nclients:`n  - name: human`n    kind: passphrase`n"
        $err = Get-FirstError { Import-SecretOpsPolicy -Path $impossible -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        $err.Exception.Message | Should -Match 'passphrase'
        "$err" | Should -Match 'New-SecretClient'
        "$err" | Should -Not -Match 'secretops client'
        (Get-FirstError { Get-SecretNamespace -Name fresh }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'

        # A missing file is SecretOps.NotFound, with the message 'secretops policy apply' gives (exit 3): Core reads the file for both.
        $missingPath = New-PolicyPath
        $missing = Get-FirstError { Import-SecretOpsPolicy -Path $missingPath -Confirm:$false }
        $missing.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        $missing.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $missing.Exception.Message | Should -Be "There is no policy file '$missingPath'."

        $memberPassphrase = ConvertTo-SecureString 'member passphrase' -AsPlainText -Force
        $null = New-SecretClient -Name member -Passphrase $memberPassphrase -AllowWeakKdf
        $null = Connect-SecretOpsStore -Path $script:Store -Client member -Passphrase $memberPassphrase
        (Get-FirstError { Export-SecretOpsPolicy -Client member }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
        $valid = New-PolicyPath
        Set-Content -Path $valid -Value "namespaces:`n  - name: fresh`n"
        (Get-FirstError { Import-SecretOpsPolicy -Path $valid -Client member -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
        (Get-FirstError { Get-SecretNamespace -Name fresh -Client system }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }
}
