#Requires -Version 7.4
# What runbooks do with a SecretOps vault, as SecretManagement's automation docs describe it: every runbook is a
# fresh `pwsh -NonInteractive` (Start-Runbook in Common.ps1: standard input closed, killed at a deadline) that
# imports SecretOps BY NAME from the expanded package on its PSModulePath and reads through the real
# SecretManagement. Each Describe is one machine with its own HOME (so its own vault registry); its vaults are
# registered once, as an admin would, by a fresh pwsh with the packaged module. Stores, clients and secrets are
# made here with the built module (the same engine and file format). See Common.ps1 for the shared setup.

BeforeDiscovery {
    # Invoke-PesterSuite.ps1 says once how to get SecretManagement when it is missing (and fails in CI).
    $script:SecretManagementMissing = -not (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)
    $script:OpenSslMissing = -not (Get-Command openssl -CommandType Application -ErrorAction Ignore)
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    # One package for the whole file: what a user expands into a folder on PSModulePath.
    $script:Package = New-TestPackage

    # Registers vaults on a runbook machine: Register-SecretOpsVault with each table's parameters, in order, in a
    # fresh pwsh that imports SecretOps by name (so the registrations point at the packaged module).
    function script:Register-RunbookVault([hashtable] $Environment, [hashtable[]] $Vault) {
        # In a hosted run each vault on a hosted test store also names its client's token file, as an admin would.
        foreach ($parameters in $Vault) {
            if ($script:Hosted -and $script:HostedStores.ContainsKey($parameters.Path)) { $parameters.TokenFile = Get-TestTokenFile $parameters.Path $parameters.Client }
        }
        $run = Invoke-Runbook -Environment $Environment -Parameters @{ Vaults = ConvertTo-Json -InputObject @($Vault) -Compress } -Script @'
param([string] $Vaults)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
foreach ($vault in ConvertFrom-Json $Vaults -AsHashtable) { Register-SecretOpsVault @vault -WarningAction SilentlyContinue }
'@
        Assert-RunbookSucceeded $run
    }

    # Credential files as an admin provisions them: readable by their owner only.
    function script:Protect-OwnerOnly([string] $Path) {
        if (-not $IsWindows) { [IO.File]::SetUnixFileMode($Path, [IO.UnixFileMode]'UserRead, UserWrite') }
    }
    function script:Set-OwnerOnlyFile([string] $Path, [string] $Value) {
        Set-Content -LiteralPath $Path -Value $Value -NoNewline
        Protect-OwnerOnly $Path
    }

    # A client with a generated secret, granted on the namespace, its secret in an owner-only file.
    function script:New-SecretFileClient([string] $Store, [string] $Name, [string] $Namespace, [string[]] $Permission = @('Read')) {
        $client = New-SecretClient -Name $Name -GenerateSecret -Store $Store -ErrorAction Stop -WarningAction SilentlyContinue
        $null = Grant-SecretPermission -Client $Name -Namespace $Namespace -Permission $Permission -Store $Store -ErrorAction Stop
        $file = Join-Path $TestDrive "$Name-$([guid]::NewGuid().ToString('N')).secret"
        Set-OwnerOnlyFile $file $client.ClientSecret
        [pscustomobject]@{ Name = $Name; Secret = $client.ClientSecret; SecretFile = $file }
    }

    # The runbook most runbooks are: read one secret and print it.
    $script:ReadSecretRunbook = @'
param([string] $Vault, [string] $Name)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
Get-Secret -Name $Name -Vault $Vault -AsPlainText
'@
}
AfterAll { Restore-TestEnvironment }

