#Requires -Version 7.4
# SecretOps as vaults of the real SecretManagement module: Register-SecretVault, Get-Secret, ... See Common.ps1 for the setup every file shares.

BeforeDiscovery {
    # Invoke-PesterSuite.ps1 says once how to get SecretManagement when it is missing (and fails in CI).
    $script:SecretManagementMissing = -not (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)
}

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'SecretOps as SecretManagement vaults' -Skip:$script:SecretManagementMissing {
    # Registers in the user's SecretManagement registry (it has no test location): unique names, and every
    # registration and the default vault are restored in AfterAll.
    BeforeAll {
        Import-Module Microsoft.PowerShell.SecretManagement -ErrorAction Stop
        $script:DefaultVaultBefore = Get-SecretVault -ErrorAction SilentlyContinue | Where-Object IsDefault | Select-Object -First 1 -ExpandProperty Name
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 12)
        $script:VaultA = "SecretOpsPesterA$suffix"
        $script:VaultB = "SecretOpsPesterB$suffix"

        # A: a passphrase client, locked until Unlock-SecretVault.
        $script:StoreA = New-TestStore
        Register-SecretOpsVault -Name $script:VaultA -Path $script:StoreA -Client system -Prompt -ErrorAction Stop

        # B: another store, a generated-secret client whose secret is in a file, and its own namespace.
        $script:StoreB = New-TestStorePath
        $kdf = $script:WeakKdf
        $created = New-SecretOpsStore -Path $script:StoreB -GenerateSecret @kdf -ErrorAction Stop
        $script:SecretFileB = Join-Path $TestDrive "b-$suffix.secret"
        Set-OwnerOnlyContent -Path $script:SecretFileB -Value $created.ClientSecret
        Connect-SecretOpsStore -Path $script:StoreB -SecretFile $script:SecretFileB -ErrorAction Stop
        New-SecretNamespace -Name team -Store $script:StoreB -ErrorAction Stop | Out-Null
        Disconnect-SecretOpsStore -All
        Register-SecretOpsVault -Name $script:VaultB -Path $script:StoreB -Namespace team -Client system -SecretFile $script:SecretFileB -ErrorAction Stop
    }

    AfterAll {
        foreach ($name in $script:VaultA, $script:VaultB) {
            if ($name -and (Get-SecretVault -Name $name -ErrorAction SilentlyContinue)) {
                Unregister-SecretVault -Name $name -ErrorAction SilentlyContinue
            }
        }
        if ($script:DefaultVaultBefore) {
            Set-SecretVaultDefault -Name $script:DefaultVaultBefore -ErrorAction SilentlyContinue
        }
        Disconnect-SecretOpsStore -All
    }

    It 'registers both with VaultParameters that hold no secret' {
        $a = Get-SecretVault -Name $script:VaultA
        $a.ModuleName | Should -Be 'SecretOps'
        $a.VaultParameters['Path'] | Should -Be $script:StoreA
        $a.VaultParameters['Prompt'] | Should -BeTrue
        $b = Get-SecretVault -Name $script:VaultB
        $b.VaultParameters['SecretFile'] | Should -Be $script:SecretFileB
        $b.VaultParameters['Namespace'] | Should -Be 'team'
        foreach ($vault in $a, $b) {
            $vault.VaultParameters.Keys | Should -Not -Contain 'Passphrase'
            ($vault.VaultParameters.Values -join ' ') | Should -Not -Match 'secretops_'
        }
    }

    It '-WhatIf registers nothing' {
        $name = "SecretOpsPesterWhatIf$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        Register-SecretOpsVault -Name $name -Path $script:StoreA -Prompt -WhatIf
        Get-SecretVault -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports the prompt vault as locked until it is unlocked' {
        Test-SecretVault -Name $script:VaultA -ErrorAction SilentlyContinue | Should -BeFalse
        $failure = Get-FirstError { Get-Secret -Name anything -Vault $script:VaultA }
        $failure | Should -Not -BeNullOrEmpty
        "$($failure.Exception.Message) $($failure.Exception.InnerException.Message)" | Should -Match 'password is required|Unlock-SecretVault'

        Unlock-SecretVault -Name $script:VaultA -Password $script:Passphrase -ErrorAction Stop
        Test-SecretVault -Name $script:VaultA | Should -BeTrue
        Test-SecretVault -Name $script:VaultB | Should -BeTrue
    }

    It 'keeps the two vaults independent' {
        Unlock-SecretVault -Name $script:VaultA -Password $script:Passphrase -ErrorAction Stop
        Set-Secret -Name db -Secret 'from-a' -Vault $script:VaultA -ErrorAction Stop
        Set-Secret -Name db -Secret 'from-b' -Vault $script:VaultB -ErrorAction Stop
        Get-Secret -Name db -Vault $script:VaultA -AsPlainText | Should -Be 'from-a'
        Get-Secret -Name db -Vault $script:VaultB -AsPlainText | Should -Be 'from-b'
        Get-Secret -Name DB -Vault $script:VaultB -AsPlainText | Should -Be 'from-b'

        Remove-Secret -Name db -Vault $script:VaultA -ErrorAction Stop
        Get-Secret -Name db -Vault $script:VaultA -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Secret -Name db -Vault $script:VaultB -AsPlainText | Should -Be 'from-b'

        # B's secrets live in its namespace, not the store's default one.
        Connect-SecretOpsStore -Path $script:StoreB -SecretFile $script:SecretFileB -ErrorAction Stop
        (Get-SecretEntry -Namespace team).Name | Should -Contain 'db'
        @(Get-SecretEntry -Namespace default).Count | Should -Be 0
    }

    It 'round-trips every SecretManagement type' {
        Unlock-SecretVault -Name $script:VaultA -Password $script:Passphrase -ErrorAction Stop
        $credential = [pscredential]::new('DOMAIN\svc', (ConvertTo-SecureString 'pw' -AsPlainText -Force))
        Set-Secret -Name cred -Secret $credential -Vault $script:VaultA -ErrorAction Stop
        Set-Secret -Name bytes -Secret ([byte[]](0, 1, 255)) -Vault $script:VaultA -ErrorAction Stop
        Set-Secret -Name table -Secret @{ user = 'u'; key = (ConvertTo-SecureString 'k' -AsPlainText -Force) } -Vault $script:VaultA -ErrorAction Stop
        Set-Secret -Name secure -SecureStringSecret (ConvertTo-SecureString 's' -AsPlainText -Force) -Vault $script:VaultA -ErrorAction Stop

        $gotCredential = Get-Secret -Name cred -Vault $script:VaultA
        $gotCredential.UserName | Should -Be 'DOMAIN\svc'
        $gotCredential.GetNetworkCredential().Password | Should -Be 'pw'
        $gotBytes = Get-Secret -Name bytes -Vault $script:VaultA
        , $gotBytes | Should -BeOfType [byte[]]
        $gotBytes | Should -Be @(0, 1, 255)
        $table = Get-Secret -Name table -Vault $script:VaultA -AsPlainText
        $table.user | Should -Be 'u'
        $table.key | Should -Be 'k'
        Get-Secret -Name secure -Vault $script:VaultA -AsPlainText | Should -Be 's'

        $types = @{}
        Get-SecretInfo -Vault $script:VaultA | ForEach-Object { $types[$_.Name] = $_.Type.ToString() }
        $types['cred'] | Should -Be 'PSCredential'
        $types['bytes'] | Should -Be 'ByteArray'
        $types['table'] | Should -Be 'Hashtable'
        $types['secure'] | Should -Be 'SecureString'
    }

    It 'lists with a wildcard filter, literal names and metadata' {
        Unlock-SecretVault -Name $script:VaultA -Password $script:Passphrase -ErrorAction Stop
        $when = Get-Date
        Set-Secret -Name 'api[1]' -Secret 'x' -Vault $script:VaultA -Metadata @{ owner = 'ops'; n = 3; rotate = $when } -ErrorAction Stop
        Set-Secret -Name 'apiKey' -Secret 'y' -Vault $script:VaultA -ErrorAction Stop

        @(Get-SecretInfo -Vault $script:VaultA -Name 'API*').Name | Sort-Object | Should -Be (@('api[1]', 'apiKey') | Sort-Object)
        $literal = @(Get-SecretInfo -Vault $script:VaultA -Name 'api[1]')
        $literal.Name | Should -Be 'api[1]'
        $literal[0].VaultName | Should -Be $script:VaultA
        $literal[0].Metadata['owner'] | Should -Be 'ops'
        $literal[0].Metadata['OWNER'] | Should -Be 'ops'
        $literal[0].Metadata['n'] | Should -Be 3
        $literal[0].Metadata['rotate'] | Should -BeOfType [datetime]
        { Get-SecretInfo -Vault $script:VaultA -Name 'abc[' -ErrorAction Stop } | Should -Not -Throw
        # Without -Vault, SecretManagement asks the default vault's Get-SecretInfo for the literal name first.
        Get-Secret -Name 'api[1]' -Vault $script:VaultA -AsPlainText | Should -Be 'x'

        Set-SecretInfo -Name 'api[1]' -Vault $script:VaultA -Metadata @{ team = 'red' } -ErrorAction Stop
        (Get-SecretInfo -Vault $script:VaultA -Name 'api[1]').Metadata.Keys | Should -Be @('team')

        Set-Secret -Name refused -Secret 'x' -Vault $script:VaultA -Metadata @{ flag = $true } -ErrorVariable refused -ErrorAction SilentlyContinue
        ($refused | ForEach-Object { $_.Exception.Message }) -join ' ' | Should -Match 'refused'
    }

    It 'refuses a vault SecretFile others can read, and serves it again once it is 0600' -Skip:$IsWindows {
        Disconnect-SecretOpsStore -All  # the vault reads its file again only without a session
        try {
            [IO.File]::SetUnixFileMode($script:SecretFileB, [Convert]::ToInt32('0644', 8))
            Test-SecretVault -Name $script:VaultB -ErrorAction SilentlyContinue -ErrorVariable problems | Should -BeFalse
            ($problems | Where-Object { "$_" -match 'chmod 600' }) | Should -Not -BeNullOrEmpty
        }
        finally { [IO.File]::SetUnixFileMode($script:SecretFileB, [Convert]::ToInt32('0600', 8)) }
        Test-SecretVault -Name $script:VaultB | Should -BeTrue
    }

    It 'Test-SecretVault changes nothing' {
        Unlock-SecretVault -Name $script:VaultA -Password $script:Passphrase -ErrorAction Stop
        $before = @(Get-SecretInfo -Vault $script:VaultA).Name | Sort-Object
        Test-SecretVault -Name $script:VaultA | Should -BeTrue
        @(Get-SecretInfo -Vault $script:VaultA).Name | Sort-Object | Should -Be $before
    }
}
