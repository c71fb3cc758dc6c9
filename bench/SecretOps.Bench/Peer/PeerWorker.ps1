#Requires -Version 7.4
<#
    The peer benchmark's PowerShell side (bench/SecretOps.Bench/PeerBenchmark.cs starts it; not for direct use).

    -Mode Setup  creates one vault in this process's (throwaway) HOME and registers it with SecretManagement:
                 SecretOps with a generated-secret client or a passphrase client, or Microsoft's SecretStore with
                 authentication None or Password. Prints one result line.
    -Mode Serve  a long-lived process: imports SecretManagement, unlocks the vault when it has a password
                 (from the environment variable PEER_PASSWORD), prints a ready line, then reads one JSON command
                 per line from standard input and answers each with one result line. Every operation is timed
                 on its own with a Stopwatch inside this process, so process start and the pipe are not measured.

    Result lines start with '@@peer ' followed by compressed JSON; anything else on standard output (a warning the
    host printed) is ignored by the harness. Secret values are never printed.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [ValidateSet('Setup', 'Serve')] [string] $Mode,
    [Parameter(Mandatory)] [string] $Vault,
    # Setup only: SecretOpsGenerated, SecretOpsPassphrase, SecretStoreNone, SecretStorePassword, MinimalScript.
    [string] $Kind,
    # Setup only: the SecretOps module manifest, the SecretOps store path, and the folder for its secret file.
    [string] $ModuleManifest,
    [string] $StorePath,
    [string] $WorkFolder
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Send-Result([hashtable] $Result) {
    [Console]::Out.WriteLine('@@peer ' + ($Result | ConvertTo-Json -Compress -Depth 4))
    [Console]::Out.Flush()
}

function Get-Password {
    if (-not $env:PEER_PASSWORD) { throw 'PEER_PASSWORD is not set.' }
    ConvertTo-SecureString $env:PEER_PASSWORD -AsPlainText -Force
}

if ($Mode -eq 'Setup') {
    Import-Module Microsoft.PowerShell.SecretManagement
    switch ($Kind) {
        'SecretOpsGenerated' {
            Import-Module $ModuleManifest
            $created = New-SecretOpsStore -Path $StorePath -GenerateSecret
            $secretFile = Join-Path $WorkFolder 'client.secret'
            $file = New-Item -ItemType File -Path $secretFile -Force
            $file.UnixFileMode = 'UserRead, UserWrite'
            Set-Content -LiteralPath $secretFile -Value $created.ClientSecret -NoNewline
            Register-SecretOpsVault -Name $Vault -Path $StorePath -Client system -SecretFile $secretFile
        }
        'SecretOpsPassphrase' {
            Import-Module $ModuleManifest
            $null = New-SecretOpsStore -Path $StorePath -Passphrase (Get-Password)
            Register-SecretOpsVault -Name $Vault -Path $StorePath -Client system -Prompt
        }
        'SecretStoreNone' {
            Import-Module Microsoft.PowerShell.SecretStore
            Reset-SecretStore -Authentication None -Interaction None -Force
            Register-SecretVault -Name $Vault -ModuleName Microsoft.PowerShell.SecretStore
        }
        'SecretStorePassword' {
            Import-Module Microsoft.PowerShell.SecretStore
            # An hour, so the store does not lock itself during one size's measurements (the default is 900 s).
            Reset-SecretStore -Authentication Password -Password (Get-Password) -PasswordTimeout 3600 -Interaction None -Force
            Register-SecretVault -Name $Vault -ModuleName Microsoft.PowerShell.SecretStore
        }
        'MinimalScript' {
            # The smallest script vault SecretManagement accepts: every secret is the same constant. The baseline for
            # what importing a vault module and the first Get-Secret cost over SecretManagement itself.
            $root = Join-Path $WorkFolder 'MinimalVault'
            $extension = Join-Path $root 'MinimalVault.Extension'
            $null = New-Item -ItemType Directory -Path $extension -Force
            Set-Content -LiteralPath (Join-Path $root 'MinimalVault.psd1') -Value "@{ ModuleVersion = '1.0.0'; NestedModules = @('MinimalVault.Extension') }"
            Set-Content -LiteralPath (Join-Path $extension 'MinimalVault.Extension.psd1') -Value "@{ ModuleVersion = '1.0.0'; RootModule = 'MinimalVault.Extension.psm1'; FunctionsToExport = @('Get-Secret', 'Get-SecretInfo', 'Set-Secret', 'Remove-Secret', 'Test-SecretVault') }"
            Set-Content -LiteralPath (Join-Path $extension 'MinimalVault.Extension.psm1') -Value @'
function Get-Secret { param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters) "v:$Name" }
function Get-SecretInfo {
    param([string] $Filter, [string] $VaultName, [hashtable] $AdditionalParameters)
    # As many SecretInformation objects as the worker says a real vault lists (PEER_INFO_COUNT), made once per count
    # and written as one array: what listing costs SecretManagement itself.
    $count = [int] $env:PEER_INFO_COUNT
    if ($null -eq $script:Infos) { $script:Infos = @{} }
    if (-not $script:Infos.ContainsKey($count)) {
        $script:Infos[$count] = [Microsoft.PowerShell.SecretManagement.SecretInformation[]] @(
            for ($i = 0; $i -lt $count; $i++) { [Microsoft.PowerShell.SecretManagement.SecretInformation]::new("s-$i", 'String', $VaultName) })
    }
    , $script:Infos[$count]
}
function Set-Secret { param([string] $Name, [object] $Secret, [string] $VaultName, [hashtable] $AdditionalParameters) $true }
function Remove-Secret { param([string] $Name, [string] $VaultName, [hashtable] $AdditionalParameters) $true }
function Test-SecretVault { param([string] $VaultName, [hashtable] $AdditionalParameters) $true }
'@
            Register-SecretVault -Name $Vault -ModuleName (Join-Path $root 'MinimalVault.psd1')
        }
        default { throw "Unknown kind '$Kind'." }
    }
    Send-Result @{ ok = $true }
    exit 0
}

