#Requires -Version 7.4
# The peer benchmark's cold runbook (bench/SecretOps.Bench/PeerBenchmark.cs): what a scheduled
# `pwsh -NonInteractive -NoProfile -File` does to read one secret. Exit code 0 when the value is right.
param([Parameter(Mandatory)] [string] $Vault, [Parameter(Mandatory)] [string] $Name)
$ErrorActionPreference = 'Stop'
Import-Module Microsoft.PowerShell.SecretManagement
if ($env:PEER_PASSWORD) {
    Unlock-SecretVault -Name $Vault -Password (ConvertTo-SecureString $env:PEER_PASSWORD -AsPlainText -Force)
}
$value = Get-Secret -Name $Name -Vault $Vault -AsPlainText
if ($value -cne "v:$Name") { exit 3 }
