<#
    Shared setup for the Pester suite, dot-sourced by every *.Tests.ps1 file in its top-level BeforeAll:
    `BeforeAll { . $PSScriptRoot/Common.ps1 }` and `AfterAll { Restore-TestEnvironment }`.

    The tests run against the BUILT module folder ($env:SECRETOPS_MODULE, set by Invoke-PesterSuite.ps1;
    default out/SecretOps). A binary module cannot be unloaded, so the suite runs in a fresh pwsh
    (Invoke-PesterSuite.ps1 starts one). They never touch the user's configuration, environment or default
    store: every store lives in $TestDrive, SECRETOPS_* variables are cleared and restored, and every test
    ends with all sessions disconnected.

    Stores are created with a deliberately weak Argon2id (1 MiB, 1 pass) so the suite stays fast.
#>

$script:ModuleFolder = if ($env:SECRETOPS_MODULE) { $env:SECRETOPS_MODULE } else { [IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'SecretOps') }
$script:Manifest = Import-PowerShellDataFile ([IO.Path]::Combine($script:ModuleFolder, 'SecretOps.psd1'))
# One import per process: a binary module's assemblies stay loaded, and importing again re-runs its bootstrap.
if (-not (Get-Module SecretOps)) {
    Import-Module ([IO.Path]::Combine($script:ModuleFolder, 'SecretOps.psd1')) -ErrorAction Stop
}

# Nothing from the developer's environment or configuration may leak into the tests.
$script:SavedEnvironment = @{}
foreach ($name in @(Get-ChildItem Env: | Where-Object { $_.Name -like 'SECRETOPS_*' -and $_.Name -notin 'SECRETOPS_MODULE', 'SECRETOPS_NATIVE_SQLITE', 'SECRETOPS_TEST_HOSTED' } | ForEach-Object Name)) {
    $script:SavedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
    [Environment]::SetEnvironmentVariable($name, $null)
}
# A configuration file that does not exist: no profile applies.
$env:SECRETOPS_CONFIG = [IO.Path]::Combine([IO.Path]::GetTempPath(), "secretops-pester-$([guid]::NewGuid().ToString('N'))", 'config.yaml')

$script:PassphraseText = 'correct horse battery staple'
$script:Passphrase = ConvertTo-SecureString $script:PassphraseText -AsPlainText -Force
$script:WeakKdf = @{ KdfMemoryMiB = 1; KdfIterations = 1; KdfParallelism = 1; AllowWeakKdf = $true }

function script:Restore-TestEnvironment {
    Disconnect-SecretOpsStore -All
    Stop-TestServers
    $env:XDG_STATE_HOME = $script:StateHomeBefore
    foreach ($name in $script:SavedEnvironment.Keys) {
        [Environment]::SetEnvironmentVariable($name, $script:SavedEnvironment[$name])
    }
    Remove-Item Env:SECRETOPS_CONFIG -ErrorAction SilentlyContinue
}

function script:New-TestStorePath {
    Join-Path $TestDrive ("store-{0}.db" -f [guid]::NewGuid().ToString('N'))
}

# A new passphrase store (the System client's passphrase is $script:Passphrase): its path, or in a hosted run
# (SECRETOPS_TEST_HOSTED=1) the address of the server it was pushed to, as sessions name it.
function script:New-TestStore {
    if ($script:Hosted) {
        # Stores are made ready two ahead, while the tests before run (on two cores, two at once keep up better).
        while ($script:NextHostedStores.Count -lt 3) { $script:NextHostedStores.Enqueue((Start-HostedTestStore)) }
        return Complete-TestStoreMove $script:NextHostedStores.Dequeue()
    }
    $path = New-TestStorePath
    $kdf = $script:WeakKdf
    $null = New-SecretOpsStore -Path $path -Passphrase $script:Passphrase @kdf -ErrorAction Stop
    $path
}

