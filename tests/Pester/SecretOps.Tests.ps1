#Requires -Version 7.4
<#
    Pester 5 tests for the SecretOps cmdlets, run against the BUILT module folder ($env:SECRETOPS_MODULE,
    set by build.ps1 -Task Test; default out/SecretOps). A binary module cannot be unloaded, so run them in a
    fresh pwsh (build.ps1 does). They never touch the user's configuration, environment or default store:
    every store lives in $TestDrive, SECRETOPS_* variables are cleared and restored, and every test ends
    with all sessions disconnected.

    Stores are created with a deliberately weak Argon2id (1 MiB, 1 pass) so the suite stays fast.
#>

BeforeDiscovery {
    $script:ModuleFolder = if ($env:SECRETOPS_MODULE) { $env:SECRETOPS_MODULE } else { [IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'SecretOps') }
    $script:Manifest = Import-PowerShellDataFile ([IO.Path]::Combine($script:ModuleFolder, 'SecretOps.psd1'))
    $script:CmdletNames = @($script:Manifest.CmdletsToExport)
    $script:SecretManagementMissing = -not (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)
    if ($script:SecretManagementMissing) {
        Write-Warning "Microsoft.PowerShell.SecretManagement is not installed: 'SecretOps as SecretManagement vaults' is skipped (Install-Module Microsoft.PowerShell.SecretManagement to run it)."
    }
}