Describe 'Runbooks reading unattended' -Tag Hosted -Skip:$script:SecretManagementMissing {
    # One store, namespace prod, and a vault for each credential a runbook can hold. The runbooks start together
    # here; each It checks one of them.
    BeforeAll {
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:Machine = New-RunbookEnvironment $script:Package.ModulesFolder
        $script:DbPassword = "db 'pass' `"word`" $suffix"
        $script:ServicePassword = "svc p@ss; `$x $suffix"
        $store = New-TestStore
        $null = Connect-TestStore $store
        $null = New-SecretNamespace -Name prod
        $null = Set-SecretValue -Namespace prod -Name db-password -Value $script:DbPassword
        $null = Set-SecretValue -Namespace prod -Name svc-account -Value ([pscredential]::new('CORP\svc-runbook', (ConvertTo-SecureString $script:ServicePassword -AsPlainText -Force)))
        $fileClient = New-SecretFileClient $store 'rb-file' 'prod'
        $envClient = New-SecretFileClient $store 'rb-env' 'prod'
        $script:EnvVariable = "RB_SECRET_$suffix"

        # The Prompt vault's passphrase, saved by Export-Clixml as the automation docs show (DPAPI-encrypted on
        # Windows; elsewhere PowerShell stores a SecureString unencrypted, so the file's permissions protect it).
        $passwordFile = Join-Path $TestDrive "unlock-$suffix.xml"
        $script:Passphrase | Export-Clixml -LiteralPath $passwordFile
        Protect-OwnerOnly $passwordFile

        $vaults = [ordered]@{
            Prompt = @{ Name = "RbPrompt$suffix"; Path = $store; Namespace = 'prod'; Client = 'system'; Prompt = $true }
            File   = @{ Name = "RbFile$suffix"; Path = $store; Namespace = 'prod'; Client = 'rb-file'; SecretFile = $fileClient.SecretFile }
            Env    = @{ Name = "RbEnv$suffix"; Path = $store; Namespace = 'prod'; Client = 'rb-env'; SecretEnvironmentVariable = $script:EnvVariable }
        }
        if (-not $script:OpenSslMissing) {
            $key = Join-Path $TestDrive "rb-key-$suffix.pem"
            $publicKey = Join-Path $TestDrive "rb-key-$suffix.pub.pem"
            & openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $key 2>&1 | Out-Null
            & openssl pkey -in $key -pubout -out $publicKey 2>&1 | Out-Null
            Protect-OwnerOnly $key
            $null = New-SecretClient -Name rb-key -PublicKeyPath $publicKey -ErrorAction Stop
            $null = Grant-SecretPermission -Client rb-key -Namespace prod -Permission Read -ErrorAction Stop
            $vaults.Key = @{ Name = "RbKey$suffix"; Path = $store; Namespace = 'prod'; Client = 'rb-key'; KeyFile = $key }
        }
        Disconnect-SecretOpsStore -All
        Register-RunbookVault $script:Machine @($vaults.Values)
        $script:Vaults = $vaults

        $withSecret = $script:Machine + @{ $script:EnvVariable = $envClient.Secret }
        $started = [ordered]@{
            Unlocked   = Start-Runbook -Environment $script:Machine -Parameters @{ Vault = $vaults.Prompt.Name; Name = 'db-password'; PasswordFile = $passwordFile } -Script @'
param([string] $Vault, [string] $Name, [string] $PasswordFile)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
Unlock-SecretVault -Name $Vault -Password (Import-Clixml -LiteralPath $PasswordFile)
Get-Secret -Name $Name -Vault $Vault -AsPlainText
'@
            Locked     = Start-Runbook -Environment $script:Machine -Parameters @{ Vault = $vaults.Prompt.Name; Name = 'db-password' } -Script $script:ReadSecretRunbook
            File       = Start-Runbook -Environment $script:Machine -Parameters @{ Vault = $vaults.File.Name; Name = 'db-password' } -Script $script:ReadSecretRunbook
            Env        = Start-Runbook -Environment $withSecret -Parameters @{ Vault = $vaults.Env.Name; Name = 'db-password' } -Script $script:ReadSecretRunbook
            EnvMissing = Start-Runbook -Environment $script:Machine -Parameters @{ Vault = $vaults.Env.Name; Name = 'db-password' } -Script $script:ReadSecretRunbook
            Credential = Start-Runbook -Environment $script:Machine -Parameters @{ Vault = $vaults.File.Name; Name = 'svc-account' } -Script @'
param([string] $Vault, [string] $Name)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
$credential = Get-Secret -Name $Name -Vault $Vault
$credential.GetType().FullName
$credential.UserName
$credential.GetNetworkCredential().Password
'@
        }
        if ($vaults.Contains('Key')) {
            $started.Key = Start-Runbook -Environment $script:Machine -Parameters @{ Vault = $vaults.Key.Name; Name = 'db-password' } -Script $script:ReadSecretRunbook
        }
        $script:Runs = @{}
        foreach ($name in $started.Keys) { $script:Runs[$name] = $started[$name] | Wait-Runbook }
    }

    It 'unlocks a Prompt vault with the password saved by Export-Clixml, then reads' {
        Assert-RunbookSucceeded $script:Runs.Unlocked
        $script:Runs.Unlocked.Lines | Should -Be @($script:DbPassword)
    }

    It 'fails at once on a locked Prompt vault, naming Unlock-SecretVault, without prompting or printing the value' {
        Assert-RunbookFailed $script:Runs.Locked -Secret $script:DbPassword
        $script:Runs.Locked.Error | Should -Match 'Unlock-SecretVault'
    }

    It 'reads through a vault whose client secret is in a file (SecretFile)' {
        Assert-RunbookSucceeded $script:Runs.File
        $script:Runs.File.Lines | Should -Be @($script:DbPassword)
    }

    It 'reads through a vault whose client secret is in an environment variable (SecretEnvironmentVariable)' {
        Assert-RunbookSucceeded $script:Runs.Env
        $script:Runs.Env.Lines | Should -Be @($script:DbPassword)
    }

    It 'fails at once when that environment variable is not set, naming it' {
        Assert-RunbookFailed $script:Runs.EnvMissing -Secret $script:DbPassword
        $script:Runs.EnvMissing.Error | Should -Match $script:EnvVariable
    }

    It 'reads through a vault whose client holds a PEM key file (KeyFile)' -Skip:$script:OpenSslMissing {
        Assert-RunbookSucceeded $script:Runs.Key
        $script:Runs.Key.Lines | Should -Be @($script:DbPassword)
    }

    It 'reads a PSCredential with its user name and password' {
        Assert-RunbookSucceeded $script:Runs.Credential
        $script:Runs.Credential.Lines | Should -Be @('System.Management.Automation.PSCredential', 'CORP\svc-runbook', $script:ServicePassword)
    }
}

