#Requires -Version 7.4
# Client and permission cmdlets: *-SecretClient, Update-SecretClientKey, Grant-, Revoke-, Get-SecretPermission. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Clients and permissions' -Tag Hosted {
    BeforeAll {
        $script:AdaPassphrase = ConvertTo-SecureString 'ada passphrase' -AsPlainText -Force
        $script:AlicePassphrase = ConvertTo-SecureString 'alice passphrase' -AsPlainText -Force
        $script:BobPassphrase = ConvertTo-SecureString 'bob passphrase' -AsPlainText -Force

        function script:Connect-Client([string] $Name, [securestring] $Passphrase) {
            Connect-SecretOpsStore -Path $script:Store -Client $Name -Passphrase $Passphrase -PassThru -ErrorAction Stop
        }

        function script:Connect-CI([string] $Secret) {
            Connect-SecretOpsStore -Path $script:Store -Client ci -ClientSecret (ConvertTo-SecureString $Secret -AsPlainText -Force) -PassThru -ErrorAction Stop
        }
    }

    BeforeEach {
        # The System client creates an admin; the admin creates two people and a CI client, and owns the
        # namespace 'team' holding one secret. Commands name their session with -AsClient (clients and
        # permissions) or -Client (secrets and namespaces), since several are connected at once.
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
        $null = New-SecretClient -Name ada -Role Admin -Passphrase $script:AdaPassphrase -AllowWeakKdf -AsClient system
        $null = Connect-Client ada $script:AdaPassphrase
        $null = New-SecretClient -Name alice -Passphrase $script:AlicePassphrase -AllowWeakKdf -AsClient ada
        $null = New-SecretClient -Name bob -Passphrase $script:BobPassphrase -AllowWeakKdf -AsClient ada -Description 'Bob from ops'
        $script:CiSecret = (New-SecretClient -Name ci -GenerateSecret -AsClient ada -WarningAction SilentlyContinue).ClientSecret
        $null = New-SecretNamespace -Name team -Client ada
        Set-SecretValue -Name db -Value 'first' -Namespace team -Client ada
    }
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'creates passphrase, generated and key-file clients; a generated secret is shown once, with a warning' {
        $created = New-SecretClient -Name runner -Role Member -GenerateSecret -AsClient ada -WarningVariable warnings -WarningAction SilentlyContinue
        $created.PSObject.TypeNames[0] | Should -Be 'SecretOps.ClientCreated'
        $created.Client.Name | Should -Be 'runner'
        $created.Client.Kind | Should -Be 'Generated'
        $created.Client.Role | Should -Be 'Member'
        $created.ClientSecret | Should -BeLike 'secretops_*'
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match 'shown only this once'
        (Get-SecretAuditLog -AsClient ada | ConvertTo-Json -Depth 4) | Should -Not -Match ([regex]::Escape($created.ClientSecret))

        $person = New-SecretClient -Name carol -Passphrase (ConvertTo-SecureString 'carol passphrase' -AsPlainText -Force) -AllowWeakKdf -AsClient ada -WarningVariable none
        $person.Client.Kind | Should -Be 'Passphrase'
        $person.ClientSecret | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty

        $ec = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $publicKey = Join-Path $TestDrive 'laptop.pub.pem'
        $privateKey = Join-Path $TestDrive 'laptop.pem'
        try {
            Set-Content -Path $publicKey -Value $ec.ExportSubjectPublicKeyInfoPem()
            Set-OwnerOnlyContent -Path $privateKey -Value $ec.ExportPkcs8PrivateKeyPem()
        }
        finally { $ec.Dispose() }
        $laptop = New-SecretClient -Name laptop -PublicKeyPath $publicKey -AsClient ada
        $laptop.Client.Kind | Should -Be 'KeyFile'
        $laptop.ClientSecret | Should -BeNullOrEmpty
        (Connect-SecretOpsStore -Path $script:Store -Client laptop -KeyFile $privateKey -PassThru).Client | Should -Be 'laptop'

        (Get-SecretClient -AsClient ada).Name | Should -Be @('ada', 'alice', 'bob', 'carol', 'ci', 'laptop', 'runner', 'system')
        (Get-SecretClient -Name 'a*' -AsClient ada).Name | Should -Be @('ada', 'alice')
        (Get-SecretClient -Name bob -AsClient ada).Description | Should -Be 'Bob from ops'
        (Get-SecretClient -Name bob -AsClient ada).PSObject.TypeNames[0] | Should -Be 'SecretOps.ClientInfo'
    }

    It 'New-SecretClient help example 2, run as written, leaves an owner-only secret file that connects' {
        New-SecretNamespace -Name prod -Client ada | Out-Null
        $WarningPreference = 'SilentlyContinue'
        $example = (Get-Help New-SecretClient -Examples).examples.example[1].code -join "`n"
        $example | Should -Match 'ci-deploy.secret'
        Push-Location $TestDrive
        try {
            $null = Connect-Client ada $script:AdaPassphrase
            . ([scriptblock]::Create($example))
            $file = Get-Item ./ci-deploy.secret
            if (-not $IsWindows) { $file.UnixFileMode | Should -Be ([IO.UnixFileMode] 'UserRead, UserWrite') }
            (Connect-SecretOpsStore -Path $script:Store -Client ci-deploy -SecretFile $file.FullName -PassThru).Client | Should -Be 'ci-deploy'
        }
        finally { Pop-Location }
    }

    It 'refuses duplicates, bad names, unusable keys, the System role, and members creating clients' {
        (Get-FirstError { New-SecretClient -Name ALICE -GenerateSecret -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        (Get-FirstError { New-SecretClient -Name 'bad name!' -GenerateSecret -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        { New-SecretClient -Name other -Role System -GenerateSecret -AsClient ada -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'

        $missing = Get-FirstError { New-SecretClient -Name nokey -PublicKeyPath (Join-Path $TestDrive 'no-such.pem') -AsClient ada }
        $missing.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        $missing.TargetObject | Should -Be 'nokey'
        $ec = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $privateKey = Join-Path $TestDrive 'private-only.pem'
        try { Set-Content -Path $privateKey -Value $ec.ExportPkcs8PrivateKeyPem() } finally { $ec.Dispose() }
        (Get-FirstError { New-SecretClient -Name wrongkey -PublicKeyPath $privateKey -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidKey,*'

        $null = Connect-Client alice $script:AlicePassphrase
        (Get-FirstError { New-SecretClient -Name sneaky -GenerateSecret -AsClient alice }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
        (Get-SecretClient -AsClient ada).Name | Should -Not -Contain 'sneaky'
    }

    It 'an admin, two people and a CI client: grant, read, revoke, cannot read' {
        Grant-SecretPermission -Client alice -Namespace team -Permission Read, Write -AsClient ada
        Grant-SecretPermission -Client bob -Namespace team -Permission Read -AsClient ada
        $granted = Grant-SecretPermission -Client ci -Namespace team -Name db -Permission Read -AsClient ada -PassThru
        $granted.PSObject.TypeNames[0] | Should -Be 'SecretOps.PermissionInfo'
        $granted.Scope | Should -Be 'Secret'
        $granted.Secret | Should -Be 'db'
        $granted.Permissions | Should -Be 'Read'

        $null = Connect-Client alice $script:AlicePassphrase
        $null = Connect-Client bob $script:BobPassphrase
        $null = Connect-CI $script:CiSecret
        Set-SecretValue -Name db -Value 'from alice' -Namespace team -Client alice
        Get-SecretValue -Name db -Namespace team -Client bob -AsPlainText | Should -Be 'from alice'
        Get-SecretValue -Name db -Namespace team -Client ci -AsPlainText | Should -Be 'from alice'
        (Get-FirstError { Set-SecretValue -Name db -Value 'from bob' -Namespace team -Client bob }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
        (Get-SecretPermission -Namespace team -AsClient ada).Client | Sort-Object -Unique | Should -Be @('ada', 'alice', 'bob', 'ci')

        $rotation = Revoke-SecretPermission -Client bob -Namespace team -AsClient ada -Confirm:$false
        $rotation.PSObject.TypeNames[0] | Should -Be 'SecretOps.RotationResult'
        $rotation.NewGeneration | Should -Be 2
        Get-SecretPermission -Client bob -AsClient ada | Should -BeNullOrEmpty
        # Refused for the session that held the key, and for a new one.
        (Get-FirstError { Get-SecretValue -Name db -Namespace team -Client bob }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
        Disconnect-SecretOpsStore -Store $script:Store -Client bob
        $null = Connect-Client bob $script:BobPassphrase
        (Get-FirstError { Get-SecretValue -Name db -Namespace team -Client bob }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'

        # The remaining holders follow the new keys, for old and new versions.
        Set-SecretValue -Name db -Value 'after revoke' -Namespace team -Client alice
        Get-SecretValue -Name db -Namespace team -Client ci -AsPlainText | Should -Be 'after revoke'
        Get-SecretValue -Name db -Namespace team -Version 2 -Client alice -AsPlainText | Should -Be 'from alice'
        (Get-SecretAuditLog -Action permission.revoke -AsClient ada).Count | Should -Be 1
        (Get-FirstError { Revoke-SecretPermission -Client bob -Namespace team -AsClient ada -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'revokes without rotating with -NoRotate, and only some flags with -Permission' {
        Grant-SecretPermission -Client alice -Namespace team -Permission Read, Write, Delete -AsClient ada
        Revoke-SecretPermission -Client alice -Namespace team -Permission Delete -AsClient ada -Confirm:$false | Should -BeNullOrEmpty
        (Get-SecretPermission -Client alice -AsClient ada).Permissions | Should -Be 'Read, Write'
        Revoke-SecretPermission -Client alice -Namespace team -NoRotate -AsClient ada -Confirm:$false | Should -BeNullOrEmpty
        Get-SecretPermission -Client alice -AsClient ada | Should -BeNullOrEmpty
        (Get-SecretNamespace team -Client ada).KeyGeneration | Should -Be 1
    }

    It 'copies, lists and revokes permissions through the pipeline' {
        Grant-SecretPermission -Client alice -Namespace team -Permission Read, Write -AsClient ada
        Grant-SecretPermission -Client alice -Namespace team -Name db -Permission Delete -AsClient ada
        Get-SecretPermission -Client alice -AsClient ada | Grant-SecretPermission -Client bob -AsClient ada
        $bobs = @(Get-SecretPermission -Client bob -AsClient ada)
        $bobs.Count | Should -Be 2
        ($bobs | Where-Object Scope -eq 'Namespace').Permissions | Should -Be 'Read, Write'
        ($bobs | Where-Object Scope -eq 'Secret').Secret | Should -Be 'db'

        (Get-SecretEntry -Name db -Namespace team -Client ada | Get-SecretPermission -AsClient ada).Client | Should -Contain 'bob'
        Get-SecretEntry -Name db -Namespace team -Client ada | Grant-SecretPermission -Client ci -Permission Read -AsClient ada
        (Get-SecretPermission -Client ci -AsClient ada).Secret | Should -Be 'db'

        Get-SecretPermission -Client bob -AsClient ada | Revoke-SecretPermission -AsClient ada -Confirm:$false | Out-Null
        Get-SecretPermission -Client bob -AsClient ada | Should -BeNullOrEmpty
        (Get-SecretPermission -Client alice -AsClient ada).Count | Should -Be 2

        # An empty -Name never widens a grant to the whole namespace.
        $empty = ''
        (Get-FirstError { Grant-SecretPermission -Client bob -Namespace team -Name $empty -Permission Read -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        Get-SecretPermission -Client bob -AsClient ada | Should -BeNullOrEmpty
    }

    It 'changes nothing with -WhatIf' {
        New-SecretClient -Name ghost -GenerateSecret -AsClient ada -WhatIf | Should -BeNullOrEmpty
        (Get-FirstError { Get-SecretClient -Name ghost -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        Set-SecretClient -Name bob -Description 'changed' -Role Admin -AsClient ada -WhatIf
        Disable-SecretClient -Name bob -AsClient ada -WhatIf
        Get-SecretClient bob -AsClient ada | Remove-SecretClient -AsClient ada -WhatIf
        $bob = Get-SecretClient bob -AsClient ada
        $bob.Description | Should -Be 'Bob from ops'
        $bob.Role | Should -Be 'Member'
        $bob.Status | Should -Be 'Active'

        $fingerprint = (Get-SecretClient ci -AsClient ada).Fingerprint
        Update-SecretClientKey -Name ci -GenerateSecret -AsClient ada -WhatIf | Should -BeNullOrEmpty
        (Get-SecretClient ci -AsClient ada).Fingerprint | Should -Be $fingerprint
        $null = Connect-CI $script:CiSecret

        Grant-SecretPermission -Client bob -Namespace team -Permission Read -AsClient ada -WhatIf
        Get-SecretPermission -Client bob -AsClient ada | Should -BeNullOrEmpty
        Grant-SecretPermission -Client bob -Namespace team -Permission Read -AsClient ada
        Revoke-SecretPermission -Client bob -Namespace team -AsClient ada -WhatIf | Should -BeNullOrEmpty
        Get-SecretPermission -Client bob -AsClient ada | Revoke-SecretPermission -AsClient ada -WhatIf | Should -BeNullOrEmpty
        (Get-SecretPermission -Client bob -AsClient ada).Permissions | Should -Be 'Read'
        Update-SecretNamespaceKey -Namespace team -Client ada -WhatIf | Should -BeNullOrEmpty
        (Get-SecretNamespace team -Client ada).KeyGeneration | Should -Be 1
    }

    It 'changes a client: renames it, describes it, makes it an admin' {
        (Set-SecretClient -Name bob -NewName robert -Description 'on call' -Role Admin -AsClient ada -PassThru).Name | Should -Be 'robert'
        $robert = Get-SecretClient robert -AsClient ada
        $robert.Description | Should -Be 'on call'
        $robert.Role | Should -Be 'Admin'
        Get-SecretClient robert -AsClient ada | Set-SecretClient -Role Member -AsClient ada
        (Get-SecretClient robert -AsClient ada).Role | Should -Be 'Member'
        (Get-FirstError { Set-SecretClient -Name robert -NewName alice -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        (Get-FirstError { Set-SecretClient -Name robert -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-FirstError { Set-SecretClient -Name system -Role Admin -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        $err = Get-FirstError { Set-SecretClient -Name ghost -Description 'x' -AsClient ada }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.TargetObject | Should -Be 'ghost'
    }

    It 'disables and enables a client: a disabled client cannot connect, and its sessions here are closed' {
        $null = Connect-Client bob $script:BobPassphrase
        Get-SecretClient bob -AsClient ada | Disable-SecretClient -AsClient ada -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 1
        { Get-SecretEntry -Client bob } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
        (Get-SecretClient bob -AsClient ada).Status | Should -Be 'Disabled'
        (Get-FirstError { Connect-SecretOpsStore -Path $script:Store -Client bob -Passphrase $script:BobPassphrase }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AuthenticationFailed,*'
        (Enable-SecretClient -Name bob -AsClient ada -PassThru).Status | Should -Be 'Active'
        (Connect-Client bob $script:BobPassphrase).IsOpen | Should -BeTrue
        (Get-FirstError { Disable-SecretClient -Name ada -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
    }

    It 'retires a client: its permissions go, the keys it held rotate, and it can never connect again' {
        Grant-SecretPermission -Client bob -Namespace team -Permission Read -AsClient ada
        Get-SecretClient bob -AsClient ada | Remove-SecretClient -AsClient ada -Confirm:$false
        (Get-SecretClient bob -AsClient ada).Status | Should -Be 'Retired'
        Get-SecretPermission -Client bob -AsClient ada | Should -BeNullOrEmpty
        (Get-SecretNamespace team -Client ada).KeyGeneration | Should -Be 2
        (Get-FirstError { Connect-SecretOpsStore -Path $script:Store -Client bob -Passphrase $script:BobPassphrase }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AuthenticationFailed,*'
        (Get-FirstError { Enable-SecretClient -Name bob -AsClient ada }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        (Get-FirstError { Remove-SecretClient -Name bob -AsClient ada -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        Get-SecretValue -Name db -Namespace team -Client ada -AsPlainText | Should -Be 'first'
    }

    It 'refuses to orphan a namespace unless -Force (retiring the System client once an admin exists)' {
        $null = New-SecretNamespace -Name lonely -Client system
        $err = Get-FirstError { Remove-SecretClient -Name system -AsClient ada -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        $err.Exception.Message | Should -Match 'lonely'
        $err.TargetObject | Should -Be 'system'
        (Get-SecretClient system -AsClient ada).Status | Should -Be 'Active'

        Remove-SecretClient -Name system -Force -AsClient ada -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        (Get-SecretClient system -AsClient ada).Status | Should -Be 'Retired'
        $warnings.Count | Should -Be 1 -Because 'the System client''s session in this process is disconnected'
        { Get-SecretEntry -Client system } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
    }

    It 're-keys: a client itself (its session closes) and, as an admin, a CI client' {
        Grant-SecretPermission -Client alice -Namespace team -Permission Read -AsClient ada
        Grant-SecretPermission -Client ci -Namespace team -Name db -Permission Read -AsClient ada
        $null = Connect-Client alice $script:AlicePassphrase
        $newPassphrase = ConvertTo-SecureString 'alice new passphrase' -AsPlainText -Force
        $rekeyed = Update-SecretClientKey -Passphrase $newPassphrase -AllowWeakKdf -AsClient alice -WarningVariable warnings -WarningAction SilentlyContinue
        $rekeyed.PSObject.TypeNames[0] | Should -Be 'SecretOps.ClientCreated'
        $rekeyed.Client.Name | Should -Be 'alice'
        $rekeyed.ClientSecret | Should -BeNullOrEmpty
        ($warnings.Message -join ' ') | Should -Match 'closed'
        { Get-SecretEntry -Namespace team -Client alice } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
        (Get-FirstError { Connect-SecretOpsStore -Path $script:Store -Client alice -Passphrase $script:AlicePassphrase }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AuthenticationFailed,*'
        $null = Connect-Client alice $newPassphrase
        Get-SecretValue -Name db -Namespace team -Client alice -AsPlainText | Should -Be 'first'

        $ci = Get-SecretClient ci -AsClient ada | Update-SecretClientKey -GenerateSecret -AsClient ada -WarningVariable ciWarnings -WarningAction SilentlyContinue
        $ci.ClientSecret | Should -BeLike 'secretops_*'
        $ci.ClientSecret | Should -Not -Be $script:CiSecret
        $ciWarnings.Count | Should -Be 1
        (Get-FirstError { Connect-CI $script:CiSecret }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AuthenticationFailed,*'
        $null = Connect-CI $ci.ClientSecret
        Get-SecretValue -Name db -Namespace team -Client ci -AsPlainText | Should -Be 'first'
    }

    It 'rotates namespace keys (also from the pipeline); holders still read old and new versions' {
        Grant-SecretPermission -Client alice -Namespace team -Permission Read -AsClient ada
        $null = Connect-Client alice $script:AlicePassphrase
        $rotated = Update-SecretNamespaceKey -Namespace team -Client ada
        $rotated.PSObject.TypeNames[0] | Should -Be 'SecretOps.RotationResult'
        $rotated.NewGeneration | Should -Be 2
        $rotated.SecretKeysRotated | Should -Be 1
        $rotated.Recipients | Should -Be 2
        (Get-SecretNamespace team -Client ada | Update-SecretNamespaceKey -Client ada).NewGeneration | Should -Be 3
        Set-SecretValue -Name db -Value 'second' -Namespace team -Client ada
        Get-SecretValue -Name db -Namespace team -Client alice -AsPlainText | Should -Be 'second'
        Get-SecretValue -Name db -Namespace team -Version 1 -Client alice -AsPlainText | Should -Be 'first'
        (Get-FirstError { Update-SecretNamespaceKey -Namespace team -Client alice }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
    }

    It 'completes the store''s clients (connected or not) for -Client and -Name, and still finds the session' {
        $line = 'Grant-SecretPermission -Client a'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain 'ada'
        $completions | Should -Contain 'alice'
        $completions | Should -Not -Contain 'bob'
        $line = 'Grant-SecretPermission -Client alice -Namespace te'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('team')
        $line = 'Grant-SecretPermission -Client alice -Namespace team -Name d'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('db')
        $line = 'Disable-SecretClient -Name b'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('bob')
        $line = 'Get-SecretPermission -AsClient a'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('ada') -Because '-AsClient offers connected clients only'
    }
}