BeforeAll {
    $script:ModuleFolder = if ($env:SECRETOPS_MODULE) { $env:SECRETOPS_MODULE } else { [IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'SecretOps') }
    $script:Manifest = Import-PowerShellDataFile ([IO.Path]::Combine($script:ModuleFolder, 'SecretOps.psd1'))
    Import-Module ([IO.Path]::Combine($script:ModuleFolder, 'SecretOps.psd1')) -Force -ErrorAction Stop

    # Nothing from the developer's environment or configuration may leak into the tests.
    $script:SavedEnvironment = @{}
    foreach ($name in @(Get-ChildItem Env: | Where-Object { $_.Name -like 'SECRETOPS_*' -and $_.Name -notin 'SECRETOPS_MODULE', 'SECRETOPS_NATIVE_SQLITE' } | ForEach-Object Name)) {
        $script:SavedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    # A configuration file that does not exist: no profile applies.
    $env:SECRETOPS_CONFIG = [IO.Path]::Combine([IO.Path]::GetTempPath(), "secretops-pester-$([guid]::NewGuid().ToString('N'))", 'config.yaml')

    $script:PassphraseText = 'correct horse battery staple'
    $script:Passphrase = ConvertTo-SecureString $script:PassphraseText -AsPlainText -Force
    $script:WeakKdf = @{ KdfMemoryMiB = 1; KdfIterations = 1; KdfParallelism = 1; AllowWeakKdf = $true }

    function script:New-TestStorePath {
        Join-Path $TestDrive ("store-{0}.db" -f [guid]::NewGuid().ToString('N'))
    }

    function script:New-TestStore {
        $path = New-TestStorePath
        $kdf = $script:WeakKdf
        $null = New-SecretOpsStore -Path $path -Passphrase $script:Passphrase @kdf -ErrorAction Stop
        $path
    }

    function script:Connect-TestStore([string] $Path) {
        Connect-SecretOpsStore -Path $Path -Passphrase $script:Passphrase -PassThru -ErrorAction Stop
    }

    # The first error the commands in $Command write (non-terminating), or the terminating one they throw.
    function script:Get-FirstError([scriptblock] $Command) {
        try {
            $records = @(& $Command 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        }
        catch {
            return $_
        }
        $records | Select-Object -First 1
    }

    function script:Get-PlainText([securestring] $Secure) {
        [System.Net.NetworkCredential]::new('', $Secure).Password
    }
}

AfterAll {
    Disconnect-SecretOpsStore -All
    foreach ($name in $script:SavedEnvironment.Keys) {
        [Environment]::SetEnvironmentVariable($name, $script:SavedEnvironment[$name])
    }
    Remove-Item Env:SECRETOPS_CONFIG -ErrorAction SilentlyContinue
}

Describe 'The module' {
    It 'exports exactly the cmdlets its manifest lists' {
        $exported = (Get-Module SecretOps).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be (@($script:Manifest.CmdletsToExport) | Sort-Object)
        foreach ($name in $script:Manifest.CmdletsToExport) {
            Get-Command $name -CommandType Cmdlet -ErrorAction Stop | Should -Not -BeNullOrEmpty
        }
    }

    It '<_> declares an output type and help for every parameter' -ForEach $script:CmdletNames {
        $command = Get-Command $_
        $command.OutputType | Should -Not -BeNullOrEmpty
        $common = @([System.Management.Automation.PSCmdlet]::CommonParameters) + @([System.Management.Automation.PSCmdlet]::OptionalCommonParameters)
        foreach ($parameter in $command.Parameters.Values | Where-Object Name -notin $common) {
            foreach ($set in $parameter.ParameterSets.Values) {
                $set.HelpMessage | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) of $_ needs a help message"
            }
        }
    }

    It 'loads its engine and SQLite into the SecretOps load context, not the default one' {
        $null = New-TestStore   # makes sure the engine and SQLite have been loaded
        $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'SecretOps'
        $context | Should -Not -BeNullOrEmpty
        $context.Assemblies.GetName().Name | Should -Contain 'SecretOps.Core'
        $context.Assemblies.GetName().Name | Should -Contain 'SecretOps.Module'
        $context.Assemblies.GetName().Name | Should -Contain 'Microsoft.Data.Sqlite'
        $default = [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name
        $default | Should -Not -Contain 'SecretOps.Core'
        $default | Should -Not -Contain 'SecretOps.Module'
        $default | Should -Contain 'SecretOps' -Because 'the shared assembly with the public types lives in the default context'
    }

    It 'has a format view for each of its output types' {
        foreach ($type in 'SecretOps.SecretEntry', 'SecretOps.SecretVersionInfo', 'SecretOps.NamespaceInfo', 'SecretOps.AuditEntry',
                          'SecretOps.AuditVerification', 'SecretOps.StoreInfo', 'SecretOps.StoreCheckResult', 'SecretOps.StoreCreated',
                          'SecretOps.Module.SessionInfo', 'SecretOps.ClientInfo', 'SecretOps.ClientCreated', 'SecretOps.PermissionInfo',
                          'SecretOps.RotationResult', 'SecretOps.Module.PolicyChangeInfo') {
            Get-FormatData -TypeName $type | Should -Not -BeNullOrEmpty -Because "$type needs a view"
        }
    }
}

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
        Set-Content -Path $secretFile -Value $created.ClientSecret -NoNewline

        (Connect-SecretOpsStore -Path $path -SecretFile $secretFile -PassThru).Client | Should -Be 'system'
        Disconnect-SecretOpsStore
        (Connect-SecretOpsStore -Path $path -ClientSecret (ConvertTo-SecureString $created.ClientSecret -AsPlainText -Force) -PassThru).IsOpen | Should -BeTrue
        Disconnect-SecretOpsStore
        $env:SECRETOPS_CLIENT_SECRET = $created.ClientSecret
        try { (Connect-SecretOpsStore -Path $path -PassThru).IsOpen | Should -BeTrue }
        finally { Remove-Item Env:SECRETOPS_CLIENT_SECRET }
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

Describe 'Secrets' {
    BeforeEach {
        $script:Store = New-TestStore
        $null = Connect-TestStore $script:Store
    }
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'round-trips text: a SecureString by default, a string with -AsPlainText' {
        Set-SecretValue -Name api-key -Value 'text value'
        $secure = Get-SecretValue -Name api-key
        $secure | Should -BeOfType [securestring]
        Get-PlainText $secure | Should -Be 'text value'
        Get-SecretValue -Name api-key -AsPlainText | Should -BeExactly 'text value'
    }

    It 'round-trips a SecureString, a PSCredential and a byte[] (as one object)' {
        Set-SecretValue -Name secure -Value (ConvertTo-SecureString 'pa55' -AsPlainText -Force)
        Get-SecretValue secure -AsPlainText | Should -Be 'pa55'
        (Get-SecretEntry secure).Type | Should -Be 'SecureString'

        $credential = [pscredential]::new('svc-user', (ConvertTo-SecureString 'pw' -AsPlainText -Force))
        Set-SecretValue -Name credential -Value $credential
        $read = Get-SecretValue credential
        $read | Should -BeOfType [pscredential]
        $read.UserName | Should -Be 'svc-user'
        $read.GetNetworkCredential().Password | Should -Be 'pw'

        Set-SecretValue -Name blob -Value ([byte[]](0, 1, 2, 255))
        $bytes = Get-SecretValue blob
        , $bytes | Should -BeOfType [byte[]]
        $bytes.Length | Should -Be 4
        (Get-SecretValue blob | Measure-Object).Count | Should -Be 1
    }

    It 'round-trips a Hashtable, text inside it secure unless -AsPlainText' {
        $credential = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
        Set-SecretValue -Name table -Value @{ text = 't'; secure = (ConvertTo-SecureString 's' -AsPlainText -Force); bytes = [byte[]](7); cred = $credential }
        $table = Get-SecretValue table
        $table | Should -BeOfType [hashtable]
        $table.text | Should -BeOfType [securestring]
        $table.cred.UserName | Should -Be 'u'
        , $table.bytes | Should -BeOfType [byte[]]
        $plain = Get-SecretValue table -AsPlainText
        $plain.text | Should -Be 't'
        $plain.secure | Should -Be 's'
        $plain.TEXT | Should -Be 't' -Because 'the table is case-insensitive like @{}'
    }

    It 'refuses values it cannot store with SecretOps.InvalidParameter, naming the input' {
        foreach ($bad in @(42, @{ nested = @{ a = 'b' } }, @{ number = 1 })) {
            $err = Get-FirstError { Set-SecretValue -Name bad -Value $bad }
            $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
            $err.TargetObject | Should -Be 'bad'
        }
        (Get-FirstError { Get-SecretValue bad }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'refuses bad names with SecretOps.InvalidParameter and leaves the store unchanged' {
        $before = (Get-SecretOpsStore).Secrets
        (Get-FirstError { Set-SecretValue -Name " padded " -Value 'v' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-FirstError { Set-SecretValue -Name "a`tb" -Value 'v' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-FirstError { Set-SecretValue -Name ('x' * 300) -Value 'v' }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-SecretOpsStore).Secrets | Should -Be $before
    }

    It 'reports a missing secret as SecretOps.NotFound with the name as target and category ObjectNotFound' {
        $err = Get-FirstError { Get-SecretValue -Name missing }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        $err.FullyQualifiedErrorId | Should -BeLike '*,SecretOps.Module.Commands.GetSecretValueCommand'
        $err.TargetObject | Should -Be 'missing'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes one error per failed input and goes on with the rest' {
        Set-SecretValue -Name one -Value '1'
        Set-SecretValue -Name two -Value '2'
        $values = 'one', 'missing', 'two' | ForEach-Object { [pscustomobject]@{ Name = $_ } } |
            Get-SecretValue -AsPlainText -ErrorAction SilentlyContinue -ErrorVariable errors
        $values | Should -Be @('1', '2')
        $errors.Count | Should -Be 1
        $errors[0].TargetObject | Should -Be 'missing'
    }

    It 'keeps versions: history, reading an old one, restoring it as a new version' {
        Set-SecretValue -Name db -Value 'v1'
        Set-SecretValue -Name db -Value 'v2'
        $history = Get-SecretVersion -Name db
        $history.Version | Should -Be @(1, 2)
        ($history | Where-Object IsCurrent).Version | Should -Be 2
        $history[0].PSObject.TypeNames[0] | Should -Be 'SecretOps.SecretVersionInfo'
        Get-SecretValue db -Version 1 -AsPlainText | Should -Be 'v1'

        $entry = Restore-SecretVersion -Name db -Version 1 -PassThru
        $entry.Version | Should -Be 3
        Get-SecretValue db -AsPlainText | Should -Be 'v1'

        Get-SecretVersion db | Where-Object Version -eq 2 | Restore-SecretVersion
        Get-SecretValue db -AsPlainText | Should -Be 'v2'
        (Get-SecretEntry db).Version | Should -Be 4
    }

    It 'restores nothing with -WhatIf, and an unknown version is SecretOps.NotFound' {
        Set-SecretValue -Name db -Value 'v1'
        Set-SecretValue -Name db -Value 'v2'
        Restore-SecretVersion -Name db -Version 1 -WhatIf
        (Get-SecretEntry db).Version | Should -Be 2
        (Get-FirstError { Restore-SecretVersion -Name db -Version 9 }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'is a compare-and-swap with -ExpectedVersion (SecretOps.Conflict otherwise)' {
        Set-SecretValue -Name cas -Value 'a' -ExpectedVersion 0
        $err = Get-FirstError { Set-SecretValue -Name cas -Value 'b' -ExpectedVersion 0 }
        $err.FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        (Set-SecretValue -Name cas -Value 'b' -ExpectedVersion 1 -PassThru).Version | Should -Be 2
    }

    It 'expires secrets after -TimeToLive: reads say Expired, listings hide them unless -IncludeExpired' {
        Set-SecretValue -Name short -Value 'v' -TimeToLive '1s'
        Start-Sleep -Seconds 2
        (Get-FirstError { Get-SecretValue short }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Expired,*'
        Get-SecretEntry -Name 'sho*' | Should -BeNullOrEmpty
        (Get-SecretEntry -Name short -IncludeExpired).IsExpired | Should -BeTrue
        (Get-FirstError { Get-SecretEntry -Name short }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'takes -TimeToLive as a TimeSpan or text, and refuses a bare number' {
        (Set-SecretValue -Name a -Value 'v' -TimeToLive (New-TimeSpan -Days 1) -PassThru).ExpiresAt | Should -Not -BeNullOrEmpty
        (Set-SecretValue -Name b -Value 'v' -TimeToLive '1h30m' -PassThru).ExpiresAt | Should -Not -BeNullOrEmpty
        { Set-SecretValue -Name c -Value 'v' -TimeToLive 5 -ErrorAction Stop } | Should -Throw
        Get-SecretEntry -Name c -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'stores metadata in clear and refuses malformed metadata' {
        $rotated = [datetime]::UtcNow
        Set-SecretValue -Name meta -Value 'v' -Metadata @{ owner = 'ops'; rotated = $rotated; tries = 3 }
        $entry = Get-SecretEntry meta
        $entry.Metadata['owner'] | Should -Be 'ops'
        $entry.Metadata['tries'] | Should -Be 3
        (Get-FirstError { Set-SecretValue -Name meta -Value 'v' -Metadata @{ 'bad key' = 1 } }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter,*'
        (Get-SecretEntry meta).Version | Should -Be 1
    }

    It 'lists with wildcards, across namespaces with -Namespace *, and an exact missing name is SecretOps.NotFound' {
        New-SecretNamespace -Name ops | Out-Null
        'db-main', 'db-replica', 'api' | ForEach-Object { Set-SecretValue -Name $_ -Value 'v' }
        Set-SecretValue -Name db-ops -Value 'v' -Namespace ops
        (Get-SecretEntry).Count | Should -Be 3
        (Get-SecretEntry -Name 'db-*').Name | Should -Be @('db-main', 'db-replica')
        (Get-SecretEntry -Name 'db-*' -Namespace '*').Count | Should -Be 3
        (Get-SecretEntry -Namespace ops).Name | Should -Be 'db-ops'
        (Get-SecretEntry)[0].PSObject.TypeNames[0] | Should -Be 'SecretOps.SecretEntry'
        (Get-FirstError { Get-SecretEntry -Name nope }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        (Get-FirstError { Get-SecretEntry -Namespace no-such-ns }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'works in pipelines: entries into Get-SecretValue, Get-SecretVersion, Set-SecretValue and Remove-SecretValue' {
        New-SecretNamespace -Name ops | Out-Null
        Set-SecretValue -Name a -Value 'A'
        Set-SecretValue -Name b -Value 'B' -Namespace ops
        (Get-SecretEntry -Namespace '*' | Get-SecretValue -AsPlainText | Sort-Object) | Should -Be @('A', 'B')
        (Get-SecretEntry -Namespace ops | Get-SecretVersion).Namespace | Should -Be 'ops'
        Get-SecretEntry -Namespace ops | Set-SecretValue -Value 'B2'
        Get-SecretValue b -Namespace ops -AsPlainText | Should -Be 'B2'
        'piped' | Set-SecretValue -Name from-pipeline
        Get-SecretValue from-pipeline -AsPlainText | Should -Be 'piped'
        Get-SecretEntry -Namespace '*' | Remove-SecretValue -Confirm:$false
        Get-SecretEntry -Namespace '*' | Should -BeNullOrEmpty
    }

    It 'uses the namespace given at connect time by default' {
        New-SecretNamespace -Name team | Out-Null
        Disconnect-SecretOpsStore
        $null = Connect-SecretOpsStore -Path $script:Store -Passphrase $script:Passphrase -Namespace team
        (Set-SecretValue -Name x -Value 'v' -PassThru).Namespace | Should -Be 'team'
        (Get-SecretEntry x).Namespace | Should -Be 'team'
    }

    It 'changes nothing with -WhatIf (set and remove)' {
        Set-SecretValue -Name never -Value 'v' -WhatIf
        Get-SecretEntry -Name 'never*' | Should -BeNullOrEmpty
        Set-SecretValue -Name kept -Value 'v'
        Remove-SecretValue -Name kept -WhatIf
        Get-SecretValue kept -AsPlainText | Should -Be 'v'
        Get-SecretEntry kept | Remove-SecretValue -WhatIf
        (Get-SecretEntry kept).Name | Should -Be 'kept'
    }

    It 'removes one old version, refuses the current one alone, and removes the whole secret' {
        Set-SecretValue -Name r -Value 'v1'
        Set-SecretValue -Name r -Value 'v2'
        Remove-SecretValue -Name r -Version 1 -Confirm:$false
        (Get-SecretVersion r).Version | Should -Be 2
        (Get-FirstError { Remove-SecretValue -Name r -Version 2 -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.Conflict,*'
        Remove-SecretValue -Name r -Confirm:$false
        (Get-FirstError { Get-SecretValue r }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
        (Get-FirstError { Remove-SecretValue -Name r -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }

    It 'never shows a value in verbose output, errors or the audit log' {
        $canary = 'CANARY-' + [guid]::NewGuid().ToString('N')
        $verbose = @(Set-SecretValue -Name canary -Value $canary -Verbose 4>&1)
        $verbose += Get-SecretValue canary -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose | Out-String) | Should -Not -Match $canary
        $err = Get-FirstError { Set-SecretValue -Name canary -Value $canary -ExpectedVersion 7 }
        ($err | Out-String) + $err.Exception.ToString() | Should -Not -Match $canary
        (Get-SecretAuditLog | ConvertTo-Json -Depth 4) | Should -Not -Match $canary
        (Get-SecretEntry canary | ConvertTo-Json -Depth 4) | Should -Not -Match $canary
    }
}

Describe 'Namespaces' {
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

Describe 'Clients and permissions' {
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
        $null = New-SecretClient -Name ada -Role Admin -Passphrase $script:AdaPassphrase -AsClient system
        $null = Connect-Client ada $script:AdaPassphrase
        $null = New-SecretClient -Name alice -Passphrase $script:AlicePassphrase -AsClient ada
        $null = New-SecretClient -Name bob -Passphrase $script:BobPassphrase -AsClient ada -Description 'Bob from ops'
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

        $person = New-SecretClient -Name carol -Passphrase (ConvertTo-SecureString 'carol passphrase' -AsPlainText -Force) -AsClient ada -WarningVariable none
        $person.Client.Kind | Should -Be 'Passphrase'
        $person.ClientSecret | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty

        $ec = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $publicKey = Join-Path $TestDrive 'laptop.pub.pem'
        $privateKey = Join-Path $TestDrive 'laptop.pem'
        try {
            Set-Content -Path $publicKey -Value $ec.ExportSubjectPublicKeyInfoPem()
            Set-Content -Path $privateKey -Value $ec.ExportPkcs8PrivateKeyPem()
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
        $rekeyed = Update-SecretClientKey -Passphrase $newPassphrase -AsClient alice -WarningVariable warnings -WarningAction SilentlyContinue
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

Describe 'Policy' {
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
        $null = New-SecretClient -Name alice -Passphrase (ConvertTo-SecureString 'alice passphrase' -AsPlainText -Force)
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
        (Get-FirstError { Get-SecretNamespace -Name fresh }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'

        (Get-FirstError { Import-SecretOpsPolicy -Path (New-PolicyPath) -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'

        $memberPassphrase = ConvertTo-SecureString 'member passphrase' -AsPlainText -Force
        $null = New-SecretClient -Name member -Passphrase $memberPassphrase
        $null = Connect-SecretOpsStore -Path $script:Store -Client member -Passphrase $memberPassphrase
        (Get-FirstError { Export-SecretOpsPolicy -Client member }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
        $valid = New-PolicyPath
        Set-Content -Path $valid -Value "namespaces:`n  - name: fresh`n"
        (Get-FirstError { Import-SecretOpsPolicy -Path $valid -Client member -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.AccessDenied,*'
        (Get-FirstError { Get-SecretNamespace -Name fresh -Client system }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotFound,*'
    }
}

Describe 'Audit' {
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

    It 'verifies the chain' {
        $result = Test-SecretAuditLog
        $result.PSObject.TypeNames[0] | Should -Be 'SecretOps.AuditVerification'
        $result.IsValid | Should -BeTrue
        $result.EntriesChecked | Should -BeGreaterThan 0
        Test-SecretAuditLog -Quiet | Should -BeExactly $true
    }
}

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

Describe 'Formatting' {
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
        (Get-SecretEntry | Out-String) | Should -Match 'Namespace\s+Name\s+Type\s+Version'
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

Describe 'SecretManagement vault extension (called as SecretManagement calls it)' {
    # SecretManagement runs SecretOps.Extension\<function> in the parent module's scope with splatted parameters;
    # this does the same, so it needs no SecretManagement.
    BeforeAll {
        $script:ExtensionStore = New-TestStore
        $script:ExtensionParameters = @{ Path = $script:ExtensionStore; Client = 'system'; Namespace = 'default'; Prompt = $true; Verbose = $false }
        function script:Invoke-VaultFunction {
            [CmdletBinding()]
            param([string] $Command, [hashtable] $Parameters)
            & (Get-Module SecretOps) "SecretOps.Extension\$Command" @Parameters
        }
    }
    AfterAll { Disconnect-SecretOpsStore -All }

    It 'exports every vault function from the nested module and none from SecretOps' {
        $extension = (Get-Module SecretOps).NestedModules | Where-Object Name -EQ 'SecretOps.Extension'
        $extension | Should -Not -BeNullOrEmpty
        @($extension.ExportedFunctions.Keys | Sort-Object) | Should -Be @('Get-Secret', 'Get-SecretInfo', 'Remove-Secret', 'Set-Secret', 'Set-SecretInfo', 'Test-SecretVault', 'Unlock-SecretVault', 'Unregister-SecretVault')
        (Get-Module SecretOps).ExportedFunctions.Count | Should -Be 0
        (Get-Module SecretOps).ExportedCommands.Keys | Should -Not -Contain 'Get-Secret'
    }

    It 'imports on its own, as SecretManagement does when it validates a registration (in a throwaway runspace)' {
        $folder = [IO.Path]::Combine($script:ModuleFolder, 'SecretOps.Extension')
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                param($Folder, $Parameters)
                $module = Import-Module -Name $Folder -Force -PassThru -ErrorAction Stop
                [pscustomobject]@{
                    Name      = $module.Name
                    Functions = @($module.ExportedFunctions.Keys | Sort-Object)
                    Test      = @(& $module { param($p) Test-SecretVault @p -ErrorAction SilentlyContinue } $Parameters)
                }
            }).AddArgument($folder).AddArgument(@{ VaultName = 'alone'; AdditionalParameters = $script:ExtensionParameters })
            $result = $shell.Invoke()
            $result.Count | Should -Be 1
            $result[0].Name | Should -Be 'SecretOps.Extension'
            $result[0].Functions | Should -Contain 'Get-Secret'
            $result[0].Test.Count | Should -Be 1
            $result[0].Test[0] | Should -BeOfType [bool]
        }
        finally {
            $shell.Dispose()
        }
    }

    It 'reports a locked vault, then works once unlocked' {
        $test = Invoke-VaultFunction Test-SecretVault @{ VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } -ErrorVariable problems -ErrorAction SilentlyContinue
        @($test).Count | Should -Be 1
        $test | Should -BeFalse
        $problems[0].FullyQualifiedErrorId | Should -Match '^SecretOps.VaultLocked'

        { Invoke-VaultFunction Get-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } } | Should -Throw -ExpectedMessage '*Unlock-SecretVault*'

        Invoke-VaultFunction Unlock-SecretVault @{ Password = $script:Passphrase; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        Invoke-VaultFunction Test-SecretVault @{ VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } | Should -BeTrue
    }

    It 'sets, gets, lists and removes, writing errors instead of throwing' {
        Invoke-VaultFunction Unlock-SecretVault @{ Password = $script:Passphrase; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        Invoke-VaultFunction Set-Secret @{ Name = 'db'; Secret = 'v1'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{ owner = 'ops' } }
        Invoke-VaultFunction Get-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } | Should -Be 'v1'
        Invoke-VaultFunction Get-Secret @{ Name = 'missing'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } -ErrorVariable none | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty

        $bytes = Invoke-VaultFunction Get-Secret @{ Name = 'bytes'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        $bytes | Should -BeNullOrEmpty
        Invoke-VaultFunction Set-Secret @{ Name = 'bytes'; Secret = [byte[]](1, 2, 3); VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{} }
        $bytes = Invoke-VaultFunction Get-Secret @{ Name = 'bytes'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        , $bytes | Should -BeOfType [byte[]]
        $bytes | Should -Be @(1, 2, 3)

        Invoke-VaultFunction Set-Secret @{ Name = 'bad'; Secret = $true; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{} } -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -Match '^SecretOps.InvalidParameter'

        Invoke-VaultFunction Set-Secret @{ Name = 'meta'; Secret = 'x'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters; Metadata = @{ flag = $true } } -ErrorVariable metadataRefused -ErrorAction SilentlyContinue
        $metadataRefused[0].Exception.Message | Should -Match 'refused'

        Invoke-VaultFunction Remove-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters }
        Invoke-VaultFunction Get-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } | Should -BeNullOrEmpty
        Invoke-VaultFunction Remove-Secret @{ Name = 'db'; VaultName = 'V'; AdditionalParameters = $script:ExtensionParameters } -ErrorVariable notFound -ErrorAction SilentlyContinue
        $notFound[0].FullyQualifiedErrorId | Should -Match '^SecretOps.NotFound'
    }

    It 'refuses VaultParameters that hold a secret, saying why' {
        $parameters = @{ Path = $script:ExtensionStore; Passphrase = 'hunter2'; Verbose = $false }
        $test = Invoke-VaultFunction Test-SecretVault @{ VaultName = 'V'; AdditionalParameters = $parameters } -ErrorVariable problems -ErrorAction SilentlyContinue
        $test | Should -BeFalse
        $problems[0].Exception.Message | Should -Match 'plain JSON'
        $problems[0].Exception.Message | Should -Not -Match 'hunter2'
    }
}

Describe 'Register-SecretOpsVault without SecretManagement' -Skip:(-not $script:SecretManagementMissing) {
    It 'fails clearly' {
        $store = New-TestStore
        $failure = Get-FirstError { Register-SecretOpsVault -Name "SecretOpsPester$([guid]::NewGuid().ToString('N'))" -Path $store -Prompt }
        $failure.FullyQualifiedErrorId | Should -Match '^SecretOps.SecretManagementMissing'
        $failure.Exception.Message | Should -Match 'Install-Module Microsoft.PowerShell.SecretManagement'
    }
}

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
        Set-Content -Path $script:SecretFileB -Value $created.ClientSecret -NoNewline
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

    It 'Test-SecretVault changes nothing' {
        Unlock-SecretVault -Name $script:VaultA -Password $script:Passphrase -ErrorAction Stop
        $before = @(Get-SecretInfo -Vault $script:VaultA).Name | Sort-Object
        Test-SecretVault -Name $script:VaultA | Should -BeTrue
        @(Get-SecretInfo -Vault $script:VaultA).Name | Sort-Object | Should -Be $before
    }
}