# --- Serve ---------------------------------------------------------------------------------------------------
Import-Module Microsoft.PowerShell.SecretManagement
if ($env:PEER_PASSWORD) {
    Unlock-SecretVault -Name $Vault -Password (Get-Password)
}
# The first use imports the vault's module: done here, before anything is timed.
$null = Test-SecretVault -Name $Vault
Send-Result @{ ready = $true; pid = $PID }

$watch = [Diagnostics.Stopwatch]::new()
$credentialPassword = ConvertTo-SecureString 'peer-benchmark-credential' -AsPlainText -Force

while ($null -ne ($line = [Console]::In.ReadLine())) {
    if (-not $line) { continue }
    $command = $line | ConvertFrom-Json
    $times = [Collections.Generic.List[double]]::new()
    $errors = [Collections.Generic.List[string]]::new()
    $failedNames = [Collections.Generic.List[string]]::new()
    $names = @()
    $acknowledged = 0
    $found = -1
    try {
        switch ($command.op) {
            'quit' { Send-Result @{ ok = $true }; exit 0 }
            # Writes: every error is counted (and its first few messages kept), never thrown, so a writer racing
            # other processes goes on; a write is acknowledged when Set-Secret returned without an error.
            { $_ -in 'set', 'set-credential' } {
                foreach ($name in $command.names) {
                    $secret = $command.op -eq 'set' ? "v:$name" : [pscredential]::new("user-$name", $credentialPassword)
                    $watch.Restart()
                    try {
                        Set-Secret -Name $name -Secret $secret -Vault $Vault
                        $watch.Stop()
                        $acknowledged++
                        $times.Add($watch.Elapsed.TotalMilliseconds)
                    }
                    catch {
                        $watch.Stop()
                        $failedNames.Add($name)
                        if ($errors.Count -lt 5) { $errors.Add("$name`: $($_.Exception.Message)") } else { $errors.Add('') }
                    }
                }
            }
            'get' {
                foreach ($name in $command.names) {
                    $watch.Restart()
                    $value = Get-Secret -Name $name -Vault $Vault -AsPlainText
                    $watch.Stop()
                    $times.Add($watch.Elapsed.TotalMilliseconds)
                    if ($value -cne "v:$name") { throw "Get-Secret $name returned the wrong value." }
                }
            }
            'get-credential' {
                foreach ($name in $command.names) {
                    $watch.Restart()
                    $value = Get-Secret -Name $name -Vault $Vault
                    $watch.Stop()
                    $times.Add($watch.Elapsed.TotalMilliseconds)
                    if ($value -isnot [pscredential] -or $value.UserName -cne "user-$name") { throw "Get-Secret $name returned no or the wrong PSCredential." }
                }
            }
            'info' {
                # Get-SecretInfo, all secrets (filter '*') or a name filter, repeated; returns the count it saw.
                # The minimal vault lists the count the harness gives (its SecretManagement runspace shares this process's environment).
                $env:PEER_INFO_COUNT = $command.count
                for ($i = 0; $i -lt $command.repeat; $i++) {
                    $watch.Restart()
                    $infos = @(Get-SecretInfo -Name $command.filter -Vault $Vault)
                    $watch.Stop()
                    $times.Add($watch.Elapsed.TotalMilliseconds)
                    $found = $infos.Count
                }
            }
            'remove' {
                foreach ($name in $command.names) {
                    $watch.Restart()
                    Remove-Secret -Name $name -Vault $Vault
                    $watch.Stop()
                    $times.Add($watch.Elapsed.TotalMilliseconds)
                }
            }
            'names' {
                # The names of the secrets matching the filter, as this process finds them (untimed).
                $names = @(Get-SecretInfo -Name $command.filter -Vault $Vault | ForEach-Object Name)
                $found = $names.Count
            }
            'remove-matching' {
                # Cleanup, untimed as a whole: removes every secret matching the filter.
                foreach ($info in @(Get-SecretInfo -Name $command.filter -Vault $Vault)) {
                    Remove-Secret -Name $info.Name -Vault $Vault
                }
            }
            default { throw "Unknown op '$($command.op)'." }
        }
        Send-Result @{ ok = $true; ms = $times.ToArray(); acknowledged = $acknowledged; errors = $errors.Count; messages = @($errors | Where-Object { $_ }); failedNames = $failedNames.ToArray(); names = $names; found = $found }
    }
    catch {
        Send-Result @{ ok = $false; failure = "$($_.Exception.GetType().FullName): $($_.Exception.Message)" }
    }
}
