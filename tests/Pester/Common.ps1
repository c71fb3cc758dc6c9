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
