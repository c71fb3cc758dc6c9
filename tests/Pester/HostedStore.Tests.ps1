#Requires -Version 7.4
# A store a real server hosts (out/server), used from the module: Connect-SecretOpsStore -Uri, and a vault registered
# with Register-SecretOpsVault -Uri read with the real SecretManagement's Get-Secret. See Common.ps1 for the shared setup.

BeforeDiscovery {
    $script:SecretManagementMissing = -not (Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement)
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    # Common.ps1 names the built server and CLI.
    foreach ($assembly in $script:ServerAssembly, $script:CliAssembly) {
        if (-not (Test-Path $assembly)) { throw "No built '$assembly': run 'dotnet build SecretOps.sln -c Release' first." }
    }

    # The server, on a loopback port the system picks, plain HTTP (loopback only).
    $script:ServerDatabase = Join-Path $TestDrive 'server.db'
    $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in 'exec', $script:ServerAssembly, '--insecure-http', '--listen', '127.0.0.1', '--port', '0', '--sqlite-path', $script:ServerDatabase) {
        $start.ArgumentList.Add($argument)
    }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $script:Server = [Diagnostics.Process]::Start($start)
    $deadline = [DateTime]::UtcNow.AddSeconds(90)
    $script:Uri = $null
    while (-not $script:Uri -and [DateTime]::UtcNow -lt $deadline) {
        $line = $script:Server.StandardOutput.ReadLine()
        if ($null -eq $line) { break }
        if ($line -match '"Message":"Listening on (?<url>http://[^ "]+)') { $script:Uri = $Matches.url.TrimEnd('/') }
    }
    if (-not $script:Uri) { throw "The server did not start: $($script:Server.StandardError.ReadToEnd())" }

    # A store made as a file by its System client (a generated secret), enrolled and pushed to the server.
    $script:StoreFile = New-TestStorePath
    $kdf = $script:WeakKdf
    $created = New-SecretOpsStore -Path $script:StoreFile -GenerateSecret @kdf -ErrorAction Stop
    $script:SecretFile = Join-Path $TestDrive 'system.secret'
    Set-OwnerOnlyContent -Path $script:SecretFile -Value $created.ClientSecret
    $token = (Invoke-DotnetTool $script:ServerAssembly @('enrol', '--client', $created.ClientId.ToString(), '--sqlite-path', $script:ServerDatabase)).Trim()
    $script:TokenFile = Join-Path $TestDrive 'system.token'
    Set-OwnerOnlyContent -Path $script:TokenFile -Value $token
    $null = Invoke-DotnetTool $script:CliAssembly @('--store', $script:StoreFile, '--token-file', $script:TokenFile, 'store', 'push', $script:Uri)

    # This process's replicas of hosted stores stay in the test drive.
    $script:StateBefore = $env:XDG_STATE_HOME
    $env:XDG_STATE_HOME = Join-Path $TestDrive 'state'
}

AfterAll {
    if ($script:Server -and -not $script:Server.HasExited) { $script:Server.Kill($true) }
    $env:XDG_STATE_HOME = $script:StateBefore
    Restore-TestEnvironment
}

Describe 'A store a server hosts' {
    AfterEach { Disconnect-SecretOpsStore -All }

    It 'Connect-SecretOpsStore -Uri reads what the file held and writes through the server' {
        $session = Connect-SecretOpsStore -Uri $script:Uri -SecretFile $script:SecretFile -TokenFile $script:TokenFile -PassThru -ErrorAction Stop
        $session.Store | Should -Be "$($script:Uri)/"
        Set-SecretValue -Name from-pwsh -Value 'through the server' -ErrorAction Stop
        Get-SecretValue -Name from-pwsh -AsPlainText | Should -BeExactly 'through the server'

        # The CLI on the same machine sees the write: it went to the server, not to the file.
        Invoke-DotnetTool $script:CliAssembly @('--store', $script:Uri, '--token-file', $script:TokenFile, '--secret-file', $script:SecretFile, 'secret', 'get', 'from-pwsh') |
            Should -BeExactly 'through the server'
        { Invoke-DotnetTool $script:CliAssembly @('--store', $script:StoreFile, '--secret-file', $script:SecretFile, 'secret', 'get', 'from-pwsh') } | Should -Throw '*exited 3*'

        # Commands find the session by the server's address, as a file's session by its path; it closes the same way.
        Get-SecretValue -Name from-pwsh -Store $script:Uri -AsPlainText | Should -BeExactly 'through the server'
        $session | Disconnect-SecretOpsStore -ErrorAction Stop
        (Get-FirstError { Get-SecretValue -Name from-pwsh }).FullyQualifiedErrorId | Should -BeLike 'SecretOps.NotConnected,*'
    }

    It 'refuses to connect without an enrolment token, saying how to give one' {
        $record = Get-FirstError { Connect-SecretOpsStore -Uri $script:Uri -SecretFile $script:SecretFile }
        $record.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter*'
        $record.Exception.Message | Should -BeLike '*enrolment token*'
        $record.ErrorDetails.RecommendedAction | Should -BeLike '*-TokenFile*SECRETOPS_TOKEN_FILE*'
    }
}