Describe 'Runbooks on a machine with several vaults' -Tag Hosted -Skip:$script:SecretManagementMissing {
    # Three vaults holding a secret of the same name: store A's default namespace, store A's namespace team, and
    # store B. The first registered becomes SecretManagement's default on its own; -DefaultVault on the third
    # makes that one the default instead.
    BeforeAll {
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $machine = New-RunbookEnvironment $script:Package.ModulesFolder
        $storeA = New-TestStore
        $null = Connect-TestStore $storeA
        $null = New-SecretNamespace -Name team
        $null = Set-SecretValue -Name app-token -Value 'token of A/default'
        $null = Set-SecretValue -Namespace team -Name app-token -Value 'token of A/team'
        $null = Set-SecretValue -Namespace team -Name 'api[1]' -Value 'the bracketed one'
        $null = Set-SecretValue -Namespace team -Name 'api1' -Value 'the plain one'
        $reader = New-SecretFileClient $storeA 'rb-reader' 'default'
        $null = Grant-SecretPermission -Client rb-reader -Namespace team -Permission Read

        $storeB = New-TestStorePath
        $kdf = $script:WeakKdf
        $created = New-SecretOpsStore -Path $storeB -GenerateSecret @kdf -ErrorAction Stop -WarningAction SilentlyContinue
        $systemFileB = Join-Path $TestDrive "b-$suffix.secret"
        Set-OwnerOnlyFile $systemFileB $created.ClientSecret
        $null = Connect-SecretOpsStore -Path $storeB -SecretFile $systemFileB -ErrorAction Stop
        $null = Set-SecretValue -Store $storeB -Name app-token -Value 'token of B'
        $null = Set-SecretValue -Store $storeB -Name only-in-b -Value 'only B has this'
        Disconnect-SecretOpsStore -All

        $script:VaultA = "RbStoreA$suffix"
        $script:VaultTeam = "RbTeam$suffix"
        $script:VaultB = "RbStoreB$suffix"
        Register-RunbookVault $machine @(
            @{ Name = $script:VaultA; Path = $storeA; Client = 'rb-reader'; SecretFile = $reader.SecretFile }
            @{ Name = $script:VaultB; Path = $storeB; Client = 'system'; SecretFile = $systemFileB }
            @{ Name = $script:VaultTeam; Path = $storeA; Namespace = 'team'; Client = 'rb-reader'; SecretFile = $reader.SecretFile; DefaultVault = $true }
        )

        $script:Run = Invoke-Runbook -Environment $machine -Parameters @{ VaultA = $script:VaultA; VaultTeam = $script:VaultTeam; VaultB = $script:VaultB } -Script @'
param([string] $VaultA, [string] $VaultTeam, [string] $VaultB)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
[pscustomobject]@{
    Vaults       = @(Get-SecretVault | Sort-Object Name | ForEach-Object { [pscustomobject]@{ Name = $_.Name; IsDefault = $_.IsDefault; ModulePath = $_.ModulePath } })
    WithoutVault = Get-Secret -Name app-token -AsPlainText
    InA          = Get-Secret -Name app-token -Vault $VaultA -AsPlainText
    InTeam       = Get-Secret -Name app-token -Vault $VaultTeam -AsPlainText
    InB          = Get-Secret -Name app-token -Vault $VaultB -AsPlainText
    OnlyInB      = Get-Secret -Name only-in-b -AsPlainText
    Bracketed    = Get-Secret -Name 'api[1]' -AsPlainText
    Listed       = @(Get-SecretInfo -Name 'APP-*' | ForEach-Object { "$($_.VaultName)/$($_.Name)" } | Sort-Object)
} | ConvertTo-Json -Compress -Depth 3
'@
        $script:Result = $script:Run.ExitCode -eq 0 ? ($script:Run.Output | ConvertFrom-Json) : $null
    }

    It 'registers all three with the packaged module, the -DefaultVault one as default' {
        Assert-RunbookSucceeded $script:Run
        $script:Result.Vaults.Name | Should -Be (@($script:VaultA, $script:VaultB, $script:VaultTeam) | Sort-Object)
        ($script:Result.Vaults | Where-Object IsDefault).Name | Should -Be $script:VaultTeam
        foreach ($vault in $script:Result.Vaults) {
            $vault.ModulePath | Should -BeLike "$($script:Package.ModulesFolder)*"
        }
    }

    It 'reads the default vault without -Vault, and each vault''s own value with -Vault' {
        $script:Result.WithoutVault | Should -Be 'token of A/team'
        $script:Result.InA | Should -Be 'token of A/default'
        $script:Result.InTeam | Should -Be 'token of A/team'
        $script:Result.InB | Should -Be 'token of B'
    }

    It 'finds a secret the default vault lacks in another vault' {
        $script:Result.OnlyInB | Should -Be 'only B has this'
    }

    It 'reads a name with [ ] from the default vault literally, not as a wildcard' {
        $script:Result.Bracketed | Should -Be 'the bracketed one'
    }

    It 'lists matching secrets of every vault without -Vault, ignoring case' {
        $script:Result.Listed | Should -Be (@("$($script:VaultA)/app-token", "$($script:VaultB)/app-token", "$($script:VaultTeam)/app-token") | Sort-Object)
    }
}

