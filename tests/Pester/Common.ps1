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
foreach ($name in @(Get-ChildItem Env: | Where-Object { $_.Name -like 'SECRETOPS_*' -and $_.Name -notin 'SECRETOPS_MODULE', 'SECRETOPS_NATIVE_SQLITE' } | ForEach-Object Name)) {
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
    foreach ($name in $script:SavedEnvironment.Keys) {
        [Environment]::SetEnvironmentVariable($name, $script:SavedEnvironment[$name])
    }
    Remove-Item Env:SECRETOPS_CONFIG -ErrorAction SilentlyContinue
}

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