function script:Connect-TestStore([string] $Path) {
    Connect-SecretOpsStore -Path $Path -Passphrase $script:Passphrase -PassThru -ErrorAction Stop
}

# --- Hosted runs ---------------------------------------------------------------------------------------------
# With SECRETOPS_TEST_HOSTED=1 (Invoke-PesterSuite.ps1 -Hosted), the files tagged 'Hosted' run against real servers:
# every store New-TestStore makes (and every file a test hands to Publish-TestStore) is made as a file, then pushed
# to a server of its own (out/server, plain HTTP on loopback, a fresh SQLite database: a server hosts one store), and
# the tests name the server's address instead of the file. Connect-SecretOpsStore and Register-SecretOpsVault are
# then wrapped (below) to add the -TokenFile of the client connecting, enrolled with the server's operator command
# `enrol` on first use; everything else reaches the real cmdlets unchanged. This process's replicas of the hosted
# stores (XDG_STATE_HOME) are in $TestDrive; the servers' folders (database, tokens, the file pushed) in a temporary
# folder of the test file's own. Restore-TestEnvironment stops the servers and removes that folder.
# Files about the store file itself (Store: creation, paths, backups, modes, tampering; Package, Module, Completion,
# Runner) stay file-only. Runbook vaults on a hosted store also name their client's token file (Runbook.Tests.ps1).

$script:Hosted = $env:SECRETOPS_TEST_HOSTED -eq '1'
$script:StateHomeBefore = $env:XDG_STATE_HOME
$script:HostedStores = @{}
$script:TestServers = [Collections.Concurrent.ConcurrentBag[Diagnostics.Process]]::new()
$script:NextHostedStores = [Collections.Generic.Queue[object]]::new()
# Set (one element) once the test file ends: the thread jobs still making stores ready stop their servers themselves.
$script:Stopping = [Collections.Concurrent.ConcurrentDictionary[int, bool]]::new()
# The servers' folders (databases, tokens, the store files they were pushed from), removed by Restore-TestEnvironment.
$script:ServerFolder = if ($script:Hosted) { [IO.Directory]::CreateTempSubdirectory('secretops-pester-servers-').FullName }
$script:OutFolder = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..', '..', 'out'))
$script:ServerAssembly = [IO.Path]::Combine($script:OutFolder, 'server', 'SecretOps.Server.dll')
$script:CliAssembly = [IO.Path]::Combine($script:OutFolder, 'cli', 'SecretOps.Cli.dll')

# Runs `dotnet exec <assembly> <arguments>` with $Environment added and returns its standard output; throws on an error.
function script:Invoke-DotnetTool([string] $Assembly, [string[]] $Arguments, [Collections.IDictionary] $Environment = @{}) {
    $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in @('exec', $Assembly) + $Arguments) { $start.ArgumentList.Add($argument) }
    foreach ($name in $Environment.Keys) { $start.Environment[$name] = [string] $Environment[$name] }
    $start.UseShellExecute = $false
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [Diagnostics.Process]::Start($start)
    try {
        $process.StandardInput.Close()
        $output = $process.StandardOutput.ReadToEndAsync()
        $errorText = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw "$(Split-Path $Assembly -Leaf) $Arguments did not finish in 2 minutes." }
        if ($process.ExitCode -ne 0) { throw "$(Split-Path $Assembly -Leaf) $Arguments exited $($process.ExitCode): $($errorText.Result)" }
        $output.Result
    }
    finally { $process.Dispose() }
}

<#
    Moves a store file to a server of its own, in a thread job (so the next test's store is made ready while this one
    runs): enrols the System client ($SystemClientId) with the server's operator command against a fresh database in
    $Folder, starts the server on a loopback port the system picks, and pushes the file with the CLI, which connects
    as System with the CLI arguments $Credential (none: SECRETOPS_PASSPHRASE, the test passphrase). Returns the
    server's address and the System client's token file; every server it starts is added to $Servers.