Describe 'Runbooks managing vaults' -Tag Hosted -Skip:$script:SecretManagementMissing {
    # One store's namespace ops as vault Ops (a client with Read and Write), a second registration of it (OpsTwin),
    # and two broken registrations: a store that does not exist, and another client whose secret file was deleted
    # after registering (another client: a session Ops opened for rb-ops would serve any registration of rb-ops in
    # the same process).
    BeforeAll {
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:OpsMachine = New-RunbookEnvironment $script:Package.ModulesFolder
        $script:OpsStore = New-TestStore
        $null = Connect-TestStore $script:OpsStore
        $null = New-SecretNamespace -Name ops
        foreach ($name in 'db-password', 'api-key', 'api[1]', 'api1', 'other') {
            $null = Set-SecretValue -Namespace ops -Name $name -Value "value of $name"
        }
        $null = Set-SecretValue -Namespace ops -Name db-user -Value 'value of db-user' -Metadata @{ owner = 'dba'; ticket = 'T-1' }
        $ops = New-SecretFileClient $script:OpsStore 'rb-ops' 'ops' -Permission Read, Write
        $gone = New-SecretFileClient $script:OpsStore 'rb-gone' 'ops'
        Disconnect-SecretOpsStore -All

        $script:MissingStore = Join-Path $TestDrive "missing-$suffix.db"
        $script:DeletedSecretFile = $gone.SecretFile
        $script:Ops = "RbOps$suffix"
        $script:OpsTwin = "RbOpsTwin$suffix"
        $script:BrokenStore = "RbNoStore$suffix"
        $script:BrokenSecretFile = "RbNoSecretFile$suffix"
        Register-RunbookVault $script:OpsMachine @(
            @{ Name = $script:Ops; Path = $script:OpsStore; Namespace = 'ops'; Client = 'rb-ops'; SecretFile = $ops.SecretFile }
            @{ Name = $script:OpsTwin; Path = $script:OpsStore; Namespace = 'ops'; Client = 'rb-ops'; SecretFile = $ops.SecretFile }
            @{ Name = $script:BrokenStore; Path = $script:MissingStore; Namespace = 'ops'; Client = 'rb-ops'; SecretFile = $ops.SecretFile }
            @{ Name = $script:BrokenSecretFile; Path = $script:OpsStore; Namespace = 'ops'; Client = 'rb-gone'; SecretFile = $script:DeletedSecretFile }
        )
        Remove-Item -LiteralPath $script:DeletedSecretFile

        $started = @{
            Info    = Start-Runbook -Environment $script:OpsMachine -Parameters @{ Vault = $script:Ops } -Script @'
param([string] $Vault)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
function Get-Names([string] $Filter) { @(Get-SecretInfo -Vault $Vault -Name $Filter | ForEach-Object Name | Sort-Object) }
[pscustomobject]@{
    All        = Get-Names '*'
    Prefix     = Get-Names 'db-*'
    OneChar    = Get-Names 'api?key'
    Bracket    = Get-Names 'api[1]'
    Escaped    = Get-Names 'api`[1`]'
    OtherCase  = Get-Names 'DB-PASSWORD'
    None       = Get-Names 'nothing*'
    VaultNames = @(Get-SecretInfo -Vault $Vault | ForEach-Object VaultName | Sort-Object -Unique)
    Bracketed  = Get-Secret -Name 'api[1]' -Vault $Vault -AsPlainText
} | ConvertTo-Json -Compress
'@
            SetInfo = Start-Runbook -Environment $script:OpsMachine -Parameters @{ Vault = $script:Ops } -Script @'
param([string] $Vault)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
Set-SecretInfo -Name db-user -Vault $Vault -Metadata @{ owner = 'secops'; days = 90; rotated = [datetime]::new(2026, 1, 2, 3, 4, 5, [DateTimeKind]::Utc) }
$metadata = (Get-SecretInfo -Name db-user -Vault $Vault).Metadata
[pscustomobject]@{
    Keys    = @($metadata.Keys | Sort-Object)
    Owner   = $metadata['owner']
    Days    = $metadata['days']
    Rotated = $metadata['rotated'].GetType().Name + ' ' + $metadata['rotated'].ToUniversalTime().ToString('yyyy-MM-dd HH:mm:ss')
} | ConvertTo-Json -Compress
'@
            Test    = Start-Runbook -Environment $script:OpsMachine -Parameters @{ Vaults = ($script:Ops, $script:BrokenStore, $script:BrokenSecretFile) -join ',' } -Script @'
param([string] $Vaults)
Import-Module SecretOps
$results = foreach ($vault in $Vaults -split ',') {
    $problems = $null
    $verdict = Test-SecretVault -Name $vault -ErrorVariable problems -ErrorAction SilentlyContinue
    [pscustomobject]@{ Vault = $vault; Verdict = $verdict; Problems = @($problems | ForEach-Object { $_.Exception.Message }) }
}
ConvertTo-Json -InputObject @($results) -Compress
'@
        }
        $script:Runs = @{}
        foreach ($name in $started.Keys) { $script:Runs[$name] = $started[$name] | Wait-Runbook }
    }

    It 'Get-SecretInfo -Vault filters by wildcard, ignoring case, and matches names with [ ] literally' {
        $run = $script:Runs.Info
        Assert-RunbookSucceeded $run
        $result = $run.Output | ConvertFrom-Json
        $result.All | Should -Be (@('api-key', 'api[1]', 'api1', 'db-password', 'db-user', 'other') | Sort-Object)
        $result.Prefix | Should -Be @('db-password', 'db-user')
        $result.OneChar | Should -Be @('api-key')
        # 'api[1]' is both a pattern (matching api1) and a literal name; escaped, only the literal name.
        $result.Bracket | Should -Be (@('api[1]', 'api1') | Sort-Object)
        $result.Escaped | Should -Be @('api[1]')
        $result.OtherCase | Should -Be @('db-password')
        $result.None | Should -BeNullOrEmpty
        $result.VaultNames | Should -Be @($script:Ops)
        $result.Bracketed | Should -Be 'value of api[1]'
    }

    It 'Set-SecretInfo replaces the metadata, as Get-SecretInfo and the store show' {
        $run = $script:Runs.SetInfo
        Assert-RunbookSucceeded $run
        $result = $run.Output | ConvertFrom-Json
        $result.Keys | Should -Be @('days', 'owner', 'rotated')
        $result.Owner | Should -Be 'secops'
        $result.Days | Should -Be 90
        $result.Rotated | Should -Be 'DateTime 2026-01-02 03:04:05'

        $null = Connect-TestStore $script:OpsStore
        try {
            $entry = Get-SecretEntry -Namespace ops -Name db-user
            @($entry.Metadata.Keys | Sort-Object) | Should -Be @('days', 'owner', 'rotated')
            $entry.Metadata['owner'] | Should -Be 'secops'
        }
        finally {
            Disconnect-SecretOpsStore -All
        }
    }

    It 'Test-SecretVault is true for a working vault and false, saying why, for a missing store or secret file' {
        $run = $script:Runs.Test
        Assert-RunbookSucceeded $run
        $results = @{}
        foreach ($result in $run.Output | ConvertFrom-Json) { $results[$result.Vault] = $result }

        $results[$script:Ops].Verdict | Should -BeTrue
        $results[$script:Ops].Problems | Should -BeNullOrEmpty

        $results[$script:BrokenStore].Verdict | Should -BeFalse
        $results[$script:BrokenStore].Problems -join ' ' | Should -BeLike "*$($script:MissingStore)*"

        $results[$script:BrokenSecretFile].Verdict | Should -BeFalse
        $results[$script:BrokenSecretFile].Problems -join ' ' | Should -BeLike "*$($script:DeletedSecretFile)*"
    }

    It 'Unregister-SecretVault removes the registration for later runbooks and leaves the store to the other one' {
        $before = Get-StoreState $script:OpsStore
        $run = Invoke-Runbook -Environment $script:OpsMachine -Parameters @{ Vault = $script:OpsTwin } -Script @'
param([string] $Vault)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
Unregister-SecretVault -Name $Vault
'@
        Assert-RunbookSucceeded $run
        Get-StoreState $script:OpsStore | Should -Be $before -Because 'unregistering does not touch the store'

        $after = Invoke-Runbook -Environment $script:OpsMachine -Parameters @{ Twin = $script:OpsTwin; Vault = $script:Ops } -Script @'
param([string] $Twin, [string] $Vault)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
@(Get-SecretVault | Where-Object Name -EQ $Twin).Count
Get-Secret -Name db-password -Vault $Vault -AsPlainText
'@
        Assert-RunbookSucceeded $after
        $after.Lines | Should -Be @('0', 'value of db-password')
    }
}

