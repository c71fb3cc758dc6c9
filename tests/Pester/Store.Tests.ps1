#Requires -Version 7.4
# Store cmdlets: New-, Connect-, Disconnect-, Get-, Test-, Backup- and Restore-SecretOpsStore. See Common.ps1 for the setup every file shares.

BeforeAll { . $PSScriptRoot/Common.ps1 }
AfterAll { Restore-TestEnvironment }

Describe 'Store lifecycle' {
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'creates a store and reports it without a secret when a passphrase is used' {
        $path = New-TestStorePath
        $created = New-SecretOpsStore -Path $path -Passphrase $script:Passphrase @WeakKdf
        $created.PSObject.TypeNames[0] | Should -Be 'SecretOps.StoreCreated'
        $created.Path | Should -Be $path
        $created.ClientName | Should -Be 'system'
        $created.ClientSecret | Should -BeNullOrEmpty
        Test-Path $path | Should -BeTrue
    }

    It 'resolves a relative -Path against the PowerShell location, not the process directory' {
        Push-Location $TestDrive
        try {
            $created = New-SecretOpsStore -Path './relative.db' -Passphrase $script:Passphrase @WeakKdf
            $created.Path | Should -Be (Join-Path $TestDrive 'relative.db')
        }
        finally { Pop-Location }
    }

    It 'shows a generated secret once, with a warning to store it' {
        $path = New-TestStorePath
        $created = New-SecretOpsStore -Path $path -GenerateSecret @WeakKdf -WarningVariable warnings -WarningAction SilentlyContinue
        $created.ClientSecret | Should -BeLike 'secretops_*'
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match 'shown only this once'
    }

    It 'creates nothing with -WhatIf' {
        $path = New-TestStorePath
        New-SecretOpsStore -Path $path -Passphrase $script:Passphrase @WeakKdf -WhatIf | Should -BeNullOrEmpty
        Test-Path $path | Should -BeFalse
    }

    It 'refuses an existing file (SecretOps.Conflict) and a weak KDF without -AllowWeakKdf (SecretOps.InvalidParameter)' {
        $path = New-TestStore
        $err = Get-FirstError { New-SecretOpsStore -Path $path -Passphrase $script:Passphrase @WeakKdf }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'

        $weak = Get-FirstError { New-SecretOpsStore -Path (New-TestStorePath) -Passphrase $script:Passphrase -KdfMemoryMiB 1 -KdfIterations 1 }
        $weak.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
    }

    # The same bounds, error id and message as 'secretops store init' (tests/SecretOps.Cli.Tests/SharedRuleTests.cs): Core's one rule.
    It 'refuses KDF parameters outside Core''s bounds with SecretOps.InvalidParameter, as the CLI does' -ForEach @(
        @{ Kdf = @{ KdfMemoryMiB = 0 }; Expected = 'memory must be 1–4096 MiB' }
        @{ Kdf = @{ KdfMemoryMiB = 4097; AllowWeakKdf = $true }; Expected = 'memory must be 1–4096 MiB' }
        @{ Kdf = @{ KdfMemoryMiB = 1; KdfIterations = 17; AllowWeakKdf = $true }; Expected = 'exceed the limits' }
        @{ Kdf = @{ KdfMemoryMiB = 1; KdfParallelism = 65; AllowWeakKdf = $true }; Expected = 'exceed the limits' }
        @{ Kdf = @{ KdfIterations = 0; AllowWeakKdf = $true }; Expected = 'at least 1 iteration' }
        @{ Kdf = @{ KdfMemoryMiB = 63 }; Expected = 'weaker than the minimum' }
        @{ Kdf = @{ KdfIterations = 2 }; Expected = 'weaker than the minimum' }
    ) {
        $path = New-TestStorePath
        $err = Get-FirstError { New-SecretOpsStore -Path $path -Passphrase $script:Passphrase @Kdf }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        $err.Exception.Message | Should -BeLike "*$Expected*"
        Test-Path $path | Should -BeFalse
    }

    It 'seals the System client with SECRETOPS_PASSPHRASE when no credential is given, as the CLI does' {
        $path = New-TestStorePath
        $env:SECRETOPS_PASSPHRASE = 'passphrase from the environment'
        try { $created = New-SecretOpsStore -Path $path @WeakKdf }
        finally { Remove-Item Env:SECRETOPS_PASSPHRASE }
        $created.ClientSecret | Should -BeNullOrEmpty
        $wrong = Get-FirstError { Connect-SecretOpsStore -Path $path -Passphrase $script:Passphrase }
        $wrong.FullyQualifiedErrorId | Should -BeLike 'SecretOps.AuthenticationFailed,*'
        $session = Connect-SecretOpsStore -Path $path -Passphrase (ConvertTo-SecureString 'passphrase from the environment' -AsPlainText -Force) -PassThru
        $session.Client | Should -Be 'system'
    }

    It 'connects with a passphrase and registers the session' {
        $path = New-TestStore
        $session = Connect-SecretOpsStore -Path $path -Passphrase $script:Passphrase -PassThru
        $session.PSObject.TypeNames[0] | Should -Be 'SecretOps.Module.SessionInfo'
        $session.Client | Should -Be 'system'
        $session.Role | Should -Be 'System'
        $session.Namespace | Should -Be 'default'
        $session.Store | Should -Be $path
        (Get-SecretOpsStore).Path | Should -Be $path
    }

    It 'connects with a secret file, a SecureString client secret, or SECRETOPS_CLIENT_SECRET' {
        $path = New-TestStorePath
        $created = New-SecretOpsStore -Path $path -GenerateSecret @WeakKdf -WarningAction SilentlyContinue
        $secretFile = Join-Path $TestDrive 'system.secret'
        Set-OwnerOnlyContent -Path $secretFile -Value $created.ClientSecret

        (Connect-SecretOpsStore -Path $path -SecretFile $secretFile -PassThru).Client | Should -Be 'system'
        Disconnect-SecretOpsStore
        (Connect-SecretOpsStore -Path $path -ClientSecret (ConvertTo-SecureString $created.ClientSecret -AsPlainText -Force) -PassThru).IsOpen | Should -BeTrue
        Disconnect-SecretOpsStore
        $env:SECRETOPS_CLIENT_SECRET = $created.ClientSecret
        try { (Connect-SecretOpsStore -Path $path -PassThru).IsOpen | Should -BeTrue }
        finally { Remove-Item Env:SECRETOPS_CLIENT_SECRET }
    }

    It 'refuses a secret or key file that others can read or write, naming the file and the fix' -Skip:$IsWindows {
        $path = New-TestStorePath
        $created = New-SecretOpsStore -Path $path -GenerateSecret @WeakKdf -WarningAction SilentlyContinue
        $secretFile = Join-Path $TestDrive 'open.secret'
        Set-OwnerOnlyContent -Path $secretFile -Value $created.ClientSecret
        foreach ($mode in '0644', '0640', '0604', '0620', '0602') {
            [IO.File]::SetUnixFileMode($secretFile, [Convert]::ToInt32($mode, 8))
            foreach ($connect in { Connect-SecretOpsStore -Path $path -SecretFile $secretFile }, { Connect-SecretOpsStore -Path $path -KeyFile $secretFile }) {
                $err = Get-FirstError $connect
                $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.UnprotectedFile,*' -Because "mode $mode"
                "$err" | Should -Match ([regex]::Escape($secretFile))
                "$err" | Should -Match ([regex]::Escape("chmod 600 '$secretFile'"))
                "$err" | Should -Not -Match ([regex]::Escape($created.ClientSecret))
            }
            { Get-SecretEntry } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
        }
        [IO.File]::SetUnixFileMode($secretFile, [Convert]::ToInt32('0400', 8))
        (Connect-SecretOpsStore -Path $path -SecretFile $secretFile -PassThru).Client | Should -Be 'system'
    }

    It 'takes the store and passphrase from SECRETOPS_STORE and SECRETOPS_PASSPHRASE' {
        $path = New-TestStore
        $env:SECRETOPS_STORE = $path
        $env:SECRETOPS_PASSPHRASE = $script:PassphraseText
        try { (Connect-SecretOpsStore -PassThru).Store | Should -Be $path }
        finally { Remove-Item Env:SECRETOPS_STORE, Env:SECRETOPS_PASSPHRASE }
    }

    It 'refuses a wrong passphrase with SecretOps.AuthenticationFailed and registers nothing' {
        $path = New-TestStore
        $wrong = ConvertTo-SecureString 'not the passphrase' -AsPlainText -Force
        $err = Get-FirstError { Connect-SecretOpsStore -Path $path -Passphrase $wrong }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.AuthenticationFailed,*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.ToString() | Should -Not -Match 'not the passphrase'
        { Get-SecretEntry } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
    }

    It 'fails with SecretOps.CredentialRequired when no credential exists and nobody can be asked' -Skip:([Environment]::UserInteractive -and -not ([Environment]::GetCommandLineArgs() -match '^-noni')) {
        $path = New-TestStore
        { Connect-SecretOpsStore -Path $path -ErrorAction Stop } | Should -Throw -ErrorId 'SecretOps.CredentialRequired,*'
    }

    It 'stops session cmdlets with a terminating SecretOps.NotConnected error when nothing is connected' {
        $thrown = { Get-SecretValue -Name anything } | Should -Throw -PassThru
        $thrown.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotConnected,*'
        $thrown.Exception.Message | Should -Match 'Connect-SecretOpsStore'
    }

    It 'reports store information and health, and -Quiet returns a boolean' {
        $path = New-TestStore
        $null = Connect-TestStore $path
        $info = Get-SecretOpsStore
        $info.PSObject.TypeNames[0] | Should -Be 'SecretOps.StoreInfo'
        $info.Namespaces | Should -Be 1
        $info.Clients | Should -Be 1
        $check = Test-SecretOpsStore
        $check.IsHealthy | Should -BeTrue
        $check.IntegrityCheck | Should -Be 'ok'
        Test-SecretOpsStore -Quiet | Should -BeExactly $true
    }

    It 'reads store information without connecting' {
        $path = New-TestStore
        (Get-SecretOpsStore -Store $path).StoreId | Should -Not -Be ([guid]::Empty)
        (Test-SecretAuditLog -Store $path).IsValid | Should -BeTrue
    }

    It 'disconnects: later commands are NotConnected, and naming an unknown session is an error' {
        $path = New-TestStore
        $session = Connect-TestStore $path
        $session | Disconnect-SecretOpsStore
        { Get-SecretEntry } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
        $err = Get-FirstError { Disconnect-SecretOpsStore -Store $path }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotConnected,*'
        { Disconnect-SecretOpsStore -ErrorAction Stop } | Should -Not -Throw
    }

    It 'keeps several sessions and picks one with -Store' {
        $first = New-TestStore
        $second = New-TestStore
        $null = Connect-TestStore $first
        $null = Connect-TestStore $second
        Set-SecretValue -Name where -Value 'first' -Store $first
        Set-SecretValue -Name where -Value 'second'
        Get-SecretValue -Name where -Store $first -AsPlainText | Should -Be 'first'
        Get-SecretValue -Name where -AsPlainText | Should -Be 'second'
    }

    It 'takes -IdleTimeout typed unquoted: 90s is 90 seconds, 1d one day, a plain number minutes' {
        $path = New-TestStore
        (Connect-SecretOpsStore -Path $path -Passphrase $script:Passphrase -IdleTimeout 90s -PassThru).IdleTimeout | Should -Be ([TimeSpan]::FromSeconds(90))
        (Connect-SecretOpsStore -Path $path -Passphrase $script:Passphrase -IdleTimeout 1d -PassThru).IdleTimeout | Should -Be ([TimeSpan]::FromDays(1))
        (Connect-SecretOpsStore -Path $path -Passphrase $script:Passphrase -IdleTimeout 20 -PassThru).IdleTimeout | Should -Be ([TimeSpan]::FromMinutes(20))
    }

    It 'tells a PowerShell user to create a missing store with New-SecretOpsStore, not the CLI' {
        $missing = Join-Path $TestDrive 'no-such-store.db'
        foreach ($command in { Connect-SecretOpsStore -Path $missing -Passphrase $script:Passphrase }, { Get-SecretOpsStore -Store $missing }) {
            $err = Get-FirstError $command
            $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
            "$err" | Should -Match 'New-SecretOpsStore'
            "$err" | Should -Not -Match 'secretops store'
            $err.ErrorDetails.RecommendedAction | Should -Match 'New-SecretOpsStore'
        }
    }

    It 'serves parallel runspaces from one connect: 4 runspaces x 25 reads with -Store all return the right values' {
        # Sessions belong to the process, so every runspace (ForEach-Object -Parallel, Start-ThreadJob) can use them;
        # this is the documented alternative to Get-SecretValue through SecretManagement, whose one runspace is not thread-safe.
        $store = New-TestStore
        $null = Connect-TestStore $store
        1..25 | ForEach-Object { Set-SecretValue -Name "s$_" -Value "value-$_" -ErrorAction Stop }
        $manifest = Join-Path $script:ModuleFolder 'SecretOps.psd1'
        $results = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:manifest -ErrorAction Stop
            $worker = $_
            1..25 | ForEach-Object {
                try {
                    $value = Get-SecretValue -Name "s$_" -Store $using:store -AsPlainText -ErrorAction Stop
                    [pscustomobject]@{ Worker = $worker; Name = "s$_"; Right = $value -eq "value-$_"; Error = $null }
                }
                catch {
                    [pscustomobject]@{ Worker = $worker; Name = "s$_"; Right = $false; Error = "$_" }
                }
            }
        }
        @($results).Count | Should -Be 100
        @($results | Where-Object { -not $_.Right } | ForEach-Object { "$($_.Worker)/$($_.Name): $($_.Error)" }) | Should -BeNullOrEmpty
        @($results.Worker | Sort-Object -Unique) | Should -Be @(1, 2, 3, 4)
    }

    It 'locks an idle session after -IdleTimeout' {
        $path = New-TestStore
        $null = Connect-SecretOpsStore -Path $path -Passphrase $script:Passphrase -IdleTimeout '1s'
        Start-Sleep -Seconds 2
        { Get-SecretEntry } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
    }

    It 'backs up, refuses to overwrite, and creates nothing with -WhatIf' {
        $path = New-TestStore
        $null = Connect-TestStore $path
        $backup = Join-Path $TestDrive "backup-$([guid]::NewGuid().ToString('N')).db"
        Backup-SecretOpsStore -Destination $backup -WhatIf
        Test-Path $backup | Should -BeFalse
        $file = Backup-SecretOpsStore -Destination $backup -PassThru
        $file | Should -BeOfType [System.IO.FileInfo]
        $file.FullName | Should -Be $backup
        (Get-FirstError { Backup-SecretOpsStore -Destination $backup }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
    }

    It 'restores a backup, disconnecting the sessions to the store' {
        $path = New-TestStore
        $null = Connect-TestStore $path
        Set-SecretValue -Name kept -Value 'before backup'
        $backup = Join-Path $TestDrive "backup-$([guid]::NewGuid().ToString('N')).db"
        Backup-SecretOpsStore -Destination $backup
        Set-SecretValue -Name kept -Value 'after backup'
        Set-SecretValue -Name added -Value 'after backup'

        Restore-SecretOpsStore -Source $backup -WhatIf
        Get-SecretValue kept -AsPlainText | Should -Be 'after backup'

        Restore-SecretOpsStore -Source $backup -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings.Count | Should -Be 1
        { Get-SecretEntry } | Should -Throw -ErrorId 'SecretOps.NotConnected,*'
        $null = Connect-TestStore $path
        Get-SecretValue kept -AsPlainText | Should -Be 'before backup'
        (Get-FirstError { Get-SecretValue added }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'refuses to restore from something that is not a store, and leaves the store as it was' {
        $path = New-TestStore
        $null = Connect-TestStore $path
        Set-SecretValue -Name kept -Value 'v'
        $junk = Join-Path $TestDrive 'junk.db'
        Set-Content -Path $junk -Value ('x' * 4096)
        $err = Get-FirstError { Restore-SecretOpsStore -Source $junk -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.*'
        $null = Connect-TestStore $path
        Get-SecretValue kept -AsPlainText | Should -Be 'v'
    }
}