#>
$script:MoveStoreToServer = {
    param([string] $ServerAssembly, [string] $CliAssembly, [string] $Folder, [string] $StoreFile, [string] $SystemClientId,
        [string[]] $Credential, [string] $Passphrase, [object] $Servers, [object] $Stopping)
    $ErrorActionPreference = 'Stop'
    function Start-Dotnet([string[]] $Arguments, [hashtable] $Environment = @{}) {
        $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($argument in $Arguments) { $start.ArgumentList.Add($argument) }
        foreach ($name in $Environment.Keys) { $start.Environment[$name] = $Environment[$name] }
        $start.UseShellExecute = $false
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        $process.StandardInput.Close()
        $process
    }
    function Invoke-Dotnet([string[]] $Arguments, [hashtable] $Environment = @{}) {
        $process = Start-Dotnet $Arguments $Environment
        try {
            $output = $process.StandardOutput.ReadToEndAsync()
            $errorText = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw "dotnet $Arguments did not finish in 2 minutes." }
            if ($process.ExitCode -ne 0) { throw "dotnet $Arguments exited $($process.ExitCode): $($errorText.Result)" }
            $output.Result
        }
        finally { $process.Dispose() }
    }

    $database = Join-Path $Folder 'server.db'
    $token = (Invoke-Dotnet @('exec', $ServerAssembly, 'enrol', '--client', $SystemClientId, '--sqlite-path', $database)).Trim()
    $tokenFile = Join-Path $Folder "$SystemClientId.token"
    $file = New-Item -ItemType File -Path $tokenFile -Force
    if (-not $IsWindows) { $file.UnixFileMode = 'UserRead, UserWrite' }
    Set-Content -LiteralPath $tokenFile -Value $token -NoNewline

    # The server keeps its own replica in TMPDIR: in its folder too.
    $temporary = (New-Item -ItemType Directory -Path (Join-Path $Folder 'tmp') -Force).FullName
    $server = Start-Dotnet @('exec', $ServerAssembly, '--insecure-http', '--listen', '127.0.0.1', '--port', '0', '--sqlite-path', $database) @{ TMPDIR = $temporary }
    $Servers.Add($server)
    # The test file ended while this store was being made ready: Stop-TestServers did not wait for it.
    if ($Stopping.Count -gt 0) { $server.Kill($true); return }
    $errorText = $server.StandardError.ReadToEndAsync()
    $deadline = [DateTime]::UtcNow.AddSeconds(90)
    $uri = $null
    while (-not $uri -and [DateTime]::UtcNow -lt $deadline) {
        $line = $server.StandardOutput.ReadLine()
        if ($null -eq $line) { break }
        if ($line -match '"Message":"Listening on (?<url>http://[^ "]+)') { $uri = $Matches.url.TrimEnd('/') }
    }
    if (-not $uri) { throw "The server did not start: $($errorText.Result)" }
    # It logs a line per request: keep reading, so that a full pipe never stops it.
    $null = $server.StandardOutput.BaseStream.CopyToAsync([IO.Stream]::Null)

    $environment = @{ XDG_STATE_HOME = Join-Path $Folder 'push-state' }
    if (-not $Credential) { $environment['SECRETOPS_PASSPHRASE'] = $Passphrase }
    $null = Invoke-Dotnet (@('exec', $CliAssembly, '--store', $StoreFile, '--token-file', $tokenFile) + $Credential + @('store', 'push', $uri)) $environment
    [pscustomobject]@{ Uri = $uri; Database = $database; TokenFile = $tokenFile }
}