Describe 'Runbooks reading at the same time' -Tag Hosted -Skip:$script:SecretManagementMissing {
    BeforeAll {
        $script:BatchStore = New-TestStore
        $null = Connect-TestStore $script:BatchStore
        $script:BatchNames = @(1..12 | ForEach-Object { 'batch-{0:d2}' -f $_ })
        foreach ($name in $script:BatchNames) { $null = Set-SecretValue -Name $name -Value "value of $name" }
        $batch = New-SecretFileClient $script:BatchStore 'rb-batch' 'default'
        Disconnect-SecretOpsStore -All
        $machine = New-RunbookEnvironment $script:Package.ModulesFolder
        $vault = "RbBatch$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        Register-RunbookVault $machine @(@{ Name = $vault; Path = $script:BatchStore; Client = 'rb-batch'; SecretFile = $batch.SecretFile })

        $started = 1..4 | ForEach-Object {
            Start-Runbook -Environment $machine -Parameters @{ Vault = $vault; Names = $script:BatchNames -join ',' } -Script @'
param([string] $Vault, [string] $Names)
$ErrorActionPreference = 'Stop'
Import-Module SecretOps
foreach ($name in $Names -split ',') { '{0}={1}' -f $name, (Get-Secret -Name $name -Vault $Vault -AsPlainText) }
'@
        }
        $script:BatchRuns = @($started | Wait-Runbook)
    }
    AfterAll { Disconnect-SecretOpsStore -All }

    It 'four runbooks started together each read every secret right' {
        $expected = @($script:BatchNames | ForEach-Object { "$_=value of $_" })
        foreach ($run in $script:BatchRuns) {
            Assert-RunbookSucceeded $run
            $run.Lines | Should -Be $expected
        }
    }

    It 'the audit log has every read, by process, through the vault, and its chain holds' {
        $null = Connect-TestStore $script:BatchStore
        $reads = @(Get-SecretAuditLog -Action secret.get -Client rb-batch)
        $reads | Where-Object Outcome -NE 'ok' | Should -BeNullOrEmpty
        $reads.Count | Should -Be (4 * $script:BatchNames.Count)
        @($reads.Surface | Sort-Object -Unique) | Should -Be @('vault')
        foreach ($run in $script:BatchRuns) {
            $mine = @($reads | Where-Object ProcessId -EQ $run.Id)
            @($mine.Target | Sort-Object) | Should -Be $script:BatchNames -Because "process $($run.Id) read each secret once"
        }
        (Test-SecretAuditLog).IsValid | Should -BeTrue
    }
}
