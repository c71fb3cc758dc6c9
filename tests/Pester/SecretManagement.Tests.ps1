#Requires -Version 7.4
# SecretOps as vaults of the real SecretManagement module: Register-SecretVault, Get-Secret, ... See Common.ps1 for the setup every file shares.

BeforeDiscovery {
    # Invoke-PesterSuite.ps1 says once how to get SecretManagement when it is missing (and fails in CI).
    $script:SecretManagementMissing = -not (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)
    $script:OpenSslMissing = -not (Get-Command openssl -CommandType Application -ErrorAction Ignore)
}

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'SecretOps as SecretManagement vaults' -Tag Hosted -Skip:$script:SecretManagementMissing {
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
        # In a hosted run, B moves to a server (A did in New-TestStore) and is named by its address from here on.
        $script:StoreB = Publish-TestStore -Path $script:StoreB -SystemClientId $created.ClientId -Credential '--secret-file', $script:SecretFileB
        Connect-SecretOpsStore -Path $script:StoreB -SecretFile $script:SecretFileB -ErrorAction Stop
        New-SecretNamespace -Name team -Store $script:StoreB -ErrorAction Stop | Out-Null
        Disconnect-SecretOpsStore -All
        Register-SecretOpsVault -Name $script:VaultB -Path $script:StoreB -Namespace team -Client system -SecretFile $script:SecretFileB -ErrorAction Stop

        # Vaults registered by single tests, unregistered in AfterAll.
        $script:MoreVaults = [System.Collections.Generic.List[string]]::new()
        function script:New-VaultName([string] $Purpose) {
            $name = "SecretOpsPester$Purpose$([guid]::NewGuid().ToString('N').Substring(0, 8))"
            $script:MoreVaults.Add($name)
            $name
        }
    }

    AfterAll {
        foreach ($name in @($script:VaultA, $script:VaultB) + $script:MoreVaults) {
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
        Test-SecretVault -Name $script:VaultB | Should -BeTrue   # connected: the vault holds a session
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

    It 'leaves the cmdlets on the session the user connected: a vault session is never theirs' {
        Disconnect-SecretOpsStore -All
        # A vault of its own, so its first use (and session) comes after the cmdlets' connect.
        $vault = New-VaultName 'Own'
        Register-SecretOpsVault -Name $vault -Path $script:StoreB -Namespace team -Client system -SecretFile $script:SecretFileB -ErrorAction Stop
        $storeC = New-TestStore
        $null = Connect-TestStore $storeC

        Set-Secret -Name db -Secret 'in-b' -Vault $vault -ErrorAction Stop
        Get-Secret -Name db -Vault $vault -AsPlainText | Should -Be 'in-b'
        Set-SecretValue -Name y -Value 'z' -ErrorAction Stop
        Get-SecretValue -Name y -AsPlainText | Should -Be 'z'
        Get-SecretInfo -Vault $vault -Name y | Should -BeNullOrEmpty -Because 'y was written with the cmdlets, into the store they connected to'
        (Get-SecretOpsStore).Path | Should -Be $storeC
        $written = Get-SecretAuditLog -Action secret.set -Last 1
        $written.Target | Should -Be 'y'
        $written.Surface | Should -Be 'cmdlet'
        (Get-FirstError { Get-SecretValue -Name db -Namespace team -Store $script:StoreB }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotConnected,*'

        # Disconnecting every session of the cmdlets leaves the vault working: it connects again with its own credential.
        Disconnect-SecretOpsStore -All
        Get-Secret -Name db -Vault $vault -AsPlainText | Should -Be 'in-b'
        (Get-FirstError { Get-SecretValue -Name y }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotConnected,*'
    }

    It 'records the vault''s connects in the audit log, as the vault' {
        Get-SecretInfo -Vault $script:VaultB | Out-Null
        Connect-SecretOpsStore -Path $script:StoreB -SecretFile $script:SecretFileB -ErrorAction Stop
        $connects = @(Get-SecretAuditLog -Action client.connect | Where-Object Outcome -EQ 'ok')
        $connects.Surface | Should -Contain 'vault'
        $connects.Surface | Should -Contain 'cmdlet'
        $connects | ForEach-Object { $_.ClientName | Should -Be 'system' }
    }

    It 'unregisters a registration whose VaultParameters hold a secret, with a warning and no error' {
        $name = New-VaultName 'Bad'
        Register-SecretVault -Name $name -ModuleName (Join-Path $script:ModuleFolder 'SecretOps.psd1') -VaultParameters @{ Path = $script:StoreA; Passphrase = 'hunter2' } -ErrorAction Stop
        $thrown = $null
        try { Unregister-SecretVault -Name $name -ErrorAction Stop -WarningVariable warnings -WarningAction SilentlyContinue }
        catch { $thrown = $_ }
        $thrown | Should -BeNullOrEmpty
        Get-SecretVault -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $registry = Get-ChildItem -Path (Join-Path $HOME '.secretmanagement') -Recurse -File -ErrorAction SilentlyContinue | Get-Content -Raw
        "$registry" | Should -Not -Match 'hunter2'
        ($warnings -join ' ') | Should -Match 'plain JSON'
        ($warnings -join ' ') | Should -Not -Match 'hunter2'
    }

    It 'reports a vault whose key file is encrypted as locked until Unlock-SecretVault gives its passphrase' -Skip:$script:OpenSslMissing {
        $keyPassphrase = 'key file passphrase'
        $key = Join-Path $TestDrive 'encrypted.pem'
        $publicKey = Join-Path $TestDrive 'encrypted.pub.pem'
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass "pass:$keyPassphrase" -out $key 2>&1 | Out-Null
        openssl pkey -in $key -passin "pass:$keyPassphrase" -pubout -out $publicKey 2>&1 | Out-Null
        Get-Content -Raw $key | Should -Match 'BEGIN ENCRYPTED PRIVATE KEY'

        Connect-SecretOpsStore -Path $script:StoreB -SecretFile $script:SecretFileB -ErrorAction Stop
        $null = New-SecretClient -Name laptop -PublicKeyPath $publicKey -ErrorAction Stop
        $null = Grant-SecretPermission -Client laptop -Namespace team -Permission Read -ErrorAction Stop
        Set-SecretValue -Name for-laptop -Namespace team -Value 'kv' -ErrorAction Stop
        Disconnect-SecretOpsStore -All
        $name = New-VaultName 'Key'
        Register-SecretOpsVault -Name $name -Path $script:StoreB -Namespace team -Client laptop -KeyFile $key -ErrorAction Stop

        $failure = Get-FirstError { Get-Secret -Name for-laptop -Vault $name }
        $failure.Exception.GetType().FullName | Should -Be 'Microsoft.PowerShell.SecretManagement.PasswordRequiredException'
        $failure.Exception.Message | Should -Match "Unlock-SecretVault -Name '$name'"
        Test-SecretVault -Name $name -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeFalse
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SecretOps.VaultLocked*'

        Unlock-SecretVault -Name $name -Password (ConvertTo-SecureString $keyPassphrase -AsPlainText -Force) -ErrorAction Stop
        Get-Secret -Name for-laptop -Vault $name -AsPlainText | Should -Be 'kv'
    }

    It 'says in -Verbose which client and namespace the vault resolved to' {
        $name = New-VaultName 'Verbose'
        Register-SecretOpsVault -Name $name -Path $script:StoreB -SecretFile $script:SecretFileB -ErrorAction Stop
        $lines = @(Get-SecretInfo -Vault $name -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $said = $lines -join "`n"
        $said | Should -Match "client 'system'"
        $said | Should -Match "namespace 'default'"
        $said | Should -Match ([regex]::Escape("store '$($script:StoreB)'"))
        $said | Should -Not -Match 'resolved\)'
    }

    It 'warns that Unlock-SecretVault has no use for a password on a secret-file vault, and says where its credential comes from' {
        Unlock-SecretVault -Name $script:VaultB -Password $script:Passphrase -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        $said = $warnings -join ' '
        $said | Should -Match 'does not use a password'
        $said | Should -Match ([regex]::Escape($script:SecretFileB))
        $said | Should -Not -Match ([regex]::Escape($script:PassphraseText))
        Get-SecretInfo -Vault $script:VaultB -ErrorAction Stop | Out-Null
    }

    It 'says an expired secret expired (and when), and -NoClobber with -ErrorAction Stop leaves it' {
        Connect-SecretOpsStore -Path $script:StoreB -SecretFile $script:SecretFileB -ErrorAction Stop
        Set-SecretValue -Name short-lived -Namespace team -Value 'v1' -TimeToLive ([timespan]::FromSeconds(1)) -ErrorAction Stop
        Start-Sleep -Milliseconds 1500

        $failure = Get-FirstError { Get-Secret -Name short-lived -Vault $script:VaultB }
        $failure.FullyQualifiedErrorId | Should -BeLike 'SecretOps.Expired*'
        $failure.Exception.Message | Should -Match 'expired at \d{4}-\d\d-\d\d'
        Get-Secret -Name short-lived -Vault $script:VaultB -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        { Set-Secret -Name short-lived -Secret 'v2' -Vault $script:VaultB -NoClobber -ErrorAction Stop } | Should -Throw
        (Get-SecretEntry -Name short-lived -Namespace team -IncludeExpired).Version | Should -Be 1 -Because '-NoClobber must not write over a secret that exists, expired or not'
    }
}