# Starts moving the store file $Path to a server (MoveStoreToServer); Complete-TestStoreMove waits for it.
function script:Start-TestStoreMove([string] $Path, [guid] $SystemClientId, [string[]] $Credential = @()) {
    foreach ($assembly in $script:ServerAssembly, $script:CliAssembly) {
        if (-not (Test-Path $assembly)) { throw "No built '$assembly': run 'dotnet build SecretOps.sln -c Release' first." }
    }
    $folder = (New-Item -ItemType Directory -Path (Join-Path $script:ServerFolder ('server-{0}' -f [guid]::NewGuid().ToString('N')))).FullName
    $job = Start-ThreadJob -ScriptBlock $script:MoveStoreToServer -ArgumentList $script:ServerAssembly, $script:CliAssembly, $folder, $Path, "$SystemClientId", $Credential, $script:PassphraseText, $script:TestServers, $script:Stopping
    [pscustomobject]@{ Job = $job; Folder = $folder; SystemClientId = "$SystemClientId" }
}

# Waits for a Start-TestStoreMove and returns the hosted store's address as sessions name it (http://127.0.0.1:port/).
function script:Complete-TestStoreMove([object] $Move) {
    $moved = $Move.Job | Receive-Job -Wait -AutoRemoveJob -ErrorAction Stop
    # This process's replicas of hosted stores, in the current test drive.
    $env:XDG_STATE_HOME = Join-Path $TestDrive 'state'
    $location = "$($moved.Uri)/"
    $script:HostedStores[$location] = @{
        Folder = $Move.Folder; Database = $moved.Database; SystemClientId = $Move.SystemClientId
        Tokens = @{ $Move.SystemClientId = $moved.TokenFile }
    }
    $location
}

# A passphrase store moving to a server, made ready while the test before runs.
function script:Start-HostedTestStore {
    $path = Join-Path $script:ServerFolder ('store-{0}.db' -f [guid]::NewGuid().ToString('N'))
    $kdf = $script:WeakKdf
    $created = New-SecretOpsStore -Path $path -Passphrase $script:Passphrase @kdf -ErrorAction Stop
    Start-TestStoreMove -Path $path -SystemClientId $created.ClientId
}

function script:Stop-TestServers {
    # Stores still being made ready are not waited for: a server started from now on stops itself, and those started
    # before are in $script:TestServers (a job adds its server there before it looks at $script:Stopping). The jobs
    # end by themselves; Invoke-PesterSuite.ps1 waits for them before the process exits.
    $script:Stopping[0] = $true
    $script:NextHostedStores.Clear()
    foreach ($process in $script:TestServers) {
        if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(10000) }
        $process.Dispose()
    }
    $script:TestServers.Clear()
    $script:HostedStores.Clear()
    if ($script:ServerFolder) { Remove-Item -LiteralPath $script:ServerFolder -Recurse -Force -ErrorAction SilentlyContinue }
}

# Enrols a client of a hosted store (the operator's `enrol`, against the server's database) and returns its token file.
function script:New-TestToken([hashtable] $Hosted, [string] $ClientId) {
    $token = (Invoke-DotnetTool $script:ServerAssembly @('enrol', '--client', $ClientId, '--sqlite-path', $Hosted.Database)).Trim()
    $file = Join-Path $Hosted.Folder "$ClientId.token"
    Set-OwnerOnlyContent -Path $file -Value $token
    $Hosted.Tokens[$ClientId] = $file
    $file
}