Describe 'A SecretManagement vault on a store a server hosts' -Skip:$script:SecretManagementMissing {
    BeforeAll {
        Import-Module Microsoft.PowerShell.SecretManagement -ErrorAction Stop
        $script:Vault = "SecretOpsPesterHosted$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        Register-SecretOpsVault -Name $script:Vault -Uri $script:Uri -Client system -SecretFile $script:SecretFile -TokenFile $script:TokenFile -ErrorAction Stop
    }

    AfterAll {
        if (Get-SecretVault -Name $script:Vault -ErrorAction SilentlyContinue) { Unregister-SecretVault -Name $script:Vault }
    }

    It 'registers the server address and the token file, and no secret' {
        $parameters = (Get-SecretVault -Name $script:Vault).VaultParameters
        $parameters.Path | Should -Be $script:Uri
        $parameters.TokenFile | Should -Be $script:TokenFile
    }

    It 'Set-Secret, Get-Secret and Get-SecretInfo work through the server' {
        Set-Secret -Vault $script:Vault -Name vault-hosted -Secret 'via SecretManagement' -ErrorAction Stop
        Get-Secret -Vault $script:Vault -Name vault-hosted -AsPlainText -ErrorAction Stop | Should -BeExactly 'via SecretManagement'
        (Get-SecretInfo -Vault $script:Vault -Name 'vault-*').Name | Should -Contain 'vault-hosted'
        Test-SecretVault -Name $script:Vault | Should -BeTrue
    }
}

Describe 'A client with a generated secret and no token file' {
    BeforeAll {
        # System adds a machine client through the server; the machine derives its token, and the operator enrols that key.
        $null = Connect-SecretOpsStore -Uri $script:Uri -SecretFile $script:SecretFile -TokenFile $script:TokenFile -ErrorAction Stop
        $runner = New-SecretClient -Name runner -GenerateSecret -WarningAction SilentlyContinue -ErrorAction Stop
        Grant-SecretPermission -Client runner -Namespace default -Permission Read -ErrorAction Stop
        Set-SecretValue -Name for-runner -Value 'read with a derived key' -ErrorAction Stop
        Disconnect-SecretOpsStore -All
        $script:RunnerId = $runner.Client.Id.ToString()
        $script:RunnerSecretFile = Join-Path $TestDrive 'runner.secret'
        Set-OwnerOnlyContent -Path $script:RunnerSecretFile -Value $runner.ClientSecret
        $token = (Invoke-DotnetTool $script:CliAssembly @('--store', $script:Uri, '--client', $script:RunnerId, '--secret-file', $script:RunnerSecretFile, 'client', 'token')).Trim()
        $tokenForOperator = Join-Path $TestDrive 'runner.token'
        Set-OwnerOnlyContent -Path $tokenForOperator -Value $token
        $null = Invoke-DotnetTool $script:ServerAssembly @('enrol', '--client', $script:RunnerId, '--token-file', $tokenForOperator, '--sqlite-path', $script:ServerDatabase)
        Remove-Item $tokenForOperator
    }

    AfterEach { Disconnect-SecretOpsStore -All }

    It 'connects by its id with only its secret file' {
        $null = Connect-SecretOpsStore -Uri $script:Uri -Client $script:RunnerId -SecretFile $script:RunnerSecretFile -ErrorAction Stop
        Get-SecretValue -Name for-runner -AsPlainText | Should -BeExactly 'read with a derived key'
    }

    It 'by name, is told to give its id or a token file' {
        $record = Get-FirstError { Connect-SecretOpsStore -Uri $script:Uri -Client runner -SecretFile $script:RunnerSecretFile }
        $record.FullyQualifiedErrorId | Should -BeLike 'SecretOps.InvalidParameter*'
        $record.Exception.Message | Should -BeLike '*by its id*'
        $record.ErrorDetails.RecommendedAction | Should -BeLike '*-TokenFile*'
    }

    It 'is a SecretManagement vault registered with its id and secret file alone' -Skip:$script:SecretManagementMissing {
        Import-Module Microsoft.PowerShell.SecretManagement -ErrorAction Stop
        $vault = "SecretOpsPesterDerived$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        Register-SecretOpsVault -Name $vault -Uri $script:Uri -Client $script:RunnerId -SecretFile $script:RunnerSecretFile -ErrorAction Stop
        try {
            (Get-SecretVault -Name $vault).VaultParameters.Keys | Should -Not -Contain 'TokenFile'
            Get-Secret -Vault $vault -Name for-runner -AsPlainText -ErrorAction Stop | Should -BeExactly 'read with a derived key'
        }
        finally { Unregister-SecretVault -Name $vault }
    }
}