<#
    In a hosted run, pushes the store file $Path (its System client $SystemClientId, whose credential is the CLI
    arguments $Credential, default the test passphrase) to a server of its own and returns the server's address as
    sessions name it (http://127.0.0.1:port/). In a file run, returns $Path.
#>
function script:Publish-TestStore([string] $Path, [guid] $SystemClientId, [string[]] $Credential = @()) {
    if (-not $script:Hosted) { return $Path }
    Complete-TestStoreMove (Start-TestStoreMove -Path $Path -SystemClientId $SystemClientId -Credential $Credential)
}

<#
    The token file a client connecting to hosted store $Store signs with, enrolling the client on first use. The client
    (a name or an id) is looked up in this machine's replica of the store with sqlite3's plain SQL, so the lookup adds
    nothing to the store's audit log as a connect would. A client the replica does not hold gets the System client's
    token: the server lets the request in, and the store refuses the client, as it would refuse it in a file.
#>
function script:Get-TestTokenFile([string] $Store, [string] $Client) {
    $hosted = $script:HostedStores[$Store]
    if (-not $Client -or $Client -eq 'system') { return $hosted.Tokens[$hosted.SystemClientId] }
    $id = $null
    $hash = [Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($Store))
    $replica = [IO.Path]::Combine($env:XDG_STATE_HOME, 'secretops', 'replicas', [Convert]::ToHexString($hash).Substring(0, 32).ToLowerInvariant(), 'store.db')
    if (Test-Path -LiteralPath $replica) {
        if (-not (Get-Command sqlite3 -CommandType Application -ErrorAction Ignore)) {
            throw "A hosted run looks clients up in the replica with sqlite3, which is not installed (apt-get install sqlite3)."
        }
        $quoted = $Client.Replace("'", "''")
        $hex = & sqlite3 -readonly $replica "SELECT hex(id) FROM clients WHERE lower(name) = lower('$quoted') OR hex(id) = upper(replace('$quoted', '-', ''));"
        if ($LASTEXITCODE -ne 0) { throw "sqlite3 could not read the replica '$replica'." }
        if ($hex) { $id = [guid]::new([Convert]::FromHexString($hex), $true).ToString() }
    }
    if (-not $id) { return $hosted.Tokens[$hosted.SystemClientId] }
    if ($hosted.Tokens.ContainsKey($id)) { return $hosted.Tokens[$id] }
    New-TestToken $hosted $id
}

# What a store holds, as a value that changes whenever the store does: a file's hash; for a hosted test store, the
# server's head revision (read from its database with sqlite3, so the look-up changes nothing).
function script:Get-StoreState([string] $Store) {
    if (-not $script:HostedStores.ContainsKey($Store)) { return (Get-FileHash -LiteralPath $Store).Hash }
    $head = & sqlite3 -readonly $script:HostedStores[$Store].Database 'SELECT max(revision) FROM store_log;'
    if ($LASTEXITCODE -ne 0) { throw "sqlite3 could not read the server database of '$Store'." }
    "revision $head"
}

if ($script:Hosted) {
    # The value following -Name in a simple function's $args, or $null.
    function script:Get-NamedArgument([object[]] $Arguments, [string[]] $Name) {
        for ($i = 0; $i -lt $Arguments.Count - 1; $i++) {
            if ($Arguments[$i] -is [string] -and $Arguments[$i].TrimEnd(':') -in ($Name | ForEach-Object { "-$_" })) { return $Arguments[$i + 1] }
        }
        $null
    }

    # Connect-SecretOpsStore (the cmdlet), with the connecting client's -TokenFile added for a hosted test store.
    function script:Connect-SecretOpsStore {
        $store = Get-NamedArgument $args 'Path', 'Uri'
        $cmdlet = Get-Command -CommandType Cmdlet -Module SecretOps -Name Connect-SecretOpsStore
        if ($store -and $script:HostedStores.ContainsKey($store) -and -not (Get-NamedArgument $args 'TokenFile')) {
            & $cmdlet @args -TokenFile (Get-TestTokenFile $store (Get-NamedArgument $args 'Client'))
        }
        else { & $cmdlet @args }
    }

    # Register-SecretOpsVault (the cmdlet), with the vault client's -TokenFile added for a hosted test store.
    function script:Register-SecretOpsVault {
        $store = Get-NamedArgument $args 'Path', 'Uri'
        $cmdlet = Get-Command -CommandType Cmdlet -Module SecretOps -Name Register-SecretOpsVault
        if ($store -and $script:HostedStores.ContainsKey($store) -and -not (Get-NamedArgument $args 'TokenFile')) {
            & $cmdlet @args -TokenFile (Get-TestTokenFile $store (Get-NamedArgument $args 'Client'))
        }
        else { & $cmdlet @args }
    }
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

# Writes a credential file only its owner can read or write: SecretOps refuses anything looser on Unix.
function script:Set-OwnerOnlyContent([string] $Path, [string] $Value) {
    $file = New-Item -ItemType File -Path $Path -Force
    if (-not $IsWindows) { $file.UnixFileMode = 'UserRead, UserWrite' }
    Set-Content -Path $Path -Value $Value -NoNewline
}

function script:Get-PlainText([securestring] $Secure) {
    [System.Net.NetworkCredential]::new('', $Secure).Password
}

# --- Runbook processes ---------------------------------------------------------------------------------------
# A runbook is a script a scheduler runs in a fresh `pwsh -NonInteractive`. These start one from a script file
# in $TestDrive, with standard input closed (nothing can be answered) and a deadline after which the process
# tree is killed, so a prompt or a hang fails the test instead of stalling the suite.

$script:PwshPath = [IO.Path]::Combine($PSHOME, $IsWindows ? 'pwsh.exe' : 'pwsh')

# Starts a runbook and returns at once; Wait-Runbook collects it. Start several before waiting to run them together.
function script:Start-Runbook {
    param(
        # The runbook's text: a param() block and the commands, as a .ps1 file would hold it.
        [Parameter(Mandatory)] [string] $Script,
        # Passed on the command line as -Key value (text only, as a scheduler passes them).
        [System.Collections.IDictionary] $Parameters = @{},
        # The environment: these variables are set, a $null value removes one; everything else is inherited.
        [System.Collections.IDictionary] $Environment = @{},
        [int] $TimeoutSeconds = 120
    )
    $file = Join-Path $TestDrive ('runbook-{0}.ps1' -f [guid]::NewGuid().ToString('N'))
    Set-Content -LiteralPath $file -Value $Script
    $start = [Diagnostics.ProcessStartInfo]::new($script:PwshPath)
    foreach ($argument in '-NoProfile', '-NonInteractive', '-File', $file) { $start.ArgumentList.Add($argument) }
    foreach ($name in $Parameters.Keys) {
        $start.ArgumentList.Add("-$name")
        $start.ArgumentList.Add([string] $Parameters[$name])
    }
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { $null = $start.Environment.Remove($name) } else { $start.Environment[$name] = [string] $Environment[$name] }
    }
    $start.UseShellExecute = $false
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [Diagnostics.Process]::Start($start)
    $process.StandardInput.Close()
    [pscustomobject]@{
        Process  = $process
        Id       = $process.Id
        Output   = $process.StandardOutput.ReadToEndAsync()
        Error    = $process.StandardError.ReadToEndAsync()
        Deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        Timeout  = $TimeoutSeconds
    }
}

# Waits for started runbooks (killing any past its deadline): Id (the process id), ExitCode, TimedOut, Lines
# (standard output, one per line), Output and Error (the text of standard output and standard error).
function script:Wait-Runbook {
    param([Parameter(Mandatory, ValueFromPipeline)] [object] $Runbook)
    process {
        $process = $Runbook.Process
        $remaining = [Math]::Max(0, [int] ($Runbook.Deadline - [DateTime]::UtcNow).TotalMilliseconds)
        $exited = $process.WaitForExit($remaining)
        if (-not $exited) {
            $process.Kill($true)
        }
        $process.WaitForExit()
        $output = $Runbook.Output.GetAwaiter().GetResult()
        $errorText = $Runbook.Error.GetAwaiter().GetResult()
        $result = [pscustomobject]@{
            Id       = $Runbook.Id
            ExitCode = $exited ? $process.ExitCode : $null
            TimedOut = -not $exited
            Lines    = @($output -split '\r?\n' | Where-Object { $_ -ne '' })
            Output   = $output
            Error    = $exited ? $errorText : "Killed after $($Runbook.Timeout) s. $errorText"
        }
        $process.Dispose()
        $result
    }
}

# Runs one runbook to the end (Start-Runbook's parameters).
function script:Invoke-Runbook {
    param(
        [Parameter(Mandatory)] [string] $Script,
        [System.Collections.IDictionary] $Parameters = @{},
        [System.Collections.IDictionary] $Environment = @{},
        [int] $TimeoutSeconds = 120
    )
    Start-Runbook @PSBoundParameters | Wait-Runbook
}

# A runbook that ended by itself with exit code 0 and wrote nothing to standard error.
function script:Assert-RunbookSucceeded([object] $Run) {
    $Run.TimedOut | Should -BeFalse -Because $Run.Error
    $Run.ExitCode | Should -Be 0 -Because $Run.Error
    $Run.Error | Should -BeNullOrEmpty
}

# A runbook that failed by itself (not killed), without trying to prompt, and without printing $Secret anywhere.
function script:Assert-RunbookFailed([object] $Run, [string] $Secret) {
    $Run.TimedOut | Should -BeFalse -Because $Run.Error
    $Run.ExitCode | Should -Not -Be 0
    $Run.Error | Should -Not -Match 'NonInteractive mode' -Because 'nothing may try to prompt'
    if ($Secret) { "$($Run.Output)$($Run.Error)" | Should -Not -Match ([regex]::Escape($Secret)) }
}

# --- The packaged module -------------------------------------------------------------------------------------

# Packs the built module with tools/New-ModulePackage.ps1 into $TestDrive and expands the zip into a fresh folder,
# as a user installs it: Zip, ModulesFolder (to put on PSModulePath) and Version.
function script:New-TestPackage {
    $id = [guid]::NewGuid().ToString('N')
    $zip = & ([IO.Path]::Combine($PSScriptRoot, '..', '..', 'tools', 'New-ModulePackage.ps1')) -ModuleFolder $script:ModuleFolder -Destination (Join-Path $TestDrive "package-$id")
    $modules = Join-Path $TestDrive "modules-$id"
    Expand-Archive -LiteralPath $zip -DestinationPath $modules
    [pscustomobject]@{ Zip = $zip; ModulesFolder = $modules; Version = $script:Manifest.ModuleVersion }
}

# A PSModulePath for a runbook process: the folders given, then the folder SecretManagement is found in, then
# PowerShell's own modules. Nothing else, so SecretOps can only come from the folders given.
function script:Get-RunbookModulePath([string[]] $Folder) {
    $folders = [Collections.Generic.List[string]]::new()
    foreach ($item in $Folder) { $folders.Add($item) }
    $secretManagement = Get-Module -ListAvailable -Name Microsoft.PowerShell.SecretManagement | Select-Object -First 1
    if ($secretManagement) {
        # <folder>/Microsoft.PowerShell.SecretManagement[/<version>]/Microsoft.PowerShell.SecretManagement.psd1
        $base = Split-Path $secretManagement.ModuleBase -Parent
        if ((Split-Path $base -Leaf) -eq 'Microsoft.PowerShell.SecretManagement') { $base = Split-Path $base -Parent }
        $folders.Add($base)
    }
    $folders.Add((Join-Path $PSHOME 'Modules'))
    $folders -join [IO.Path]::PathSeparator
}

# The environment of a machine that runs runbooks: its own HOME in $TestDrive (so its own SecretManagement vault
# registry, shared by every runbook given this environment) and a PSModulePath (Get-RunbookModulePath).
function script:New-RunbookEnvironment([string[]] $ModuleFolder) {
    $homeFolder = Join-Path $TestDrive ('home-{0}' -f [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $homeFolder
    @{
        HOME            = $homeFolder
        USERPROFILE     = $homeFolder
        XDG_CONFIG_HOME = Join-Path $homeFolder '.config'
        XDG_DATA_HOME   = Join-Path $homeFolder '.local' 'share'
        XDG_CACHE_HOME  = Join-Path $homeFolder '.cache'
        PSModulePath    = Get-RunbookModulePath $ModuleFolder
        NO_COLOR        = '1'   # errors as plain text, for assertions and failure messages
    }
}
